// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flood: loads flood_small and flood_large without attaching them, then reads their ring
 * buffer with libbpf's ring_buffer__poll until SIGINT, SIGTERM or -d. The records are written
 * when the harness test-runs a program (harness/produce.c); every record's seq is checked, so a
 * record skipped counts as lost.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "flood.h"
#include "flood.skel.h"
#include "common.h"

static const char *prog = "flood";
static const char *usage =
	"usage: flood [-h] [-f] [-d SECONDS]\n"
	"Loads flood_small and flood_large (not attached) and reads the records they write when\n"
	"test-run: SEQ, TS_NS, BYTES.\n"
	"  -h          print this help and exit\n"
	"  -f          print every record as a line (default: count them only)\n"
	"  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM\n";
static bool format;
static unsigned long long records, bytes, gaps, next_seq;

static int handle_record(void *ctx, void *data, size_t size)
{
	const struct flood_record *r = data;

	(void)ctx;
	if (size < sizeof(*r))
		return 0;
	if (r->seq > next_seq)
		gaps += r->seq - next_seq;
	next_seq = r->seq + 1;
	records++;
	bytes += size;
	if (format)
		printf("%llu\t%llu\t%zu\n", (unsigned long long)r->seq, (unsigned long long)r->ts_ns, size);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct flood_bpf *skel;
	double deadline = 0;
	int opt, err;

	while ((opt = next_option(prog, usage, argc, argv, "hfd:")) != -1) {
		switch (opt) {
		case 'f': format = true; break;
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
	rb = ring_buffer__new(bpf_map__fd(skel->maps.records), handle_record, NULL, NULL);
	if (!rb) {
		err = -errno;
		report_failure(prog, "creating the ring buffer reader", err);
		goto out;
	}
	err = poll_until_done(rb, prog, "SEQ\tTS_NS\tBYTES", deadline);
	if (err)
		goto out;
	fprintf(stderr, "records=%llu bytes=%llu lost=%llu\n", records, bytes,
		gaps + (unsigned long long)skel->bss->lost);
out:
	ring_buffer__free(rb);
	flood_bpf__destroy(skel);
	return err ? 1 : 0;
}
