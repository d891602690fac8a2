// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for hello: bpf/hello.bpf.c with the body taken out. The same program name,
 * tracepoint, ring buffer and `drops` global, so c-libbpf's hello.c builds unchanged against
 * this skeleton; the program does no work, so its run_time_ns / run_cnt is what a tracepoint
 * program costs before it does anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* bpf/wakeup.h's global, set by -B (docs/programs.md, "Wakeups") and ignored: nothing is
 * submitted, so there is no wakeup to batch. */
const volatile __u32 wakeup_bytes = 0;

__u64 drops = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int hello_execve(void *ctx)
{
	return 0;
}
