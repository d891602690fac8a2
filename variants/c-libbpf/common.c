// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "common.h"

volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN && getenv("LIBBPF_VERBOSE"))
		return vfprintf(stderr, fmt, args);
	return 0;
}

void setup_common(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(quiet_print);
	/* Lines of one ring-buffer batch are written together and flushed after the batch. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

double parse_seconds(const char *prog, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v <= 0) {
		fprintf(stderr, "%s: invalid duration: %s\n", prog, arg);
		exit(2);
	}
	return v;
}

unsigned int parse_id(const char *prog, const char *what, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v > UINT_MAX - 1) {
		fprintf(stderr, "%s: invalid %s: %s\n", prog, what, arg);
		exit(2);
	}
	return v;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void report_failure(const char *prog, const char *step, int err)
{
	const char *hint = "";

	err = err < 0 ? -err : err;
	if (err == EPERM || err == EACCES)
		hint = " (need root or CAP_BPF and CAP_PERFMON)";
	else if (err == ENOENT)
		hint = " (tracepoint not found: is tracefs mounted at /sys/kernel/tracing?)";
	fprintf(stderr, "%s: %s failed: %s%s\n", prog, step, strerror(err), hint);
}

int poll_until_done(struct ring_buffer *rb, const char *prog, const char *header, double seconds)
{
	double deadline = seconds ? now_seconds() + seconds : 0;
	int n;

	printf("%s\n", header);
	fflush(stdout);
	while (!exiting && (!deadline || now_seconds() < deadline)) {
		n = ring_buffer__poll(rb, 100);
		if (n < 0 && n != -EINTR) {
			report_failure(prog, "polling the ring buffer", n);
			return n;
		}
		if (n > 0)
			fflush(stdout);
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	return 0;
}
