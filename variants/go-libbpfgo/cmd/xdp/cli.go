package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

// usageText is c-libbpf's, word for word.
const usageText = `usage: xdp --test | --bench [N] | --attach IFACE [-d SECONDS] | -h
Packets and bytes per L4 protocol (tcp, udp, icmp, icmpv6, other IP, non-ip), counted at XDP.
  --test          run the program on built-in frames (BPF_PROG_TEST_RUN, nothing attached)
                  and check each verdict and the counters; exit 1 if a check fails
  --bench [N]     run each built-in frame N times (default 1000000):
                  FRAME, REPEAT, NS_PER_RUN as the kernel measured it
  --attach IFACE  count what IFACE receives until SIGINT or SIGTERM, then print
                  PROTO, PACKETS, BYTES and detach
  -d SECONDS      with --attach: stop after SECONDS (decimals allowed)
  -h              print this help and exit
`

type mode int

const (
	modeNone mode = iota
	modeTest
	modeBench
	modeAttach
)

// ifNameSize is IF_NAMESIZE: an interface name and its NUL.
const ifNameSize = 16

type options struct {
	mode     mode
	repeat   int    // --bench N
	iface    string // --attach IFACE
	duration tool.Seconds
}

// parse reads the command line the way c-libbpf's xdp does: the mode word first, then its
// operand (--bench's N, --attach's IFACE), then options, each its own argument (-h anywhere;
// -d SECONDS with --attach only). -h prints the usage and exits 0; a mistake prints one line
// and exits 2, before anything is loaded. Options reuse tool's -d value (tool.Seconds); the
// walk is xdp's own, since tool.Parse knows no mode words nor operands.
func parse(args []string) options {
	o := options{repeat: 1000000}
	i := 0
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "--test":
			o.mode = modeTest
		case a == "--bench":
			o.mode = modeBench
		case a == "--attach":
			o.mode = modeAttach
		case strings.HasPrefix(a, "--"):
			usageError("unknown mode: %s", a)
		}
		if o.mode != modeNone {
			i = 1
		}
	}
	if o.mode == modeBench && i < len(args) && !strings.HasPrefix(args[i], "-") {
		o.repeat = parseRepeat(args[i])
		i++
	}
	if o.mode == modeAttach {
		if i >= len(args) || strings.HasPrefix(args[i], "-") {
			usageError("missing interface after --attach")
		}
		o.iface = args[i]
		i++
		if len(o.iface) >= ifNameSize {
			usageError("invalid interface name: %s", o.iface)
		}
	}
	for ; i < len(args); i++ {
		arg := args[i]
		if arg == "-" || !strings.HasPrefix(arg, "-") || arg == "--" {
			usageError("unexpected argument: %s", arg)
		}
		switch {
		case arg[1] == 'd' && o.mode == modeAttach:
			if len(arg) > 2 {
				usageError("options and values are separate arguments: %s", arg)
			}
			if i+1 >= len(args) {
				usageError("missing value for %s", arg)
			}
			i++
			if err := o.duration.Set(args[i]); err != nil {
				usageError("%v", err)
			}
		case arg[1] == 'h':
			if len(arg) > 2 {
				usageError("options and values are separate arguments: %s", arg)
			}
			fmt.Print(usageText)
			os.Exit(0)
		default:
			usageError("unknown option: %s", arg)
		}
	}
	if o.mode == modeNone {
		usageError("missing mode: --test, --bench [N] or --attach IFACE")
	}
	return o
}

// parseRepeat takes --bench's N: decimal digits only, 1 to 2^31-1.
func parseRepeat(arg string) int {
	n, err := strconv.ParseUint(arg, 10, 31)
	if err != nil || n == 0 || len(arg) > 10 {
		usageError("invalid repeat count: %s", arg)
	}
	return int(n)
}

func usageError(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "xdp: "+format+"\n", a...)
	os.Exit(2)
}
