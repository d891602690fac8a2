/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wakeup policy of hello and opensnoop (docs/programs.md, "Wakeups"), for the C kernel side
 * (after vmlinux.h and bpf_helpers.h).
 *
 * wakeup_bytes is a read-only global: 0 (the default) submits every record with flags 0, and the
 * kernel wakes the reader whenever the record finds it waiting: an irq_work, and an IPI to the
 * reader's CPU, per record when the reader keeps up. With -B, userspace sets it to
 * WAKEUP_BATCH_BYTES before the load: records go in with BPF_RB_NO_WAKEUP, but for the one with
 * which the backlog crosses wakeup_bytes, which goes in with BPF_RB_FORCE_WAKEUP; the reader
 * polls on a timeout of WAKEUP_WAIT_MS and takes what waits, signalled or not. The verifier sees
 * the constant, so the default mode's programs carry no query at all.
 */
#ifndef EBPF_FRAMEWORKS_WAKEUP_H
#define EBPF_FRAMEWORKS_WAKEUP_H

#include "events.h"

const volatile __u32 wakeup_bytes = 0;

/*
 * The flags to submit a record of `size` bytes with, once it is reserved in `ring`. The backlog
 * (BPF_RB_AVAIL_DATA: the producer position, which the reservation moved, less the consumer's)
 * includes the record; one record is 8 bytes of header and its size rounded up to 8.
 */
static __always_inline __u64 wakeup_flags(void *ring, __u32 size)
{
	__u64 waiting, stride = (size + 8 + 7) & ~7ULL;

	if (!wakeup_bytes)
		return 0;
	waiting = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	return waiting >= wakeup_bytes && waiting - stride < wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

#endif
