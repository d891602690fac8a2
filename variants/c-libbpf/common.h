/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What hello and opensnoop share: signals, the -d deadline, errors, the output buffer. */
#ifndef C_LIBBPF_COMMON_H
#define C_LIBBPF_COMMON_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t exiting;

/* SIGINT and SIGTERM end the main loop; libbpf prints nothing unless asked. */
void setup_common(void);
/* Seconds as given to -d, or exits 2 with one line. */
double parse_seconds(const char *prog, const char *arg);
/* A pid or uid as given to -p or -u (0 .. 2^32-2), or exits 2 with one line. */
unsigned int parse_id(const char *prog, const char *what, const char *arg);
/* Monotonic seconds, for the -d deadline. */
double now_seconds(void);
/* One clear line for a failed libbpf step (err is a negative errno). */
void report_failure(const char *prog, const char *step, int err);

struct ring_buffer;
/*
 * Print the header (the ready signal), then poll until SIGINT/SIGTERM or `seconds` (0: no
 * limit), flushing stdout after each batch. 0, or a negative errno already reported.
 */
int poll_until_done(struct ring_buffer *rb, const char *prog, const char *header, double seconds);

#endif
