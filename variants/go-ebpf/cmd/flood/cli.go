package main

import (
	"fmt"
	"os"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

// usageText is c-libbpf's flood usage, word for word.
const usageText = `usage: flood [-h] [-f] [-d SECONDS]
Loads flood_small and flood_large (not attached) and reads the records they write when
test-run: SEQ, TS_NS, BYTES.
  -h          print this help and exit
  -f          print every record as a line (default: count them only)
  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM
`

// config is the command line: -f and -d.
type config struct {
	format   bool         // -f: print every record
	duration tool.Seconds // -d
}

// parse reads args (os.Args[1:]) by c-libbpf's rules: -h anywhere prints the usage and exits 0;
// -f; -d SECONDS, its value the next argument; a mistake prints one line and exits 2, before
// anything is loaded. tool.Parse would take the same options, but it prints a usage of its own
// making (no description line, the options in name order), so the walk is flood's, as xdp's
// is; -d's value is tool's Seconds, as hello's.
func parse(args []string) config {
	var c config
	for len(args) > 0 {
		arg := args[0]
		args = args[1:]
		switch {
		case arg == "-h":
			fmt.Print(usageText)
			os.Exit(0)
		case arg == "-f":
			c.format = true
		case arg == "-d":
			if len(args) == 0 {
				usageError("missing value for %s", arg)
			}
			if err := c.duration.Set(args[0]); err != nil {
				usageError("%v", err)
			}
			args = args[1:]
		case arg == "--" || len(arg) < 2 || arg[0] != '-':
			usageError("unexpected argument: %s", arg)
		case (arg[1] == 'h' || arg[1] == 'f' || arg[1] == 'd') && len(arg) > 2:
			usageError("options and values are separate arguments: %s", arg)
		default:
			usageError("unknown option: %s", arg)
		}
	}
	return c
}

func usageError(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "flood: "+format+"\n", a...)
	os.Exit(2)
}
