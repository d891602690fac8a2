// Package tool is what hello and opensnoop share: the command line, the stop conditions, the
// batched output of the events and the exit summary. cli.go is the same file in every Go
// variant; bpf.go holds the part that uses the framework.
package tool

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// Parse sets the options of fs from args (os.Args[1:]). -h prints the usage on stdout and
// exits 0; a bad command line prints one line on stderr and exits 2.
//
// fs defines the options and each value is checked by its flag.Value, but the arguments
// are walked here rather than by fs.Parse, which also takes -d=1, --d 1 and -help: the
// command line of every variant is one letter per option and each value its own argument.
func Parse(fs *flag.FlagSet, synopsis string, args []string) {
	for len(args) > 0 {
		arg := args[0]
		args = args[1:]
		if arg == "-h" {
			usage(fs, synopsis)
			os.Exit(0)
		}
		if len(arg) < 2 || arg[0] != '-' {
			usageError(fs, "unexpected argument: %s", arg)
		}
		f := fs.Lookup(arg[1:])
		if len(arg) != 2 || f == nil {
			usageError(fs, "unknown option: %s", arg)
		}
		value := "true"
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			if len(args) == 0 {
				usageError(fs, "missing value for %s", arg)
			}
			value, args = args[0], args[1:]
		}
		if err := f.Value.Set(value); err != nil {
			usageError(fs, "%v", err)
		}
	}
}

func usage(fs *flag.FlagSet, synopsis string) {
	fmt.Printf("usage: %s %s\n", fs.Name(), synopsis)
	fmt.Printf("  -%-10s %s\n", "h", "print this help and exit")
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		fmt.Printf("  -%-10s %s\n", f.Name+" "+arg, text)
	})
}

func usageError(fs *flag.FlagSet, format string, a ...any) {
	fmt.Fprintf(os.Stderr, fs.Name()+": "+format+"\n", a...)
	os.Exit(2)
}

// Batched defines -B on fs: batched wakeups (docs/programs.md, "Wakeups: the default and -B").
// The BPF side's read-only global wakeup_bytes is set to WakeupBatchBytes before load, and the
// reader waits for a wakeup at most WakeupWait, then takes what the ring holds, signalled or not.
func Batched(fs *flag.FlagSet) *bool {
	return fs.Bool("B", false, "batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest")
}

const (
	// WakeupBatchBytes is WAKEUP_BATCH_BYTES of bpf/events.h: with -B, the backlog whose crossing
	// wakes the reader (a quarter of the 256 KiB ring).
	WakeupBatchBytes = 64 << 10
	// WakeupWaitMs is WAKEUP_WAIT_MS of bpf/events.h: with -B, the longest the reader waits for
	// a wakeup before it takes what waits.
	WakeupWaitMs = 50
	WakeupWait   = WakeupWaitMs * time.Millisecond
)

// Seconds is the value of -d: a positive decimal number of seconds, fractions allowed.
type Seconds time.Duration

func (s *Seconds) String() string { return time.Duration(*s).String() }

func (s *Seconds) Set(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	// ParseFloat alone would also take 1e3, inf and 0x1p0.
	if !isDecimal(v) || err != nil || f <= 0 || f >= math.MaxInt64/float64(time.Second) {
		return fmt.Errorf("invalid duration: %s", v)
	}
	*s = Seconds(math.Ceil(f * float64(time.Second)))
	return nil
}

// isDecimal tells whether s is digits with at most one decimal point.
func isDecimal(s string) bool {
	digits, point := 0, false
	for _, c := range s {
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0
}

// PID is the value of -p: a process id, 1 to 2^31-1 (pid_t is a signed 32-bit integer).
type PID uint32

func (p *PID) String() string { return strconv.FormatUint(uint64(*p), 10) }

func (p *PID) Set(v string) error {
	// ParseUint takes decimal digits only: no sign, no spaces, no underscores.
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil || n == 0 {
		return fmt.Errorf("invalid PID: %s", v)
	}
	*p = PID(n)
	return nil
}

// UID is the value of -u: a user id, 0 to 2^32-2. (uid_t)-1 is "no uid", and the BPF side
// takes it as "every user".
type UID uint32

// AnyUID is the UID that means every user to the BPF side.
const AnyUID UID = math.MaxUint32

func (u *UID) String() string { return strconv.FormatUint(uint64(*u), 10) }

func (u *UID) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || UID(n) == AnyUID {
		return fmt.Errorf("invalid UID: %s", v)
	}
	*u = UID(n)
	return nil
}

// Name is the value of -n: a non-empty part of a command name.
type Name []byte

func (n *Name) String() string { return string(*n) }

func (n *Name) Set(v string) error {
	if v == "" {
		return errors.New("invalid name: (empty)")
	}
	*n = Name(v)
	return nil
}

// Signals makes SIGINT and SIGTERM stop the tool instead of killing it. It is called before
// anything is loaded, so a signal during start-up still ends in a clean exit.
func Signals() <-chan os.Signal {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	return sig
}

// Deadline fires d from now, or never when d is 0 (no -d).
func Deadline(d Seconds) <-chan time.Time {
	if d == 0 {
		return nil
	}
	return time.After(time.Duration(d))
}

// Event returns a ring-buffer sample as the kernel side's event type T, in place, or nil when
// the sample is shorter than T. The BPF program wrote it on this machine, in its byte order
// and in the layout T reproduces, so there is nothing to decode: binary.Read would spend
// about 2.5 µs of reflection on each opensnoop event, and the harness would count that as
// the framework's cost per event.
func Event[T any](sample []byte) *T {
	if len(sample) < int(unsafe.Sizeof(*new(T))) {
		return nil
	}
	return (*T)(unsafe.Pointer(unsafe.SliceData(sample)))
}

// CString returns a C char array up to its first NUL. bpf2go types C's char as int8, a
// hand-written mirror as byte.
func CString[C int8 | byte](s []C) []byte {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// Summary prints the exit summary on stderr: the events read from the ring buffer and the
// BPF side's count of failed reservations.
func Summary(events, drops uint64) {
	fmt.Fprintf(os.Stderr, "events=%d drops=%d\n", events, drops)
}

// Exit ends the process: 0 when err is nil, else one line naming the cause and 1. It is
// called once run has returned, so its deferred closes have left nothing attached.
func Exit(prog string, err error) {
	if err == nil {
		os.Exit(0)
	}
	hint := ""
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		hint = " (need root or CAP_BPF and CAP_PERFMON)"
	}
	fmt.Fprintf(os.Stderr, "%s: %v%s\n", prog, err, hint)
	os.Exit(1)
}
