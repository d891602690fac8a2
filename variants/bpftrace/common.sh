# Shared by the hello and opensnoop wrappers (sourced; $prog names the caller, $usage is its
# -h text). The command line is the one of docs/programs.md, checked here before bpftrace
# starts, so a usage error loads nothing.

: "${BPFTRACE:=bpftrace}"
# str() reads at most BPFTRACE_STRLEN bytes; 200 is bpftrace 0.17's ceiling (strings live
# on the 512-byte BPF stack), so paths longer than 199 bytes come out truncated there,
# not at 255 as docs/programs.md asks.
BPFTRACE_STRLEN=200
export BPFTRACE_STRLEN

# A usage error: one line naming the program, exit 2.
usage_error() {
	echo "$prog: $1" >&2
	exit 2
}

# need_value OPTION ARGC: an option's value is the next argument, which must exist.
need_value() {
	[ "$2" -ge 2 ] || usage_error "missing value for $1"
}

# decimal VALUE MIN MAX: VALUE without leading zeros (bpftrace's parser would read them as
# octal) if it is decimal digits only, within MIN..MAX; nothing and failure otherwise.
decimal() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	v=$(printf '%s\n' "$1" | sed 's/^0*\([0-9]\)/\1/')
	[ ${#v} -le 10 ] && [ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || return 1
	echo "$v"
}

# -d SECONDS as a probe that ends bpftrace, in milliseconds so decimals work (at least 1 ms).
deadline_probe() {
	ms=$(printf '%s\n' "$1" | awk '/^([0-9]+\.?[0-9]*|\.[0-9]+)$/ && $1 > 0 {
		ms = int($1 * 1000 + 0.5); print (ms > 0 ? ms : 1) }')
	[ -n "$ms" ] || return 1
	printf '\ninterval:ms:%s { exit(); }\n' "$ms"
}

# exec_bpftrace SCRIPT EXTRA [-- ARGS...]: the script text plus the optional deadline probe.
# -q keeps bpftrace's "Attaching N probes..." off stdout, where it would precede the header.
exec_bpftrace() {
	script=$1 extra=$2
	shift 2
	[ -r "$script" ] || { echo "$prog: missing script: $script" >&2; exit 1; }
	exec "$BPFTRACE" -q -e "$(cat "$script")$extra" "$@"
}
