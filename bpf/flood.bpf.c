// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flood: records into a ring buffer as fast as the kernel can write them, for the reader
 * capacity figures. Nothing attaches these programs: the harness runs them with
 * BPF_PROG_TEST_RUN and a large repeat (harness/produce.c), FLOOD_BATCH records per run, while
 * the variant's reader takes them. One producer at a time (test runs on one CPU), so the
 * sequence needs no atomics.
 *
 * Wakeups are batched: a record is submitted with BPF_RB_NO_WAKEUP, except the one with which
 * the backlog crosses a quarter of the ring (BPF_RB_FORCE_WAKEUP). With the default (wake the
 * reader whenever it has caught up) a fast reader is woken for nearly every record, and each
 * wakeup (irq_work, an IPI, a VM exit here) costs the producer about 10 us: the figure would be
 * the kernel's wakeup, not the reader (measured on this machine: 7.7 us per run of 16 records
 * with the default, 1.0 us batched). Forcing a wakeup for every record while a quarter waits
 * is no better: a reader slower than the producer keeps it there, and the wakeups then slow
 * the producer down to the reader's pace, so that nothing is lost and the reader's limit looks
 * like the producer's. A reader that is behind needs no wakeup: its poll finds data waiting.
 * What is left below a quarter at the end is read when the reader drains at exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "flood.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOOD_RING_BYTES);
} records SEC(".maps");

__u64 next_seq = 0;	/* the next record's seq: taken only by a record that got its space */
__u64 lost = 0;		/* reservations the full ring refused: records never written */

static __always_inline int flood(const __u32 bytes)
{
	/* What one record takes in the ring: an 8-byte header, the record, rounded up to 8. */
	const __u64 stride = (bytes + 8 + 7) & ~7ULL;

	for (int i = 0; i < FLOOD_BATCH; i++) {
		struct flood_record *r = bpf_ringbuf_reserve(&records, bytes, 0);
		__u64 waiting;

		if (!r) {
			lost++;
			continue;
		}
		r->seq = next_seq++;
		r->ts_ns = bpf_ktime_get_ns();
		/* This record included: wake the reader only as the backlog crosses a quarter. */
		waiting = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA);
		bpf_ringbuf_submit(r, waiting >= FLOOD_QUARTER && waiting - stride < FLOOD_QUARTER ?
					  BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	}
	return XDP_PASS;
}

SEC("xdp")
int flood_small(struct xdp_md *ctx)
{
	return flood(FLOOD_SMALL_BYTES);
}

SEC("xdp")
int flood_large(struct xdp_md *ctx)
{
	return flood(FLOOD_LARGE_BYTES);
}
