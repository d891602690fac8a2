# Shared by opensnoop.awk and hello.awk, the readers of upstream's stdout (common.sh starts
# them as mawk -W interactive; the tool's lines arrive one write each, through stdbuf -oL).
#   set by common.sh:  pid (the tool's), ready (ready.sh), duration (-d SECONDS, or empty)
#   set by the tool's script, in BEGIN: upstream_header (a regex), header (the contract's)
#   defined by it: event(), for every line after upstream's header
# Every line goes out with fflush(): awk cannot tell when the tool has nothing more to say,
# and a line must not wait in a buffer for the next event (docs/programs.md, "Prompt output").

function quote(s) {
	gsub(/'/, "'\\''", s)
	return "'" s "'"
}

# Once upstream has printed its header: wait until it really reads (ready.sh), then print
# ours. False if the tool ended first.
function attached() {
	timer_cmd = "exec sh " quote(ready) " " pid (duration != "" ? " " quote(duration) : "")
	if ((timer_cmd | getline timer) <= 0 || timer !~ /^[0-9]+$/)
		return 0
	print header
	fflush()
	return 1
}

!started {
	if ($0 ~ upstream_header) {
		if (!attached())
			exit 0
		started = 1
	} else {
		print > "/dev/stderr"   # nothing else is expected before the header
	}
	next
}

{ event() }

END {
	if (timer > 0)
		system("kill " timer " 2>/dev/null")   # the -d timer, when the tool ended first
	if (timer_cmd != "")
		close(timer_cmd)
}
