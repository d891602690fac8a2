#!/bin/sh
# ready.sh PID [SECONDS]: run once by the awk reader when upstream's header line arrives.
#
# Upstream prints its header right after attaching, but before it creates its perf buffer
# (perf_buffer__new: until then bpf_perf_event_output finds no perf event in the map and the
# record is lost) and before it installs its SIGINT handler (until then SIGINT kills it).
# signal(SIGINT) is its last step before the poll loop, so this waits until /proc/PID/status
# shows SIGINT caught: then the tool reads, and the contract's header may go out.
# Prints "0", or with SECONDS the pid of a sleep after which PID gets SIGINT (the -d timer; the
# reader kills that sleep if the tool ends first). Exit 1, printing nothing, if PID ended.
pid=$1 seconds=${2:-}
# Read with the shell's own read (no process per look): SigCgt's last hex digit holds bits 0-3,
# SIGINT is bit 1, set in 2, 3, 6, 7, a, b, e, f.
caught() {
	state='' mask=''
	while read -r key value rest; do
		case $key in
		State:) state=$value ;;
		SigCgt:) mask=$value ;;
		esac
	done <"/proc/$pid/status" || return 2
	case $state in '' | Z | X) return 2 ;; esac
	case $mask in *[2367abefABEF]) return 0 ;; esac
	return 1
}
while :; do
	caught 2>/dev/null
	case $? in
	0) break ;;
	1) sleep 0.001 ;;
	*) exit 1 ;;
	esac
done
if [ -z "$seconds" ]; then
	echo 0
	exit 0
fi
sleep "$seconds" >/dev/null &
echo $!
exec >/dev/null    # the reader's getline has its line; do not hold its pipe
wait $! && kill -INT "$pid" 2>/dev/null
exit 0
