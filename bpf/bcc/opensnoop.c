// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * opensnoop in BCC's C dialect, compiled at run time by libbcc, for every BCC-based variant.
 * The same four programs, map and event as ../opensnoop.bpf.c; what libbpf variants set as
 * read-only globals before load, BCC variants pass as -D defines to the run-time compile:
 *   TARG_TGID=N    only this process id (-p)      default 0: every process
 *   TARG_UID=N     only this uid (-u)             default 0xffffffff: every user
 *   TARG_FAILED=1  only opens that failed (-x)
 *   PERF_OUTPUT    a perf buffer instead of the ring buffer (gobpf has no ring-buffer API)
 *   WAKEUP_BYTES=N -B, batched wakeups (bcc/wakeup.h)   default 0: the kernel wakes the reader per record
 * The drops counter is a one-slot array map (BCC has no global data).
 */
#include <linux/sched.h>
#include "events.h"

#ifndef TARG_TGID
#define TARG_TGID 0
#endif
#ifndef TARG_UID
#define TARG_UID 0xffffffff
#endif
#ifndef TARG_FAILED
#define TARG_FAILED 0
#endif

struct args_t {
	const char *fname;
	s32 flags;
};

BPF_HASH(start, u32, struct args_t, START_ENTRIES);
#ifdef PERF_OUTPUT
BPF_PERF_OUTPUT(events);
BPF_PERCPU_ARRAY(scratch, struct open_event, 1);   /* 304 bytes: off the 512-byte stack */
#else
BPF_RINGBUF_OUTPUT(events, RINGBUF_BYTES / 4096);  /* in pages: 256 KiB */
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

static __always_inline int trace_enter(const char *fname, s32 flags)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct args_t a = {};

	if (TARG_TGID && TARG_TGID != (u32)(id >> 32))
		return 0;
	if (TARG_UID != 0xffffffff && TARG_UID != (u32)bpf_get_current_uid_gid())
		return 0;
	a.fname = fname;
	a.flags = flags;
	start.update(&tid, &a);
	return 0;
}

static __always_inline int trace_exit(void *ctx, long ret_long)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	s32 ret = (s32)ret_long;
	struct args_t *ap;
	struct open_event *e;

	ap = start.lookup(&tid);
	if (!ap)
		return 0;
	if (TARG_FAILED && ret >= 0)
		goto cleanup;
#ifdef PERF_OUTPUT
	int zero = 0;
	e = scratch.lookup(&zero);
	if (!e)
		goto cleanup;
#else
	e = events.ringbuf_reserve(sizeof(*e));
	if (!e) {
		count_drop();
		goto cleanup;
	}
#endif
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = ap->flags;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->fname, sizeof(e->fname), ap->fname);
#ifdef PERF_OUTPUT
	if (events.perf_submit(ctx, e, sizeof(*e)) < 0)
		count_drop();
#else
#if WAKEUP_BYTES
	int ring_slot = 0;	/* -B: the query needs the ring from event_rings (bcc/wakeup.h) */

	events.ringbuf_submit(e, wakeup_flags_of(event_rings.lookup(&ring_slot), sizeof(*e)));
#else
	events.ringbuf_submit(e, 0);
#endif
#endif
cleanup:
	start.delete(&tid);
	return 0;
}

int enter_open(struct tracepoint__syscalls__sys_enter_open *args)
{
	return trace_enter(args->filename, args->flags);
}

int enter_openat(struct tracepoint__syscalls__sys_enter_openat *args)
{
	return trace_enter(args->filename, args->flags);
}

int exit_open(struct tracepoint__syscalls__sys_exit_open *args)
{
	return trace_exit(args, args->ret);
}

int exit_openat(struct tracepoint__syscalls__sys_exit_openat *args)
{
	return trace_exit(args, args->ret);
}
