/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event layouts shared by every C-family variant (kernel side and userspace).
 * docs/programs.md describes these layouts; rust-aya mirrors them with #[repr(C)] types.
 */
#ifndef EBPF_FRAMEWORKS_EVENTS_H
#define EBPF_FRAMEWORKS_EVENTS_H

#define TASK_COMM_LEN 16
#define HELLO_MSG_LEN 12
#define FNAME_LEN 256
#define RINGBUF_BYTES (256 * 1024)
/* -B, batched wakeups (docs/programs.md, "Wakeups"): the backlog that wakes the reader, a quarter
 * of the ring, and the longest the reader waits before it takes what the ring holds anyway. */
#define WAKEUP_BATCH_BYTES (RINGBUF_BYTES / 4)
#define WAKEUP_WAIT_MS 50
#define START_ENTRIES 10240

struct hello_event {
	__u32 pid;
	__u32 ppid;	/* task->real_parent->tgid: a field access relocated for the running kernel */
	__u32 uid;
	char comm[TASK_COMM_LEN];
	char message[HELLO_MSG_LEN];
};

struct open_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[TASK_COMM_LEN];
	char fname[FNAME_LEN];
};

#endif
