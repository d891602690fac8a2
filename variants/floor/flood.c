// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flood, the floor's: the same programs (bpf/flood.bpf.c) loaded with libbpf, but the ring read
 * with no library: the consumer and producer positions and the data pages mapped by hand, each
 * record's header read with acquire semantics and the consumer position stored with release,
 * epoll on the map when caught up. The kernel's bench_ringbufs "rb-custom" consumer is the
 * model. What it reads is the ceiling this machine allows a reader; the frameworks' rows are
 * measured against it. Same command line, header, lines and summary as every flood.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "flood.h"
#include "flood.skel.h"
#include "common.h"

static const char *prog = "flood";
static struct flood_tally tally;

struct ring {
	unsigned long *consumer;	/* ours to write */
	const unsigned long *producer;	/* the kernel's */
	const char *data;		/* mapped twice in a row: a record never wraps */
	size_t mask;
};

/* Everything committed so far; the number of records taken. */
static long consume(struct ring *rb)
{
	unsigned long cons = *rb->consumer, prod = __atomic_load_n(rb->producer, __ATOMIC_ACQUIRE);
	long n = 0;

	while (cons < prod) {
		const __u32 *hdr = (const __u32 *)(rb->data + (cons & rb->mask));
		__u32 len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;	/* reserved, not yet committed */
		len &= ~BPF_RINGBUF_DISCARD_BIT;
		if (!(*hdr & BPF_RINGBUF_DISCARD_BIT)) {
			flood_take(&tally, (const char *)hdr + BPF_RINGBUF_HDR_SZ, len);
			n++;
		}
		cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
		__atomic_store_n(rb->consumer, cons, __ATOMIC_RELEASE);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct flood_bpf *skel;
	struct epoll_event ev = {.events = EPOLLIN};
	struct ring rb = {.mask = FLOOD_RING_BYTES - 1};
	long page = sysconf(_SC_PAGESIZE);
	double deadline = 0, end;
	void *cons_map = MAP_FAILED, *prod_map = MAP_FAILED;
	int opt, err, fd, ep = -1;

	while ((opt = next_option(prog, flood_usage, argc, argv, "hfd:")) != -1) {
		switch (opt) {
		case 'f': tally.format = true; break;
		case 'd': deadline = parse_seconds(prog, optarg); break;
		}
	}
	setup_common();

	skel = flood_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	err = flood_bpf__load(skel);
	if (err) {
		report_failure(prog, "loading BPF programs", err);
		goto out;
	}
	fd = bpf_map__fd(skel->maps.records);
	cons_map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	prod_map = mmap(NULL, page + 2 * FLOOD_RING_BYTES, PROT_READ, MAP_SHARED, fd, page);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (cons_map == MAP_FAILED || prod_map == MAP_FAILED || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		report_failure(prog, "mapping the ring buffer", err);
		goto out;
	}
	rb.consumer = cons_map;
	rb.producer = prod_map;
	rb.data = (const char *)prod_map + page;

	printf("SEQ\tTS_NS\tBYTES\n");
	fflush(stdout);
	end = deadline ? now_seconds() + deadline : 0;
	while (!exiting && (!end || now_seconds() < end)) {
		if (consume(&rb) > 0) {
			fflush(stdout);
			continue;
		}
		if (epoll_wait(ep, &ev, 1, 100) < 0 && errno != EINTR) {
			err = -errno;
			report_failure(prog, "waiting on the ring buffer", err);
			goto out;
		}
	}
	consume(&rb);
	fflush(stdout);
	flood_summary(&tally, skel->bss->lost);
out:
	if (ep >= 0)
		close(ep);
	if (prod_map != MAP_FAILED)
		munmap(prod_map, page + 2 * FLOOD_RING_BYTES);
	if (cons_map != MAP_FAILED)
		munmap(cons_map, page);
	flood_bpf__destroy(skel);
	return err ? 1 : 0;
}
