/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What hello and opensnoop share: the command line of docs/programs.md, signals, the -d
 * deadline, one-line errors, the poll loop.
 */
#ifndef C_LIBBPF_COMMON_H
#define C_LIBBPF_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

extern volatile sig_atomic_t exiting;

/*
 * getopt(3) for the contract's command line: every option and every value is an argument of
 * its own ("-d 1.5", not "-d1.5" nor "-xd 1"), "-h" prints `usage` on stdout and exits 0, and
 * any other mistake (unknown option, missing value, stray argument, "--") prints one line on
 * stderr and exits 2. Returns the option letter, or -1 once every argument is taken.
 */
int next_option(const char *prog, const char *usage, int argc, char **argv, const char *optstring);
/* The values of -d, -p, -u and -n, or one line on stderr and exit 2. */
double parse_seconds(const char *prog, const char *arg);
unsigned int parse_pid(const char *prog, const char *arg);
unsigned int parse_uid(const char *prog, const char *arg);
const char *parse_name(const char *prog, const char *arg);

/* SIGINT and SIGTERM end the main loop; libbpf prints nothing unless asked. */
void setup_common(void);
/* Monotonic seconds, for the -d deadline. */
double now_seconds(void);
/* One clear line for a failed libbpf step (err is a negative errno). */
void report_failure(const char *prog, const char *step, int err);

struct ring_buffer;
/*
 * Print the header (the ready signal), then poll until SIGINT/SIGTERM or `seconds` (0: no
 * limit), flushing stdout after each batch, and drain the ring at the end. `batched` (-B):
 * wait at most WAKEUP_WAIT_MS, and after every return of the poll, woken or timed out, consume
 * what the ring holds, signalled or not. 0, or a negative errno already reported.
 */
int poll_until_done(struct ring_buffer *rb, const char *prog, const char *header, double seconds,
		    bool batched);

/*
 * flood's reader side, shared with the floor's library-free reader: the usage text, and what is
 * done with one record (count it, check its seq, print it with -f). The summary adds `lost`.
 */
extern const char *flood_usage;
struct flood_tally {
	bool format;
	unsigned long long records, bytes, gaps, next_seq;
};
void flood_take(struct flood_tally *t, const void *data, size_t size);
void flood_summary(const struct flood_tally *t, unsigned long long lost);

#endif
