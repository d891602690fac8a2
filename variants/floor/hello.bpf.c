// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for hello: the same tracepoint and program name as bpf/hello.bpf.c, and no
 * work, so run_time_ns / run_cnt here is what a tracepoint program costs before it does
 * anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_enter_execve")
int hello_execve(void *ctx)
{
	return 0;
}
