//go:build linux

// Package cli holds what hello and opensnoop share beyond their BPF objects:
// the command line, the stop conditions, the ring-buffer read loop with
// batched output, and the one-line errors of SPEC.md's common contract.
package cli

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

// Parse parses args into fs. A bad command line ends the process with one
// line on stderr and exit code 2; -h prints the usage and exits 0.
func Parse(fs *flag.FlagSet, args []string) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Printf("usage: %s [options]\n", fs.Name())
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err != nil {
		Usage(fs.Name(), err)
	}
}

// Usage reports a bad command line and exits 2.
func Usage(prog string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v (see -h)\n", prog, err)
	os.Exit(2)
}

// Seconds turns the -d value into a duration; zero means run until a signal.
func Seconds(prog string, s float64) time.Duration {
	if s < 0 {
		Usage(prog, fmt.Errorf("-d %v: must not be negative", s))
	}
	return time.Duration(s * float64(time.Second))
}

// Exit ends a run: on error one line naming the cause and exit 1. It is
// called after the run's deferred Close calls, so nothing stays attached.
func Exit(prog string, err error) {
	if err == nil {
		os.Exit(0)
	}
	hint := ""
	if errors.Is(err, syscall.EPERM) {
		hint = " (need root or CAP_BPF and CAP_PERFMON)"
	}
	fmt.Fprintf(os.Stderr, "%s: %v%s\n", prog, err, hint)
	os.Exit(1)
}

// CatchSignals makes SIGINT and SIGTERM stop the tool cleanly from the
// start, before anything is loaded, rather than kill it.
func CatchSignals() <-chan os.Signal {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	return sig
}

// Tracepoint names a program and the syscalls tracepoint it attaches to.
type Tracepoint struct {
	Name string // e.g. sys_enter_openat
	Prog *ebpf.Program
}

// Attach attaches each program to its tracepoint. On error the links made so
// far are closed.
func Attach(tps ...Tracepoint) ([]link.Link, error) {
	var links []link.Link
	for _, tp := range tps {
		l, err := link.Tracepoint("syscalls", tp.Name, tp.Prog, nil)
		if err != nil {
			Detach(links)
			return nil, fmt.Errorf("attaching tracepoint syscalls/%s: %w", tp.Name, err)
		}
		links = append(links, l)
	}
	return links, nil
}

// Detach closes every link.
func Detach(links []link.Link) {
	for _, l := range links {
		l.Close()
	}
}

// Stream hands every sample of rd to emit, which writes its line (or
// nothing) to w, until a signal arrives or d (when non-zero) has passed.
// w is flushed whenever the ring buffer has been emptied, so a batch costs
// one write and no line waits in the buffer while the reader sleeps.
// It returns the number of samples read.
func Stream(rd *ringbuf.Reader, sig <-chan os.Signal, d time.Duration, w *bufio.Writer, emit func(sample []byte)) (uint64, error) {
	var timeout <-chan time.Time
	if d > 0 {
		timeout = time.After(d)
	}
	go func() {
		select {
		case <-sig:
		case <-timeout:
		}
		// Close interrupts a blocked ReadInto with ErrClosed.
		rd.Close()
	}()

	var rec ringbuf.Record // reused: ReadInto copies into its buffer
	var events uint64
	for {
		if err := rd.ReadInto(&rec); err != nil {
			if errors.Is(err, ringbuf.ErrClosed) {
				return events, w.Flush()
			}
			return events, fmt.Errorf("reading ring buffer: %w", err)
		}
		events++
		emit(rec.RawSample)
		if rec.Remaining == 0 {
			if err := w.Flush(); err != nil {
				return events, err
			}
		}
	}
}

// CString returns b up to its first NUL.
func CString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
