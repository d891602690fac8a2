// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Modelled on libbpf-tools' opensnoop: syscall tracepoints only (no kprobes here). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"
#include "wakeup.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keeps struct open_event in the object's BTF, which otherwise holds only the types of
 * globals, maps and programs: bpf2go (-type open_event) generates go-ebpf's Go type from it. */
const struct open_event *unused_open_event __attribute__((unused));

/* Filters, rewritten by userspace before load. */
const volatile __u32 targ_tgid = 0;          /* 0: every process */
const volatile __u32 targ_uid = (__u32)-1;   /* -1: every user */
const volatile bool targ_failed = false;     /* only opens that failed */

/* Failed ring-buffer reservations, read by userspace at exit. */
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

static __always_inline bool trace_allowed(__u32 tgid)
{
	if (targ_tgid && targ_tgid != tgid)
		return false;
	if (targ_uid != (__u32)-1 && targ_uid != (__u32)bpf_get_current_uid_gid())
		return false;
	return true;
}

static __always_inline int trace_enter(const char *fname, __s32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args_t args = {};

	if (!trace_allowed(id >> 32))
		return 0;
	args.fname = fname;
	args.flags = flags;
	bpf_map_update_elem(&start, &tid, &args, 0);
	return 0;
}

static __always_inline int trace_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args_t *ap;
	struct open_event *e;
	__s32 ret;

	ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0;
	ret = (__s32)ctx->ret;
	if (targ_failed && ret >= 0)
		goto cleanup;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		goto cleanup;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = ap->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), ap->fname);
	bpf_ringbuf_submit(e, wakeup_flags(&events, sizeof(*e)));
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return trace_enter((const char *)ctx->args[0], (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return trace_enter((const char *)ctx->args[1], (__s32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx);
}
