// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * opensnoop, floor: attaches empty programs to the four open/openat tracepoints and prints
 * nothing. The CLI is parsed and validated like c-libbpf's so the harness drives both the
 * same way; the filters have nothing to filter.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "opensnoop.skel.h"
#include "floor.h"

static const char *prog = "opensnoop";

int main(int argc, char **argv)
{
	struct opensnoop_bpf *skel;
	double seconds = 0;
	int opt, err;

	while ((opt = getopt(argc, argv, "p:u:xn:d:")) != -1) {
		switch (opt) {
		case 'p': parse_id(prog, "PID", optarg); break;
		case 'u': parse_id(prog, "UID", optarg); break;
		case 'x': case 'n': break;
		case 'd': seconds = parse_seconds(prog, optarg); break;
		default:
			fprintf(stderr, "usage: %s [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]\n", prog);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
		return 2;
	}
	setup_common();

	skel = opensnoop_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	err = opensnoop_bpf__load(skel);
	if (err) {
		report_failure(prog, "loading BPF programs", err);
		goto out;
	}
	err = opensnoop_bpf__attach(skel);
	if (err) {
		report_failure(prog, "attaching the syscalls open/openat tracepoints", err);
		goto out;
	}
	floor_run("PID\tCOMM\tFD\tERR\tPATH", seconds);
out:
	opensnoop_bpf__destroy(skel);
	return err ? 1 : 0;
}
