// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The wakeup policy of hello and opensnoop (docs/programs.md, "Wakeups") in BCC's C dialect,
 * included after the ring buffer `events` is declared. BCC has no global data, so the threshold
 * is a -D define of the run-time compile, as the filters are:
 *   WAKEUP_BYTES=N  -B: wake the reader only as the backlog crosses N bytes (WAKEUP_BATCH_BYTES)
 *                   default 0: flags 0 for every record, the kernel's own wakeup
 * BCC 0.26 has no ring-buffer query of its own, and its rewriter gives `&events` no map fd in a
 * helper's argument (see flood.c), so the query is asked of the map that slot 0 of
 * event_rings, an array of maps, holds: the reader puts events' fd there before it says it is
 * ready. Until it has, every record is submitted with flags 0: woken as by default, never late.
 * The lookup itself is written in each program's own file: BCC rewrites a map's methods
 * (event_rings.lookup) only there, neither in an included file nor in a macro's expansion.
 */
#ifndef WAKEUP_BYTES
#define WAKEUP_BYTES 0
#endif

#if WAKEUP_BYTES
BPF_ARRAY_OF_MAPS(event_rings, "events", 1);

/* What the query says of the ring once a record of `size` bytes is reserved in it (a null ring:
 * event_rings not filled yet, flags 0). A helper call, which BCC compiles in an included file. */
static __always_inline u64 wakeup_flags_of(void *ring, u32 size)
{
	const u64 stride = (size + 8 + 7) & ~7ULL;
	u64 waiting;

	if (!ring)
		return 0;
	waiting = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	return waiting >= WAKEUP_BYTES && waiting - stride < WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}
#endif
