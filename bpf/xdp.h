/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What xdp's kernel side and userspace share: the index of each counter in `counters` and
 * its value. docs/programs.md describes the program.
 */
#ifndef EBPF_FRAMEWORKS_XDP_H
#define EBPF_FRAMEWORKS_XDP_H

/* One counter per L4 protocol; the value is the index in the `counters` array. */
enum xdp_count_proto {
	XDP_COUNT_TCP,
	XDP_COUNT_UDP,
	XDP_COUNT_ICMP,
	XDP_COUNT_ICMPV6,
	XDP_COUNT_OTHER,	/* IPv4 or IPv6 carrying anything else */
	XDP_COUNT_NON_IP,	/* not IPv4 nor IPv6, or too short to tell */
	XDP_COUNT_MAX,
};

struct xdp_counter {
	__u64 packets;
	__u64 bytes;	/* the frame from its Ethernet header on (data_end - data) */
};

#endif
