/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * flood: the records its two programs write, shared by the kernel side and every C-family
 * reader (docs/programs.md, "flood"); rust-aya mirrors them.
 */
#ifndef EBPF_FRAMEWORKS_FLOOD_H
#define EBPF_FRAMEWORKS_FLOOD_H

#define FLOOD_BATCH 16			/* records written by one run of a program */
#define FLOOD_SMALL_BYTES 16		/* flood_small's record: seq and ts_ns, no payload */
#define FLOOD_LARGE_BYTES 304		/* flood_large's: opensnoop's event size, sizeof(struct open_event) */
#define FLOOD_RING_BYTES (1024 * 1024)
#define FLOOD_QUARTER (FLOOD_RING_BYTES / 4)	/* the backlog at which the reader is woken */

/* The head of every record; flood_large's carries FLOOD_LARGE_BYTES - 16 bytes of payload. */
struct flood_record {
	__u64 seq;	/* 0, 1, 2... in the order written, over both programs */
	__u64 ts_ns;	/* bpf_ktime_get_ns() when written */
};

#endif
