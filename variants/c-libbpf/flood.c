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
static struct flood_tally tally;

static int handle_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	flood_take(&tally, data, size);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct flood_bpf *skel;
	double deadline = 0;
	int opt, err;

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
	rb = ring_buffer__new(bpf_map__fd(skel->maps.records), handle_record, NULL, NULL);
	if (!rb) {
		err = -errno;
		report_failure(prog, "creating the ring buffer reader", err);
		goto out;
	}
	err = poll_until_done(rb, prog, "SEQ\tTS_NS\tBYTES", deadline, false);
	if (err)
		goto out;
	flood_summary(&tally, skel->bss->lost);
out:
	ring_buffer__free(rb);
	flood_bpf__destroy(skel);
	return err ? 1 : 0;
}
