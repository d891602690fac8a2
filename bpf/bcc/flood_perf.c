// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flood in BCC's C dialect with a perf buffer, for go-gobpf: gobpf's bcc package reads perf
 * buffers only (InitPerfMap), it has no ring-buffer API. The same two programs as flood.c and
 * ../flood.bpf.c, with the same records (bpf/flood.h) and the same flood_state; only the buffer
 * differs. Nothing attaches them: the variant loads each as an XDP program and the harness
 * test-runs them by id (harness/produce.c), FLOOD_BATCH records per run. One producer at a
 * time, so no atomics.
 *
 * What the perf buffer changes:
 * - records is a BPF_MAP_TYPE_PERF_EVENT_ARRAY: one buffer per CPU, whose size the reader
 *   chooses when it opens it, and a record goes to the buffer of the CPU that writes it. The
 *   producer runs on one CPU, so seq keeps its order in that CPU's buffer.
 * - No reservation: a record is built on the stack (304 bytes fit in the 512 of the BPF stack)
 *   and perf_submit copies it; it fails (-ENOSPC) when the CPU's buffer has no room. That
 *   record is lost and has taken no seq, so a refusal leaves no gap in the sequence.
 * - No wakeup control: perf_submit has no wakeup flags. When the reader is woken is set on
 *   its side, by the perf event behind each buffer (libbcc's bpf_open_perf_buffer: every
 *   sample). So there is no query and no flood_rings.
 * - The harness's producer has no ring positions to read for a perf buffer: it counts the
 *   records written by the move of next_seq, the first u64 of slot 0 of flood_state, so the
 *   map's name and layout are flood.c's and must stay so.
 */
#include "flood.h"

BPF_PERF_OUTPUT(records);

struct flood_state {
	u64 next_seq;	/* the next record's seq: taken only by a record perf_submit accepted */
	u64 lost;	/* records perf_submit refused (the CPU's buffer full): never written */
};
BPF_ARRAY(flood_state, struct flood_state, 1);

/* The largest record, flood_large's: its head, then a payload of zeros never read. */
struct flood_large_record {
	struct flood_record head;
	u8 payload[FLOOD_LARGE_BYTES - sizeof(struct flood_record)];
};

static __always_inline int flood(struct xdp_md *ctx, const u32 bytes)
{
	struct flood_large_record rec;
	int zero = 0;
	struct flood_state *st = flood_state.lookup(&zero);

	if (!st)
		return XDP_ABORTED;
	/* perf_submit copies bytes of rec, and the verifier lets no helper read uninitialised
	 * stack: flood_large's payload is zeroed once per run (bytes is a constant here). */
	if (bytes > sizeof(rec.head))
		__builtin_memset(rec.payload, 0, sizeof(rec.payload));
	for (int i = 0; i < FLOOD_BATCH; i++) {
		rec.head.seq = st->next_seq;
		rec.head.ts_ns = bpf_ktime_get_ns();
		if (records.perf_submit(ctx, &rec, bytes) == 0)
			st->next_seq++;
		else
			st->lost++;
	}
	return XDP_PASS;
}

int flood_small(struct xdp_md *ctx)
{
	return flood(ctx, FLOOD_SMALL_BYTES);
}

int flood_large(struct xdp_md *ctx)
{
	return flood(ctx, FLOOD_LARGE_BYTES);
}
