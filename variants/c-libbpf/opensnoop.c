// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* opensnoop: open() and openat() from syscall tracepoints, modelled on libbpf-tools. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "opensnoop.skel.h"
#include "common.h"

static const char *prog = "opensnoop";
static const char *usage =
	"usage: opensnoop [-h] [-B] [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]\n"
	"One line per open() and openat() on this machine: PID, COMM, FD, ERR, PATH.\n"
	"  -h          print this help and exit\n"
	"  -B          batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest\n"
	"  -p PID      only this process id\n"
	"  -u UID      only this user id\n"
	"  -x          only opens that failed\n"
	"  -n NAME     only commands whose name contains NAME\n"
	"  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM\n";
static const char *name_filter;
static unsigned long long events;

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct open_event *e = data;
	char comm[TASK_COMM_LEN + 1];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	events++;
	memcpy(comm, e->comm, TASK_COMM_LEN);
	comm[TASK_COMM_LEN] = '\0';
	if (name_filter && !strstr(comm, name_filter))
		return 0;
	printf("%u\t%s\t%d\t%d\t%.*s\n", e->pid, comm, e->ret >= 0 ? e->ret : -1,
	       e->ret >= 0 ? 0 : -e->ret, FNAME_LEN - 1, e->fname);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct opensnoop_bpf *skel;
	__u32 tgid = 0, uid = (__u32)-1;
	bool failed = false, batched = false;
	double deadline = 0;
	int opt, err;

	while ((opt = next_option(prog, usage, argc, argv, "hBp:u:xn:d:")) != -1) {
		switch (opt) {
		case 'B': batched = true; break;
		case 'p': tgid = parse_pid(prog, optarg); break;
		case 'u': uid = parse_uid(prog, optarg); break;
		case 'x': failed = true; break;
		case 'n': name_filter = parse_name(prog, optarg); break;
		case 'd': deadline = parse_seconds(prog, optarg); break;
		}
	}
	setup_common();

	skel = opensnoop_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	skel->rodata->targ_tgid = tgid;
	skel->rodata->targ_uid = uid;
	skel->rodata->targ_failed = failed;
	/* -B: the programs submit unsignalled until the backlog crosses this (bpf/wakeup.h). */
	if (batched)
		skel->rodata->wakeup_bytes = WAKEUP_BATCH_BYTES;

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
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		report_failure(prog, "creating the ring buffer reader", err);
		goto out;
	}

	err = poll_until_done(rb, prog, "PID\tCOMM\tFD\tERR\tPATH", deadline, batched);
	if (err)
		goto out;
	fprintf(stderr, "events=%llu drops=%llu\n", events, (unsigned long long)skel->bss->drops);
out:
	ring_buffer__free(rb);
	opensnoop_bpf__destroy(skel);
	return err ? 1 : 0;
}
