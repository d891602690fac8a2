// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for opensnoop: the four tracepoints and program names of bpf/opensnoop.bpf.c,
 * no maps and no work, so run_time_ns / run_cnt here is the fixed cost of a tracepoint
 * program that every variant pays before its own code runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(void *ctx)
{
	return 0;
}
