// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for opensnoop: bpf/opensnoop.bpf.c with the bodies taken out. The same four
 * program names and tracepoints, maps and globals, so c-libbpf's opensnoop.c builds unchanged
 * against this skeleton (its filters are set and ignored); the programs do no work, so their
 * run_time_ns / run_cnt is the fixed cost of a tracepoint program that every variant pays
 * before its own code runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = (__u32)-1;
const volatile bool targ_failed = false;
/* bpf/wakeup.h's global, set by -B (docs/programs.md, "Wakeups") and ignored: nothing is
 * submitted, so there is no wakeup to batch. */
const volatile __u32 wakeup_bytes = 0;

__u64 drops = 0;

struct args_t {
	const char *fname;
	__s32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, START_ENTRIES);
	__type(key, __u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

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
