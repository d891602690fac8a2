/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The part of the floor's hello and opensnoop that comes after attach. */
#ifndef FLOOR_H
#define FLOOR_H

#include <stdio.h>
#include <time.h>
#include "common.h"

/*
 * Prints the ready header, then sleeps until SIGINT, SIGTERM or the -d deadline. There is
 * no ring buffer to poll: the programs emit nothing, so the summary is honestly zero.
 */
static inline void floor_run(const char *header, double seconds)
{
	double deadline = seconds ? now_seconds() + seconds : 0;
	/* Short naps: a signal ends nanosleep early anyway, the deadline needs a bound. */
	struct timespec nap = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

	printf("%s\n", header);
	fflush(stdout);
	while (!exiting && (!deadline || now_seconds() < deadline))
		nanosleep(&nap, NULL);
	fprintf(stderr, "events=0 drops=0\n");
}

#endif
