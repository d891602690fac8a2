// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flood in BCC's C dialect, compiled at run time by libbcc, for every BCC-based variant: the
 * same two programs, ring buffer and records as ../flood.bpf.c (see there for why wakeups are
 * batched), with the same bpf/flood.h. Nothing attaches them: the variant loads each as an XDP
 * program (BPF.load_func(name, BPF.XDP)) and the harness test-runs them by id
 * (harness/produce.c), FLOOD_BATCH records per run. One producer at a time, so no atomics.
 *
 * Two things BCC 0.26 (Debian's) does differently:
 * - No global data: next_seq and lost, the .bss of ../flood.bpf.c, are the one slot of the
 *   array map flood_state; the reader reads lost from it at exit.
 * - No ring-buffer query. Its ring-buffer table has reserve, submit, discard and output, and
 *   `.ringbuf_query` only comes with BCC 0.28; nor does libbcc's rewriter give a map's fd to
 *   `&records` in a helper's argument (it compiles to a null pointer, which the verifier refuses:
 *   "R1 type=scalar expected=map_ptr"). A map pointer a BCC program can hold is one looked up in
 *   a map of maps, so flood_rings, an array of maps of one slot, holds records itself, and the
 *   query is asked of what its lookup returns. The reader puts records' fd in slot 0 before it
 *   says it is ready; until then, a run writes nothing and returns XDP_ABORTED (records the
 *   producer asked for and nobody accounts for, so the harness's check fails loudly).
 */
#include "flood.h"

BPF_RINGBUF_OUTPUT(records, FLOOD_RING_BYTES / 4096);	/* in pages: 1 MiB */

struct flood_state {
	u64 next_seq;	/* the next record's seq: taken only by a record that got its space */
	u64 lost;	/* reservations the full ring refused: records never written */
};
BPF_ARRAY(flood_state, struct flood_state, 1);
BPF_ARRAY_OF_MAPS(flood_rings, "records", 1);	/* slot 0: records, for bpf_ringbuf_query */

static __always_inline int flood(const u32 bytes)
{
	/* What one record takes in the ring: an 8-byte header, the record, rounded up to 8. */
	const u64 stride = (bytes + 8 + 7) & ~7ULL;
	u64 waiting;
	int zero = 0;
	struct flood_state *st = flood_state.lookup(&zero);
	void *ring = flood_rings.lookup(&zero);

	if (!st || !ring)
		return XDP_ABORTED;
	for (int i = 0; i < FLOOD_BATCH; i++) {
		struct flood_record *r = records.ringbuf_reserve(bytes);

		if (!r) {
			st->lost++;
			continue;
		}
		r->seq = st->next_seq++;
		r->ts_ns = bpf_ktime_get_ns();
		/* This record included: wake the reader only as the backlog crosses a quarter. */
		waiting = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		records.ringbuf_submit(r, waiting >= FLOOD_QUARTER && waiting - stride < FLOOD_QUARTER ?
					  BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	}
	return XDP_PASS;
}

int flood_small(struct xdp_md *ctx)
{
	return flood(FLOOD_SMALL_BYTES);
}

int flood_large(struct xdp_md *ctx)
{
	return flood(FLOOD_LARGE_BYTES);
}
