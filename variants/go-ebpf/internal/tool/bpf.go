//go:build linux

package tool

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

// Tracepoint is a program and the syscalls tracepoint it attaches to.
type Tracepoint struct {
	Event   string // e.g. sys_enter_openat
	Program *ebpf.Program
}

// Attach attaches each program to its tracepoint. On error the links made so far are closed.
func Attach(tps ...Tracepoint) ([]link.Link, error) {
	var links []link.Link
	for _, tp := range tps {
		l, err := link.Tracepoint("syscalls", tp.Event, tp.Program, nil)
		if err != nil {
			Detach(links)
			return nil, fmt.Errorf("attaching tracepoint syscalls/%s: %w", tp.Event, err)
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

// Stream prints the header, the ready signal, then the line format makes of each sample of
// rd (format returns out unchanged to print nothing), until a signal arrives or d has
// passed. It returns the number of samples read.
//
// The lines of one batch, the records the reader took while the ring buffer was not empty,
// are written together: stdout is flushed when the batch ends, so a batch costs one write
// and no line waits while the reader sleeps.
//
// batched (-B): the BPF side submits without a wakeup until 64 KiB wait, so ReadInto waits
// under a deadline, WakeupWait from the moment the ring was found empty
// (Reader.SetDeadline). When the deadline passes, ReadInto first returns every record the ring
// holds, woken for or not, then os.ErrDeadlineExceeded: the batch ends there. The stop is
// Reader.Flush, not Close, so that what still waits unsignalled is read too: ReadInto returns
// every record the ring holds, then ErrFlushed.
func Stream(rd *ringbuf.Reader, batched bool, sig <-chan os.Signal, d Seconds, header string, format func(out, sample []byte) []byte) (uint64, error) {
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	w.WriteString(header + "\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}

	deadline := Deadline(d)
	go func() {
		select {
		case <-sig:
		case <-deadline:
		}
		if batched {
			rd.Flush()
			return
		}
		// Close interrupts a blocked ReadInto with ErrClosed.
		rd.Close()
	}()

	// wait sets the deadline of the next wait, which comes once the ring has been emptied.
	wait := func() {
		if batched {
			rd.SetDeadline(time.Now().Add(WakeupWait))
		}
	}
	wait()
	var rec ringbuf.Record // reused: ReadInto copies into its buffer
	var events uint64
	line := make([]byte, 0, 512)
	for {
		if err := rd.ReadInto(&rec); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if err := w.Flush(); err != nil {
					return events, err
				}
				wait()
				continue
			}
			if errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, ringbuf.ErrFlushed) {
				return events, w.Flush()
			}
			return events, fmt.Errorf("reading ring buffer: %w", err)
		}
		events++
		line = format(line[:0], rec.RawSample)
		w.Write(line)
		if rec.Remaining == 0 {
			if err := w.Flush(); err != nil {
				return events, err
			}
			wait()
		}
	}
}
