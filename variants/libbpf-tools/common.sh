# Shared by the hello and opensnoop wrappers (sourced; $prog names the caller, $usage is its
# -h text, $here is this folder). The command line is the one of docs/programs.md, checked
# here before upstream's tool starts, so a usage error loads nothing.
#
# The wrapper then becomes Debian's compiled tool (exec: same pid, so the harness's signals,
# wait4 rusage and the BPF fds it counts are the tool's own), with its stdout going through a
# fifo to an awk of ours that rewrites upstream's fixed-width columns as the contract's
# tab-separated lines. See README.md.

: "${LIBBPF_TOOLS_DIR:=/usr/sbin}"   # Debian's libbpf-tools 0.26 (from the bpfcc source)
: "${AWK:=awk}"
# The reader: mawk (Debian's required awk) with -W interactive, so that it takes each line as it
# arrives. Without it mawk reads a pipe in blocks and sits on the lines it has until more come.
: "${MAWK:=mawk}"

# A usage error: one line naming the program, exit 2.
usage_error() {
	echo "$prog: $1" >&2
	exit 2
}

# A runtime failure: one line naming the program, exit 1.
fail() {
	echo "$prog: $1" >&2
	exit 1
}

# need_value OPTION ARGC: an option's value is the next argument, which must exist.
need_value() {
	[ "$2" -ge 2 ] || usage_error "missing value for $1"
}

# decimal VALUE MIN MAX: VALUE without leading zeros if it is decimal digits only, within
# MIN..MAX; nothing and failure otherwise (upstream's strtol would take "+5", " 5", "5x").
decimal() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	v=$(printf '%s\n' "$1" | sed 's/^0*\([0-9]\)/\1/')
	[ ${#v} -le 10 ] && [ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || return 1
	echo "$v"
}

# seconds VALUE: VALUE if it is a positive decimal number (decimals allowed), else failure.
# Upstream's -d takes whole seconds only (opensnoop; execsnoop has none), so -d is the
# wrapper's own timer (ready.sh): SIGINT once VALUE seconds have passed since the header.
seconds() {
	printf '%s\n' "$1" | "$AWK" '/^([0-9]+\.?[0-9]*|\.[0-9]+)$/ && $1 > 0 { ok = 1 } END { exit !ok }' \
		|| return 1
	echo "$1"
}

# -B asks for batched wakeups, which upstream's tools do not have (docs/programs.md, "Wakeups":
# exit 1 at run time, one line saying why).
no_batching() {
	fail "-B: upstream $1 has no batched wakeups (a perf buffer woken on every event, polled every 100 ms)"
}

# Upstream needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN); without them libbpf prints several
# lines of its own, so the wrapper says it once, before starting anything.
require_privileges() {
	caps=0
	while read -r key value; do
		[ "$key" = CapEff: ] && caps=$value
	done </proc/self/status
	case $caps in '' | *[!0-9a-fA-F]*) caps=0 ;; esac
	[ $((0x$caps >> 21 & 1)) -eq 1 ] && return 0                              # CAP_SYS_ADMIN
	[ $((0x$caps >> 38 & 1)) -eq 1 ] && [ $((0x$caps >> 39 & 1)) -eq 1 ] && return 0  # CAP_PERFMON, CAP_BPF
	fail "not permitted: upstream $1 needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"
}

# Upstream finds tracepoints only under /sys/kernel/debug/tracing (tracepoint_exists() of its
# trace_helpers.c): without debugfs mounted, opensnoop leaves its open() programs out and
# traces openat() alone, silently. setup-debugfs.sh (`nox -s setup`) mounts it.
require_debugfs() {
	[ -d /sys/kernel/debug/tracing/events/syscalls ] ||
		fail "no /sys/kernel/debug/tracing: upstream $1 would not trace open(); mount debugfs (setup-debugfs.sh)"
}

# exec_upstream TOOL AWKFILE SECONDS [ARGS...]: becomes $LIBBPF_TOOLS_DIR/TOOL ARGS, its stdout
# line-buffered (stdbuf -oL: upstream printf()s to a fully buffered stdout on a pipe) into a
# fifo read by `mawk -W interactive -f AWKFILE`, which writes the contract's lines to our stdout.
exec_upstream() {
	tool=$1 script=$2 duration=$3
	shift 3
	bin=$LIBBPF_TOOLS_DIR/$tool
	[ -x "$bin" ] || fail "missing $bin (Debian package libbpf-tools)"
	[ -r "$here/$script" ] || fail "missing $here/$script"
	command -v "$MAWK" >/dev/null || fail "missing $MAWK (Debian package mawk)"
	require_privileges "$tool"
	dir=$(mktemp -d "${TMPDIR:-/tmp}/libbpf-tools.XXXXXX") || fail "cannot make a temporary folder"
	mkfifo "$dir/out" || { rmdir "$dir"; fail "cannot make a fifo in $dir"; }
	# The reader, in the background (so SIGINT is ignored in it; it ends at EOF, once the tool
	# has exited). pid is ours and, after exec, the tool's.
	"$MAWK" -W interactive -v pid=$$ -v ready="$here/ready.sh" -v duration="$duration" -f "$here/common.awk" \
		-f "$here/$script" <"$dir/out" &
	exec >"$dir/out"   # meets the reader's open
	rm -rf "$dir"
	exec stdbuf -oL "$bin" "$@"
}
