// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xdp: packets and bytes per L4 protocol at the earliest receive hook; every frame passes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Macros of the uapi headers, which vmlinux.h does not carry. */
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define IPPROTO_HOPOPTS	0
#define IPPROTO_ROUTING	43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6	58
#define IPPROTO_DSTOPTS	60
#define IPV6_EXT_MAX	4	/* extension headers skipped before giving up (counted as other) */

/* Per-CPU, so the program adds without atomics; userspace sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_COUNT_MAX);
	__type(key, __u32);
	__type(value, struct xdp_counter);
} counters SEC(".maps");

static __always_inline __u32 l4_index(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return XDP_COUNT_TCP;
	case IPPROTO_UDP:
		return XDP_COUNT_UDP;
	case IPPROTO_ICMP:
		return XDP_COUNT_ICMP;
	case IPPROTO_ICMPV6:
		return XDP_COUNT_ICMPV6;
	default:
		return XDP_COUNT_OTHER;
	}
}

static __always_inline __u32 parse_ipv4(void *l3, void *data_end)
{
	struct iphdr *iph = l3;

	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_COUNT_NON_IP;
	return l4_index(iph->protocol);
}

static __always_inline __u32 parse_ipv6(void *l3, void *data_end)
{
	struct ipv6hdr *ip6h = l3;
	struct ipv6_opt_hdr *opt;
	void *cur = ip6h + 1;
	__u8 nexthdr;
	int i;

	if (cur > data_end)
		return XDP_COUNT_NON_IP;
	nexthdr = ip6h->nexthdr;
	/* Hop-by-hop (MLD), routing, fragment and destination options come before L4. */
#pragma unroll
	for (i = 0; i < IPV6_EXT_MAX; i++) {
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_FRAGMENT && nexthdr != IPPROTO_DSTOPTS)
			break;
		opt = cur;
		if ((void *)(opt + 1) > data_end)
			return XDP_COUNT_OTHER;
		/* A fragment header is 8 bytes; the others give their length in 8-byte units. */
		cur += nexthdr == IPPROTO_FRAGMENT ? 8 : (opt->hdrlen + 1) * 8;
		nexthdr = opt->nexthdr;
	}
	return l4_index(nexthdr);
}

static __always_inline __u32 classify(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vlan;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > data_end)
		return XDP_COUNT_NON_IP;
	proto = eth->h_proto;
	/* One VLAN tag, 802.1Q or 802.1ad. */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		vlan = l3;
		if ((void *)(vlan + 1) > data_end)
			return XDP_COUNT_NON_IP;
		proto = vlan->h_vlan_encapsulated_proto;
		l3 = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(l3, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(l3, data_end);
	return XDP_COUNT_NON_IP;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = classify(data, data_end);
	struct xdp_counter *c;

	c = bpf_map_lookup_elem(&counters, &key);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}
