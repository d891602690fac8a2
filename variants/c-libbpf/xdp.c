// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * xdp: packets and bytes per L4 protocol, counted by an XDP program. --test and --bench run it
 * on frames built here, through BPF_PROG_TEST_RUN (nothing attached); --attach counts what an
 * interface receives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdp.h"
#include "xdp.skel.h"
#include "common.h"

static const char *prog = "xdp";
static const char *usage =
	"usage: xdp --test | --bench [N] | --attach IFACE [-d SECONDS] | -h\n"
	"Packets and bytes per L4 protocol (tcp, udp, icmp, icmpv6, other IP, non-ip), counted at XDP.\n"
	"  --test          run the program on built-in frames (BPF_PROG_TEST_RUN, nothing attached)\n"
	"                  and check each verdict and the counters; exit 1 if a check fails\n"
	"  --bench [N]     run each built-in frame N times (default 1000000):\n"
	"                  FRAME, REPEAT, NS_PER_RUN as the kernel measured it\n"
	"  --attach IFACE  count what IFACE receives until SIGINT or SIGTERM, then print\n"
	"                  PROTO, PACKETS, BYTES and detach\n"
	"  -d SECONDS      with --attach: stop after SECONDS (decimals allowed)\n"
	"  -h              print this help and exit\n";

static const char *proto_names[XDP_COUNT_MAX] = {
	[XDP_COUNT_TCP] = "tcp",	[XDP_COUNT_UDP] = "udp",	[XDP_COUNT_ICMP] = "icmp",
	[XDP_COUNT_ICMPV6] = "icmpv6",	[XDP_COUNT_OTHER] = "other",	[XDP_COUNT_NON_IP] = "non-ip",
};

enum mode { MODE_NONE, MODE_TEST, MODE_BENCH, MODE_ATTACH };

/* ------------------------------------------------------------------------------------------ */
/* The built-in frames. */

#define FRAME_MAX 128
/*
 * The fifth frame is too short for what it announces: an Ethernet header saying IPv4, then 10
 * bytes of the 20 of an IPv4 header. A frame shorter than the Ethernet header itself cannot be
 * fed to the program this way: BPF_PROG_TEST_RUN refuses XDP input under ETH_HLEN (14) bytes,
 * and on 6.18 even behind XDP metadata.
 */
#define TRUNCATED_IP_LEN 10
#define PAYLOAD "xdp-test"

struct frame {
	const char *name;
	__u32 proto;	/* the counter it must land in */
	__u32 len;
	unsigned char buf[FRAME_MAX];
};

static void put(struct frame *f, const void *bytes, size_t n)
{
	memcpy(f->buf + f->len, bytes, n);
	f->len += n;
}

static void put_eth(struct frame *f, __u16 proto)
{
	struct ethhdr eth = {
		.h_dest = { 0x02, 0, 0, 0, 0, 0x02 },
		.h_source = { 0x02, 0, 0, 0, 0, 0x01 },
		.h_proto = htons(proto),
	};

	put(f, &eth, sizeof(eth));
}

static __u16 ip_checksum(const void *hdr, size_t n)
{
	const __u16 *w = hdr;
	__u32 sum = 0;

	for (; n > 1; n -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void put_ipv4(struct frame *f, __u8 proto, size_t l4_len)
{
	struct iphdr ip = {
		.version = 4,
		.ihl = 5,
		.tot_len = htons(sizeof(ip) + l4_len),
		.ttl = 64,
		.protocol = proto,
		.saddr = htonl(0xc0000201),	/* 192.0.2.1 */
		.daddr = htonl(0xc0000202),	/* 192.0.2.2 */
	};

	ip.check = ip_checksum(&ip, sizeof(ip));
	put(f, &ip, sizeof(ip));
}

static void put_ipv6(struct frame *f, __u8 nexthdr, size_t l4_len)
{
	struct ipv6hdr ip6 = {
		.version = 6,
		.payload_len = htons(l4_len),
		.nexthdr = nexthdr,
		.hop_limit = 64,
	};

	inet_pton(AF_INET6, "2001:db8::1", &ip6.saddr);
	inet_pton(AF_INET6, "2001:db8::2", &ip6.daddr);
	put(f, &ip6, sizeof(ip6));
}

static void put_udp(struct frame *f)
{
	struct udphdr udp = {
		.source = htons(40000),
		.dest = htons(53),
		.len = htons(sizeof(udp) + strlen(PAYLOAD)),
	};

	put(f, &udp, sizeof(udp));
	put(f, PAYLOAD, strlen(PAYLOAD));
}

static void put_tcp_syn(struct frame *f)
{
	struct tcphdr tcp = {
		.source = htons(40000),
		.dest = htons(80),
		.seq = htonl(1),
		.doff = 5,
		.syn = 1,
		.window = htons(65535),
	};

	put(f, &tcp, sizeof(tcp));
}

static void put_icmp_echo(struct frame *f)
{
	struct icmphdr icmp = { .type = ICMP_ECHO, .un.echo = { .id = htons(1), .sequence = htons(1) } };

	put(f, &icmp, sizeof(icmp));
	put(f, PAYLOAD, strlen(PAYLOAD));
}

#define N_FRAMES 5

static void build_frames(struct frame *fr)
{
	const size_t udp_len = sizeof(struct udphdr) + strlen(PAYLOAD);
	const size_t icmp_len = sizeof(struct icmphdr) + strlen(PAYLOAD);
	struct frame *f;

	memset(fr, 0, N_FRAMES * sizeof(*fr));
	f = &fr[0];
	*f = (struct frame){ .name = "ipv4-tcp", .proto = XDP_COUNT_TCP };
	put_eth(f, ETH_P_IP);
	put_ipv4(f, IPPROTO_TCP, sizeof(struct tcphdr));
	put_tcp_syn(f);

	f = &fr[1];
	*f = (struct frame){ .name = "ipv4-udp", .proto = XDP_COUNT_UDP };
	put_eth(f, ETH_P_IP);
	put_ipv4(f, IPPROTO_UDP, udp_len);
	put_udp(f);

	f = &fr[2];
	*f = (struct frame){ .name = "ipv6-udp", .proto = XDP_COUNT_UDP };
	put_eth(f, ETH_P_IPV6);
	put_ipv6(f, IPPROTO_UDP, udp_len);
	put_udp(f);

	f = &fr[3];
	*f = (struct frame){ .name = "ipv4-icmp", .proto = XDP_COUNT_ICMP };
	put_eth(f, ETH_P_IP);
	put_ipv4(f, IPPROTO_ICMP, icmp_len);
	put_icmp_echo(f);

	/* Cut inside its IPv4 header: counted as non-ip (too short), passed untouched. */
	f = &fr[4];
	*f = (struct frame){ .name = "ipv4-truncated", .proto = XDP_COUNT_NON_IP };
	put_eth(f, ETH_P_IP);
	put_ipv4(f, IPPROTO_UDP, udp_len);
	f->len = ETH_HLEN + TRUNCATED_IP_LEN;
}

/* ------------------------------------------------------------------------------------------ */

/*
 * One BPF_PROG_TEST_RUN of a frame, `repeat` times. *same is whether the frame came back
 * byte for byte as it went in. 0 or a negative errno.
 */
static int run_frame(int prog_fd, const struct frame *f, int repeat, __u32 *retval, __u32 *duration,
		     bool *same)
{
	unsigned char out[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f->buf,
		.data_size_in = f->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = repeat,
	);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return err;
	*retval = opts.retval;
	*duration = opts.duration;
	*same = opts.data_size_out == f->len && !memcmp(out, f->buf, f->len);
	return 0;
}

/* The sum over every CPU of each counter. 0 or a negative errno. */
static int read_counters(const struct bpf_map *map, struct xdp_counter sum[XDP_COUNT_MAX])
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	struct xdp_counter *per_cpu;
	__u32 key;
	int cpu;

	if (ncpus < 0)
		return ncpus;
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	memset(sum, 0, XDP_COUNT_MAX * sizeof(*sum));
	for (key = 0; key < XDP_COUNT_MAX && !err; key++) {
		err = bpf_map__lookup_elem(map, &key, sizeof(key), per_cpu, ncpus * sizeof(*per_cpu), 0);
		for (cpu = 0; cpu < ncpus && !err; cpu++) {
			sum[key].packets += per_cpu[cpu].packets;
			sum[key].bytes += per_cpu[cpu].bytes;
		}
	}
	free(per_cpu);
	return err;
}

/* --test: every frame once; each must pass untouched and the counters must add up. */
static int self_test(struct xdp_bpf *skel)
{
	int prog_fd = bpf_program__fd(skel->progs.xdp_count);
	struct xdp_counter want[XDP_COUNT_MAX] = {}, got[XDP_COUNT_MAX];
	struct frame frames[N_FRAMES];
	char reason[256] = "";
	__u32 retval, duration;
	bool same, ok;
	int i, err;

	build_frames(frames);
	for (i = 0; i < N_FRAMES; i++) {
		const struct frame *f = &frames[i];

		err = run_frame(prog_fd, f, 1, &retval, &duration, &same);
		if (err) {
			fprintf(stderr, "%s: BPF_PROG_TEST_RUN of frame %s failed: %s\n", prog, f->name,
				strerror(-err));
			return 1;
		}
		ok = retval == XDP_PASS && same;
		printf("frame\t%s\t%u\t%u\t%s\n", f->name, f->len, retval, ok ? "ok" : "FAIL");
		if (!ok && !reason[0])
			snprintf(reason, sizeof(reason), "frame %s: %s", f->name,
				 retval != XDP_PASS ? "verdict is not XDP_PASS (2)" : "changed by the program");
		want[f->proto].packets++;
		want[f->proto].bytes += f->len;
	}

	err = read_counters(skel->maps.counters, got);
	if (err) {
		report_failure(prog, "reading the counters", err);
		return 1;
	}
	for (i = 0; i < XDP_COUNT_MAX; i++) {
		ok = got[i].packets == want[i].packets && got[i].bytes == want[i].bytes;
		printf("counter\t%s\t%llu\t%llu\t%s\n", proto_names[i], (unsigned long long)got[i].packets,
		       (unsigned long long)got[i].bytes, ok ? "ok" : "FAIL");
		if (!ok && !reason[0])
			snprintf(reason, sizeof(reason), "counter %s: %llu packets, %llu bytes; want %llu, %llu",
				 proto_names[i], (unsigned long long)got[i].packets,
				 (unsigned long long)got[i].bytes, (unsigned long long)want[i].packets,
				 (unsigned long long)want[i].bytes);
	}
	fflush(stdout);
	if (reason[0]) {
		fprintf(stderr, "%s: %s\n", prog, reason);
		return 1;
	}
	return 0;
}

/* --bench N: every frame N times; the kernel's own average per run. */
static int bench(struct xdp_bpf *skel, int repeat)
{
	int prog_fd = bpf_program__fd(skel->progs.xdp_count);
	struct frame frames[N_FRAMES];
	__u32 retval, duration;
	bool same;
	int i, err;

	build_frames(frames);
	printf("FRAME\tREPEAT\tNS_PER_RUN\n");
	for (i = 0; i < N_FRAMES; i++) {
		err = run_frame(prog_fd, &frames[i], repeat, &retval, &duration, &same);
		if (err) {
			fprintf(stderr, "%s: BPF_PROG_TEST_RUN of frame %s failed: %s\n", prog,
				frames[i].name, strerror(-err));
			return 1;
		}
		if (retval != XDP_PASS) {
			fprintf(stderr, "%s: frame %s: verdict %u, not XDP_PASS (2)\n", prog, frames[i].name,
				retval);
			return 1;
		}
		printf("%s\t%d\t%u\n", frames[i].name, repeat, duration);
		fflush(stdout);
	}
	return 0;
}

/* Which hook the kernel put the program on: the driver's (native) or the generic one. */
static const char *attach_mode(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(prog_fd, &info, &len) || bpf_xdp_query(ifindex, 0, &q))
		return "unknown";
	if (q.drv_prog_id == info.id)
		return "native";
	if (q.skb_prog_id == info.id)
		return "generic";
	return "unknown";
}

/* --attach IFACE: count until SIGINT, SIGTERM or -d, print the counters, detach. */
static int attach_and_count(struct xdp_bpf *skel, const char *iface, int ifindex, double seconds)
{
	int prog_fd = bpf_program__fd(skel->progs.xdp_count), link_fd = -1, i, err;
	LIBBPF_OPTS(bpf_link_create_opts, generic, .flags = XDP_FLAGS_SKB_MODE);
	struct xdp_counter got[XDP_COUNT_MAX];
	struct bpf_link *link;
	const char *mode;
	double deadline;

	/* A link, so that closing it (or the process ending) detaches. With no mode flag the
	 * kernel takes the driver's hook where there is one, the generic one otherwise. */
	link = bpf_program__attach_xdp(skel->progs.xdp_count, ifindex);
	if (link) {
		skel->links.xdp_count = link;	/* destroyed with the skeleton */
	} else {
		err = errno;
		/* The driver refused (an MTU too large for its XDP, say): the generic hook, still as a
		 * link, whose fd is closed at exit. */
		link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &generic);
		if (link_fd < 0) {
			fprintf(stderr, "%s: attaching XDP to %s failed: %s (generic mode: %s)\n", prog, iface,
				strerror(err), strerror(errno));
			return 1;
		}
	}
	mode = attach_mode(ifindex, prog_fd);

	printf("PROTO\tPACKETS\tBYTES\n");
	fflush(stdout);
	deadline = seconds ? now_seconds() + seconds : 0;
	while (!exiting && (!deadline || now_seconds() < deadline))
		usleep(50 * 1000);

	err = read_counters(skel->maps.counters, got);
	if (link_fd >= 0)
		close(link_fd);
	if (err) {
		report_failure(prog, "reading the counters", err);
		return 1;
	}
	for (i = 0; i < XDP_COUNT_MAX; i++)
		printf("%s\t%llu\t%llu\n", proto_names[i], (unsigned long long)got[i].packets,
		       (unsigned long long)got[i].bytes);
	fflush(stdout);
	fprintf(stderr, "mode=%s\n", mode);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */

static void usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s\n", prog, what, arg);
	exit(2);
}

static int parse_repeat(const char *arg)
{
	unsigned long v;

	if (!*arg || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 10)
		usage_error("invalid repeat count: ", arg);
	v = strtoul(arg, NULL, 10);
	if (v < 1 || v > 0x7fffffff)
		usage_error("invalid repeat count: ", arg);
	return v;
}

int main(int argc, char **argv)
{
	enum mode mode = MODE_NONE;
	const char *iface = NULL;
	struct xdp_bpf *skel;
	int repeat = 1000000, ifindex = 0, opt, err;
	double deadline = 0;

	/* The mode word first, then its operand, then options (getopt(3), as hello's). */
	if (argc > 1 && !strcmp(argv[1], "--test"))
		mode = MODE_TEST;
	else if (argc > 1 && !strcmp(argv[1], "--bench"))
		mode = MODE_BENCH;
	else if (argc > 1 && !strcmp(argv[1], "--attach"))
		mode = MODE_ATTACH;
	else if (argc > 1 && !strncmp(argv[1], "--", 2))
		usage_error("unknown mode: ", argv[1]);
	optind = mode == MODE_NONE ? 1 : 2;
	if (mode == MODE_BENCH && optind < argc && argv[optind][0] != '-')
		repeat = parse_repeat(argv[optind++]);
	if (mode == MODE_ATTACH) {
		if (optind >= argc || argv[optind][0] == '-')
			usage_error("missing interface after ", "--attach");
		iface = argv[optind++];
		if (strlen(iface) >= IF_NAMESIZE)
			usage_error("invalid interface name: ", iface);
	}
	while ((opt = next_option(prog, usage, argc, argv, mode == MODE_ATTACH ? "hd:" : "h")) != -1)
		deadline = parse_seconds(prog, optarg);
	if (mode == MODE_NONE)
		usage_error("missing mode: ", "--test, --bench [N] or --attach IFACE");
	setup_common();

	if (mode == MODE_ATTACH) {
		ifindex = if_nametoindex(iface);
		if (!ifindex) {
			fprintf(stderr, "%s: no interface %s: %s\n", prog, iface, strerror(errno));
			return 1;
		}
	}
	skel = xdp_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	err = xdp_bpf__load(skel);
	if (err) {
		report_failure(prog, "loading the BPF program", err);
		xdp_bpf__destroy(skel);
		return 1;
	}
	if (mode == MODE_TEST)
		err = self_test(skel);
	else if (mode == MODE_BENCH)
		err = bench(skel, repeat);
	else
		err = attach_and_count(skel, iface, ifindex, deadline);
	xdp_bpf__destroy(skel);
	return err;
}
