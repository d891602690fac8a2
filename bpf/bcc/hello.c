// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hello in BCC's C dialect, compiled at run time by libbcc against the kernel headers, for
 * every BCC-based variant (bcc-python, go-gobpf, rust-bcc). The program, its event and its
 * ring buffer are those of ../hello.bpf.c; the drops counter is a one-slot array map (BCC
 * has no global data). Build-time switch, as a -D define:
 *   PERF_OUTPUT  a perf buffer instead of the ring buffer (gobpf has no ring-buffer API)
 *   WAKEUP_BYTES=N  -B, batched wakeups (bcc/wakeup.h); default 0: the kernel wakes the reader per record
 * The function is named like the libbpf program and attached by name, rather than written
 * as TRACEPOINT_PROBE(syscalls, sys_enter_execve), so that the kernel reports the same
 * program name for every variant; BCC generates the argument struct from the tracepoint's
 * format either way.
 */
#include <linux/sched.h>
#include "events.h"

#ifdef PERF_OUTPUT
BPF_PERF_OUTPUT(events);
#else
BPF_RINGBUF_OUTPUT(events, RINGBUF_BYTES / 4096);   /* in pages: 256 KiB */
#include "bcc/wakeup.h"
#endif
BPF_ARRAY(drops, u64, 1);

static __always_inline void count_drop(void)
{
	int zero = 0;
	u64 *n = drops.lookup(&zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

int hello_execve(struct tracepoint__syscalls__sys_enter_execve *args)
{
	const char msg[HELLO_MSG_LEN] = "Hello World";
	struct task_struct *task;
#ifdef PERF_OUTPUT
	struct hello_event ev = {};
	struct hello_event *e = &ev;
#else
	struct hello_event *e = events.ringbuf_reserve(sizeof(*e));

	if (!e) {
		count_drop();
		return 0;
	}
#endif
	e->pid = bpf_get_current_pid_tgid() >> 32;
	/* BCC rewrites these dereferences into bpf_probe_read_kernel() calls at offsets taken from
	 * the kernel headers it compiles against: right only when they are the running kernel's. */
	task = (struct task_struct *)bpf_get_current_task();
	e->ppid = task->real_parent->tgid;
	e->uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	__builtin_memcpy(e->message, msg, sizeof(msg));
#ifdef PERF_OUTPUT
	if (events.perf_submit(args, e, sizeof(*e)) < 0)
		count_drop();
#else
#if WAKEUP_BYTES
	int ring_slot = 0;	/* -B: the query needs the ring from event_rings (bcc/wakeup.h) */

	events.ringbuf_submit(e, wakeup_flags_of(event_rings.lookup(&ring_slot), sizeof(*e)));
#else
	events.ringbuf_submit(e, 0);
#endif
#endif
	return 0;
}
