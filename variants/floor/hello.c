// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hello, floor: attaches an empty program to syscalls/sys_enter_execve and prints nothing. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "hello.skel.h"
#include "floor.h"

static const char *prog = "hello";

int main(int argc, char **argv)
{
	struct hello_bpf *skel;
	double seconds = 0;
	int opt, err;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd') {
			fprintf(stderr, "usage: %s [-d SECONDS]\n", prog);
			return 2;
		}
		seconds = parse_seconds(prog, optarg);
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
		return 2;
	}
	setup_common();

	skel = hello_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	err = hello_bpf__load(skel);
	if (err) {
		report_failure(prog, "loading BPF programs", err);
		goto out;
	}
	err = hello_bpf__attach(skel);
	if (err) {
		report_failure(prog, "attaching tracepoint syscalls/sys_enter_execve", err);
		goto out;
	}
	floor_run("PID\tUID\tCOMM\tMESSAGE", seconds);
out:
	hello_bpf__destroy(skel);
	return err ? 1 : 0;
}
