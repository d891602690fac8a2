// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The load generator and test helper: compiled, so that it (not Python) sets the pace and
 * times the traced workload itself.
 *
 *   loadgen [-c COMM] [-a CPU] open PATH N [RATE]  open(PATH)+close N times; at RATE opens/s
 *                                                  when RATE > 0, else as fast as it can
 *   loadgen [-c COMM] [-a CPU] exec N [RATE]       N failing execve() calls (what hello sees)
 *   loadgen [-c COMM] sysopen PATH        one open through SYS_open; prints "pid fd errno"
 *   loadgen [-c COMM] sysopenat PATH      one open through SYS_openat; prints "pid fd errno"
 *   loadgen [-c COMM] wait-openat PATH    waits for a line on stdin, then as sysopenat
 *   loadgen [-c COMM] [-a CPU] marker-open PATH US  open(PATH) every US microseconds until killed
 *   loadgen [-c COMM] [-a CPU] marker-exec US       a failing execve() every US microseconds until killed
 *
 * open and exec print one line when done:
 *   n=N elapsed_ns=NS cpu_ns=NS
 * elapsed_ns is the wall time of the N operations (CLOCK_MONOTONIC), cpu_ns the user+system
 * time this process spent, so the harness can tell the workload's cost from everyone else's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *missing_exe = "/nonexistent/ebpf-frameworks-loadgen";

static void one_open(long nr, const char *path)
{
	long fd = nr == SYS_open ? syscall(SYS_open, path, O_RDONLY)
				 : syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	int err = fd < 0 ? errno : 0;

	printf("%d %ld %d\n", getpid(), fd < 0 ? -1 : fd, err);
	fflush(stdout);
}

static void open_close(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0)
		close(fd);
}

static void failing_exec(const char *unused)
{
	char *argv[] = { (char *)missing_exe, NULL };
	char *envp[] = { NULL };

	(void)unused;
	execve(missing_exe, argv, envp);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(long long t)
{
	struct timespec ts = { t / 1000000000LL, t % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void pause_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < 0) {
		fprintf(stderr, "loadgen: not a count: %s\n", s);
		exit(2);
	}
	return v;
}

/*
 * N operations; paced, operation i is due at start + i/rate: when ahead, sleep until it is
 * due; when behind (a sleep overslept, or the operation is slower than the pace), catch up
 * without sleeping, so the average rate is the offered one whenever the workload can reach it.
 */
static void run(void (*op)(const char *), const char *arg, long n, long rate)
{
	struct rusage ru;
	long long start, end;
	long i;

	start = now_ns();
	for (i = 0; i < n; i++) {
		if (rate > 0) {
			long long due = start + (long long)((double)i * 1e9 / (double)rate);

			if (now_ns() < due)
				sleep_until_ns(due);
		}
		op(arg);
	}
	end = now_ns();
	getrusage(RUSAGE_SELF, &ru);
	printf("n=%ld elapsed_ns=%lld cpu_ns=%lld\n", n, end - start,
	       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
}

int main(int argc, char **argv)
{
	const char *mode;
	long n;

	for (;;) {
		if (argc > 2 && strcmp(argv[1], "-c") == 0) {
			prctl(PR_SET_NAME, argv[2], 0, 0, 0);
		} else if (argc > 2 && strcmp(argv[1], "-a") == 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(number(argv[2]), &set);
			if (sched_setaffinity(0, sizeof(set), &set)) {
				fprintf(stderr, "loadgen: cannot pin to CPU %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
		} else {
			break;
		}
		argv += 2;
		argc -= 2;
	}
	/* Sleeps end when due, not up to 50 us later (the default timer slack). */
	prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
	if (argc < 2)
		goto usage;
	mode = argv[1];
	if (strcmp(mode, "open") == 0 && (argc == 4 || argc == 5)) {
		run(open_close, argv[2], number(argv[3]), argc == 5 ? number(argv[4]) : 0);
	} else if (strcmp(mode, "exec") == 0 && (argc == 3 || argc == 4)) {
		run(failing_exec, NULL, number(argv[2]), argc == 4 ? number(argv[3]) : 0);
	} else if (strcmp(mode, "sysopen") == 0 && argc == 3) {
		one_open(SYS_open, argv[2]);
	} else if (strcmp(mode, "sysopenat") == 0 && argc == 3) {
		one_open(SYS_openat, argv[2]);
	} else if (strcmp(mode, "wait-openat") == 0 && argc == 3) {
		char line[16];

		if (!fgets(line, sizeof(line), stdin))
			return 1;
		one_open(SYS_openat, argv[2]);
	} else if (strcmp(mode, "marker-open") == 0 && argc == 4) {
		n = number(argv[3]);
		for (;;) {
			open_close(argv[2]);
			pause_us(n);
		}
	} else if (strcmp(mode, "marker-exec") == 0 && argc == 3) {
		n = number(argv[2]);
		for (;;) {
			failing_exec(NULL);
			pause_us(n);
		}
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "loadgen: usage: see the comment at the top of harness/loadgen.c\n");
	return 2;
}
