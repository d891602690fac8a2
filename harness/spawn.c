// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * spawn [-a CPU] FD PROGRAM [ARG...]: run PROGRAM as the only child of this small process and
 * report on FD, first "pid N" once it is started, then "exit STATUS MAXRSS_KIB UTIME_US STIME_US"
 * from wait4() once it has ended. With -a, PROGRAM runs pinned to that CPU from its first
 * instruction (so a Go runtime sizes GOMAXPROCS for it, as it would under taskset).
 *
 * Why not let Python fork the variant itself: Linux keeps a process's peak RSS across exec
 * (the forked image's high-water mark is folded into ru_maxrss), so every child of the
 * harness would report at least the harness's own ~30 MiB. Forked from this process, the
 * variant starts from about a megabyte and ru_maxrss is its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	FILE *report;
	int status;
	int cpu = -1;
	pid_t pid;

	if (argc > 3 && strcmp(argv[1], "-a") == 0) {
		cpu = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "spawn: usage: spawn [-a CPU] FD PROGRAM [ARG...]\n");
		return 2;
	}
	report = fdopen(atoi(argv[1]), "w");
	if (!report) {
		fprintf(stderr, "spawn: bad report fd %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* Whoever dies first takes the other along: nothing outlives the harness. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "spawn: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		fclose(report);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set)) {
				fprintf(stderr, "spawn: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
				_exit(127);
			}
		}
		execv(argv[2], argv + 2);
		fprintf(stderr, "%s: cannot execute: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	/* The harness signals the variant directly; this process only waits. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	fprintf(report, "pid %d\n", pid);
	fflush(report);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "spawn: wait4: %s\n", strerror(errno));
			return 1;
		}
	}
	fprintf(report, "exit %d %ld %lld %lld\n", status, ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	fclose(report);
	return 0;
}
