// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The load generator and test helper: compiled, so that it (not Python) sets the pace.
 *
 *   loadgen [-c COMM] open PATH N         open(PATH) N times as fast as it can
 *   loadgen [-c COMM] exec N              N failing execve() calls (what hello sees)
 *   loadgen [-c COMM] sysopen PATH        one open through SYS_open; prints "pid fd errno"
 *   loadgen [-c COMM] sysopenat PATH      one open through SYS_openat; prints "pid fd errno"
 *   loadgen [-c COMM] wait-openat PATH    waits for a line on stdin, then as sysopenat
 *   loadgen [-c COMM] marker-open PATH US   open(PATH) every US microseconds until killed
 *   loadgen [-c COMM] marker-exec US        a failing execve() every US microseconds until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

static void failing_exec(void)
{
	char *argv[] = { (char *)missing_exe, NULL };
	char *envp[] = { NULL };

	execve(missing_exe, argv, envp);
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

int main(int argc, char **argv)
{
	const char *mode;
	long i, n;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		prctl(PR_SET_NAME, argv[2], 0, 0, 0);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		goto usage;
	mode = argv[1];
	if (strcmp(mode, "open") == 0 && argc == 4) {
		n = number(argv[3]);
		for (i = 0; i < n; i++) {
			int fd = open(argv[2], O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
	} else if (strcmp(mode, "exec") == 0 && argc == 3) {
		n = number(argv[2]);
		for (i = 0; i < n; i++)
			failing_exec();
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
			int fd = open(argv[2], O_RDONLY);

			if (fd >= 0)
				close(fd);
			pause_us(n);
		}
	} else if (strcmp(mode, "marker-exec") == 0 && argc == 3) {
		n = number(argv[2]);
		for (;;) {
			failing_exec();
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
