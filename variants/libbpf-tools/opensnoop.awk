# Upstream opensnoop's lines, printf("%-6d %-16s %3d %3d %s\n", pid, comm, fd, err, fname),
# as the contract's PID\tCOMM\tFD\tERR\tPATH. Taken by position, not by splitting on blanks:
# a COMM or a PATH may hold spaces. PID is at least 6 wide, COMM exactly 16 (at most 15 bytes,
# padded), and PATH is everything after the single space that follows ERR.

BEGIN {
	upstream_header = "^PID +COMM +FD +ERR +PATH$"
	header = "PID\tCOMM\tFD\tERR\tPATH"
}

function event(   p, w, comm, rest) {
	if (!match($0, /^[0-9]+ /)) {
		print > "/dev/stderr"
		return
	}
	p = substr($0, 1, RLENGTH - 1)
	w = RLENGTH - 1 < 6 ? 6 : RLENGTH - 1
	comm = substr($0, w + 2, 16)
	sub(/ +$/, "", comm)
	rest = substr($0, w + 19)
	if (!match(rest, /^ *-?[0-9]+ +-?[0-9]+ /)) {
		print > "/dev/stderr"
		return
	}
	split(substr(rest, 1, RLENGTH), f, " ")
	printf "%s\t%s\t%s\t%s\t%s\n", p, comm, f[1], f[2], substr(rest, RLENGTH + 1)
	fflush()
}
