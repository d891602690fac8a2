// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hello: one line per execve, from tracepoint syscalls/sys_enter_execve. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "hello.skel.h"
#include "common.h"

static const char *prog = "hello";
static const char *usage =
	"usage: hello [-h] [-B] [-d SECONDS]\n"
	"One line per execve() on this machine: PID, PPID, UID, COMM, MESSAGE.\n"
	"  -h          print this help and exit\n"
	"  -B          batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest\n"
	"  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM\n";
static unsigned long long events;

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct hello_event *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	events++;
	printf("%u\t%u\t%u\t%.*s\t%.*s\n", e->pid, e->ppid, e->uid, TASK_COMM_LEN, e->comm,
	       HELLO_MSG_LEN, e->message);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct hello_bpf *skel;
	bool batched = false;
	double deadline = 0;
	int opt, err;

	/* -h ends in next_option, so every option returned is -B or -d. */
	while ((opt = next_option(prog, usage, argc, argv, "hBd:")) != -1) {
		if (opt == 'B')
			batched = true;
		else
			deadline = parse_seconds(prog, optarg);
	}
	setup_common();

	skel = hello_bpf__open();
	if (!skel) {
		report_failure(prog, "opening the BPF object", errno);
		return 1;
	}
	/* -B: the programs submit unsignalled until the backlog crosses this (bpf/wakeup.h). */
	if (batched)
		skel->rodata->wakeup_bytes = WAKEUP_BATCH_BYTES;
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
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		err = -errno;
		report_failure(prog, "creating the ring buffer reader", err);
		goto out;
	}

	err = poll_until_done(rb, prog, "PID\tPPID\tUID\tCOMM\tMESSAGE", deadline, batched);
	if (err)
		goto out;
	fprintf(stderr, "events=%llu drops=%llu\n", events, (unsigned long long)skel->bss->drops);
out:
	ring_buffer__free(rb);
	hello_bpf__destroy(skel);
	return err ? 1 : 0;
}
