# Upstream execsnoop -U -x's lines, printf("%-6d", uid) then printf("%-16s %-6d %-6d %3d ",
# comm, pid, ppid, ret) then the arguments, as the contract's PID\tPPID\tUID\tCOMM\tMESSAGE.
# No blank follows the UID column: below 100000 it ends padded at column 6; a longer uid runs
# into the comm and is taken as the leading digits. COMM is 16 wide (at most 15 bytes, padded).
# MESSAGE is ours: execsnoop has none.

BEGIN {
	upstream_header = "^UID +PCOMM +PID +PPID +RET +ARGS$"
	header = "PID\tPPID\tUID\tCOMM\tMESSAGE"
}

function event(   uid, c, comm) {
	if (substr($0, 6, 1) == " ") {
		uid = substr($0, 1, 6)
		sub(/ +$/, "", uid)
		c = 7
	} else if (match($0, /^[0-9]+/)) {
		uid = substr($0, 1, RLENGTH)
		c = RLENGTH + 1
	}
	comm = substr($0, c, 16)
	sub(/ +$/, "", comm)
	if (uid !~ /^[0-9]+$/ || split(substr($0, c + 17), f, " ") < 3) {
		print > "/dev/stderr"
		return
	}
	printf "%s\t%s\t%s\t%s\tHello World\n", f[1], f[2], uid, comm
	fflush()
}
