// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "events.h"
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

/* The usage error of the contract: one line naming the program, exit 2, nothing loaded. */
static void usage_error(const char *prog, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s\n", prog, what, arg);
	exit(2);
}

int next_option(const char *prog, const char *usage, int argc, char **argv, const char *optstring)
{
	/* '+': no reordering, so a stray argument stops the scan; ':': getopt stays quiet. */
	char spec[32] = "+:";
	int first = optind, opt;
	char whole[3];

	strncat(spec, optstring, sizeof(spec) - 3);
	opt = getopt(argc, argv, spec);
	if (opt == -1) {
		/* getopt drops a "--" silently: here it is a stray argument like any other. */
		if (optind > first)
			usage_error(prog, "unexpected argument: ", argv[optind - 1]);
		if (optind < argc)
			usage_error(prog, "unexpected argument: ", argv[optind]);
		return -1;
	}
	if (opt == '?')
		usage_error(prog, "unknown option: ", argv[first]);
	if (opt == ':')
		usage_error(prog, "missing value for ", argv[first]);
	whole[0] = '-';
	whole[1] = (char)opt;
	whole[2] = '\0';
	/* getopt also takes "-d1.5" and "-xd 1"; the contract takes neither. */
	if (strcmp(argv[first], whole) || (strchr(optstring, opt)[1] == ':' && optarg != argv[first + 1]))
		usage_error(prog, "options and values are separate arguments: ", argv[first]);
	if (opt == 'h') {
		fputs(usage, stdout);
		exit(0);
	}
	return opt;
}

/* Decimal digits only: strtoul alone would also take "+5", " 5" and "-1" (as a huge number). */
static bool parse_digits(const char *arg, unsigned long *v)
{
	if (!*arg || strspn(arg, "0123456789") != strlen(arg))
		return false;
	errno = 0;
	*v = strtoul(arg, NULL, 10);
	return errno == 0;
}

double parse_seconds(const char *prog, const char *arg)
{
	/* Digits with an optional fraction: strtod alone would also take "1e3", "inf", "0x1p0". */
	size_t whole = strspn(arg, "0123456789"), frac = 0;

	if (arg[whole] == '.')
		frac = strspn(arg + whole + 1, "0123456789") + 1;
	if (arg[whole + frac] || whole + frac == 0 || !(strtod(arg, NULL) > 0))
		usage_error(prog, "invalid duration: ", arg);
	return strtod(arg, NULL);
}

unsigned int parse_pid(const char *prog, const char *arg)
{
	unsigned long v;

	if (!parse_digits(arg, &v) || v < 1 || v > INT_MAX)
		usage_error(prog, "invalid PID: ", arg);
	return v;
}

unsigned int parse_uid(const char *prog, const char *arg)
{
	unsigned long v;

	/* (uid_t)-1 is "no uid", the value that means "every user" to the BPF side. */
	if (!parse_digits(arg, &v) || v > UINT_MAX - 1)
		usage_error(prog, "invalid UID: ", arg);
	return v;
}

const char *parse_name(const char *prog, const char *arg)
{
	if (!*arg)
		usage_error(prog, "invalid name: ", "(empty)");
	return arg;
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

int poll_until_done(struct ring_buffer *rb, const char *prog, const char *header, double seconds,
		    bool batched)
{
	double deadline = seconds ? now_seconds() + seconds : 0;
	/* Default: woken per record, the timeout only to see SIGINT/SIGTERM and -d. -B: records go
	 * in unsignalled until the backlog crosses WAKEUP_BATCH_BYTES, so the timeout is the
	 * longest a line waits, and each return is followed by a consume of whatever waits. */
	int timeout = batched ? WAKEUP_WAIT_MS : 100;
	int n, m;

	printf("%s\n", header);
	fflush(stdout);
	while (!exiting && (!deadline || now_seconds() < deadline)) {
		n = ring_buffer__poll(rb, timeout);
		if (n < 0 && n != -EINTR) {
			report_failure(prog, "polling the ring buffer", n);
			return n;
		}
		if (batched) {
			m = ring_buffer__consume(rb);
			if (m < 0) {
				report_failure(prog, "consuming the ring buffer", m);
				return m;
			}
			n = (n > 0 ? n : 0) + m;
		}
		if (n > 0)
			fflush(stdout);
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	return 0;
}

const char *flood_usage =
	"usage: flood [-h] [-f] [-d SECONDS]\n"
	"Loads flood_small and flood_large (not attached) and reads the records they write when\n"
	"test-run: SEQ, TS_NS, BYTES.\n"
	"  -h          print this help and exit\n"
	"  -f          print every record as a line (default: count them only)\n"
	"  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM\n";

/* The head of every flood record (bpf/flood.h, without its kernel types). */
struct flood_head {
	unsigned long long seq, ts_ns;
};

void flood_take(struct flood_tally *t, const void *data, size_t size)
{
	const struct flood_head *r = data;

	if (size < sizeof(*r))
		return;
	if (r->seq > t->next_seq)
		t->gaps += r->seq - t->next_seq;
	t->next_seq = r->seq + 1;
	t->records++;
	t->bytes += size;
	if (t->format)
		printf("%llu\t%llu\t%zu\n", r->seq, r->ts_ns, size);
}

void flood_summary(const struct flood_tally *t, unsigned long long lost)
{
	fprintf(stderr, "records=%llu bytes=%llu lost=%llu\n", t->records, t->bytes, t->gaps + lost);
}
