# Shared by the hello and opensnoop wrappers (sourced; $prog names the caller).

: "${BPFTRACE:=bpftrace}"
# str() reads at most BPFTRACE_STRLEN bytes; 200 is bpftrace 0.17's ceiling (strings live
# on the 512-byte BPF stack), so paths longer than 199 bytes come out truncated there,
# not at 255 as SPEC asks.
BPFTRACE_STRLEN=200
export BPFTRACE_STRLEN

# A decimal id, 0 .. 2^32-2 (2^32-1 is the "every user" value), as c-libbpf accepts.
parse_id() {
	case $2 in
	'' | *[!0-9]*) echo "$prog: invalid $1: $2" >&2; return 1 ;;
	esac
	if [ ${#2} -gt 10 ] || [ "$2" -gt 4294967294 ]; then
		echo "$prog: invalid $1: $2" >&2
		return 1
	fi
	# Leading zeros would read as octal in bpftrace's parser.
	echo "$2" | sed 's/^0*\([0-9]\)/\1/'
}

# -d SECONDS as a probe that ends bpftrace; milliseconds keep fractional durations.
deadline_probe() {
	ms=$(printf '%s\n' "$1" | awk '/^([0-9]+\.?[0-9]*|\.[0-9]+)$/ { ms = int($1 * 1000 + 0.5); if (ms > 0) print ms }')
	if [ -z "$ms" ]; then
		echo "$prog: invalid duration: $1" >&2
		return 1
	fi
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
