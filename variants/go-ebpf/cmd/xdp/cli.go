package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

// usageText is c-libbpf's xdp usage, word for word.
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

// ifNameSize is IF_NAMESIZE: the longest interface name and its NUL.
const ifNameSize = 16

// config is the command line: the mode, its operand and -d.
type config struct {
	mode     mode
	repeat   uint32       // --bench N
	iface    string       // --attach IFACE
	duration tool.Seconds // -d, with --attach
}

// parse reads args (os.Args[1:]) by c-libbpf's rules: the mode word first, then its operand
// (--bench's optional N, --attach's IFACE), then options, each value its own argument: -h
// anywhere, -d SECONDS with --attach only. -h prints the usage and exits 0; a mistake prints
// one line and exits 2, before anything is loaded. tool.Parse walks options only, and prints
// its own usage, so the walk is xdp's; -d's value is tool's Seconds, as hello's.
func parse(args []string) config {
	c := config{repeat: 1000000}
	if len(args) > 0 {
		switch args[0] {
		case "--test":
			c.mode = modeTest
		case "--bench":
			c.mode = modeBench
		case "--attach":
			c.mode = modeAttach
		default:
			if strings.HasPrefix(args[0], "--") {
				usageError("unknown mode: %s", args[0])
			}
		}
		if c.mode != modeNone {
			args = args[1:]
		}
	}
	if c.mode == modeBench && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.repeat = parseRepeat(args[0])
		args = args[1:]
	}
	if c.mode == modeAttach {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			usageError("missing interface after --attach")
		}
		c.iface, args = args[0], args[1:]
		if len(c.iface) >= ifNameSize {
			usageError("invalid interface name: %s", c.iface)
		}
	}
	for len(args) > 0 {
		arg := args[0]
		args = args[1:]
		switch {
		case arg == "-h":
			fmt.Print(usageText)
			os.Exit(0)
		case arg == "-d" && c.mode == modeAttach:
			if len(args) == 0 {
				usageError("missing value for %s", arg)
			}
			if err := c.duration.Set(args[0]); err != nil {
				usageError("%v", err)
			}
			args = args[1:]
		case arg == "--" || len(arg) < 2 || arg[0] != '-':
			usageError("unexpected argument: %s", arg)
		case (arg[1] == 'h' || arg[1] == 'd' && c.mode == modeAttach) && len(arg) > 2:
			usageError("options and values are separate arguments: %s", arg)
		default:
			usageError("unknown option: %s", arg)
		}
	}
	if c.mode == modeNone {
		usageError("missing mode: --test, --bench [N] or --attach IFACE")
	}
	return c
}

// parseRepeat reads --bench's N: at most 10 decimal digits (no sign, no spaces), 1 to 2^31-1.
func parseRepeat(arg string) uint32 {
	n, err := strconv.ParseUint(arg, 10, 31)
	if err != nil || n == 0 || len(arg) > 10 {
		usageError("invalid repeat count: %s", arg)
	}
	return uint32(n)
}

func usageError(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "xdp: "+format+"\n", a...)
	os.Exit(2)
}
