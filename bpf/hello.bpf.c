// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "wakeup.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keeps struct hello_event in the object's BTF, which otherwise holds only the types of
 * globals, maps and programs: bpf2go (-type hello_event) generates go-ebpf's Go type from it. */
const struct hello_event *unused_hello_event __attribute__((unused));

/* Failed ring-buffer reservations, read by userspace at exit. */
__u64 drops = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int hello_execve(struct trace_event_raw_sys_enter *ctx)
{
	static const char msg[HELLO_MSG_LEN] = "Hello World";
	struct task_struct *task;
	struct hello_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return 0;
	}
	e->pid = bpf_get_current_pid_tgid() >> 32;
	/* The offsets of real_parent in task_struct and of tgid differ between kernels (and
	 * configurations): BPF_CORE_READ records CO-RE relocations that libbpf (or cilium/ebpf)
	 * resolves against the running kernel's BTF at load time. */
	task = (struct task_struct *)bpf_get_current_task();
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->message, msg, sizeof(msg));
	bpf_ringbuf_submit(e, wakeup_flags(&events, sizeof(*e)));
	return 0;
}
