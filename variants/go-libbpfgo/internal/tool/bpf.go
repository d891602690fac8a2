package tool

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
)

const (
	// PollTimeoutMs bounds how long libbpfgo's poll goroutine takes to notice Stop.
	PollTimeoutMs = 100
	// SamplesQueued is the room of the channel between libbpfgo's poll goroutine and
	// Stream: about 300 KiB of copied events on top of the 256 KiB ring buffer.
	SamplesQueued = 1024
)

// QuietLibbpf silences libbpf's own messages, so a failure is the one line of Exit;
// LIBBPF_VERBOSE=1 shows its warnings.
func QuietLibbpf() {
	verbose := os.Getenv("LIBBPF_VERBOSE") != ""
	bpf.SetLoggerCbs(bpf.Callbacks{Log: func(level int, msg string) {
		if verbose && level == bpf.LibbpfWarnLevel {
			fmt.Fprint(os.Stderr, msg)
		}
	}})
}

// Tracepoint is a program of the module and the syscalls tracepoint it attaches to.
type Tracepoint struct {
	Event   string // e.g. sys_enter_openat
	Program string
}

// Attach attaches each program to its tracepoint. The module keeps the links it made:
// Module.Close destroys them, after an error too.
func Attach(m *bpf.Module, tps ...Tracepoint) ([]*bpf.BPFLink, error) {
	var links []*bpf.BPFLink
	for _, tp := range tps {
		prog, err := m.GetProgram(tp.Program)
		if err != nil {
			return nil, err
		}
		l, err := prog.AttachTracepoint("syscalls", tp.Event)
		if err != nil {
			return nil, fmt.Errorf("attaching tracepoint syscalls/%s: %w", tp.Event, err)
		}
		links = append(links, l)
	}
	return links, nil
}

// Detach destroys every link.
func Detach(links []*bpf.BPFLink) {
	for _, l := range links {
		l.Destroy()
	}
}

// Reader delivers the samples of a ring buffer map on Samples, from a goroutine of its own.
type Reader struct {
	Samples chan []byte
	rb      *bpf.RingBuffer // by default: libbpfgo's
	batched *batchedRing    // -B: libbpf's own (batched.go)
}

// OpenReader starts reading the ring buffer map name of m: by default with libbpfgo's
// RingBuffer (InitRingBuf with the channel, Poll with PollTimeoutMs), with batched (-B) with
// batchedRing, whose poll waits at most WakeupWaitMs and is followed by a consume.
func OpenReader(m *bpf.Module, name string, batched bool) (*Reader, error) {
	r := &Reader{Samples: make(chan []byte, SamplesQueued)}
	if batched {
		events, err := m.GetMap(name)
		if err != nil {
			return nil, err
		}
		if r.batched, err = newBatchedRing(events, r.Samples); err != nil {
			return nil, err
		}
		r.batched.poll()
		return r, nil
	}
	rb, err := m.InitRingBuf(name, r.Samples)
	if err != nil {
		return nil, err
	}
	rb.Poll(PollTimeoutMs)
	r.rb = rb
	return r, nil
}

// Stop ends the reader, once Stream has returned (again: nothing). libbpfgo's RingBuffer.Stop
// discards what its goroutine still reads; -B's reader has delivered all by then.
func (r *Reader) Stop() error {
	if r.batched != nil {
		return r.batched.close()
	}
	r.rb.Stop()
	return nil
}

// Stream prints the header, the ready signal, then the line format makes of each sample
// of rd (format returns out unchanged to print nothing), until a signal arrives or d has
// passed. It returns the number of samples printed or skipped.
//
// libbpfgo hands the samples over one by one on a channel, so a batch ends when the channel
// is empty: stdout is flushed then, and never while more samples are waiting. At the end
// the samples already queued are taken; what libbpf reads after that is discarded by
// RingBuffer.Stop and not counted, like a C reader that stops polling. With -B the end is
// the reader's own: stopped, it consumes the ring once more, every record that waited
// unsignalled included, and closes the channel; Stream takes the samples until then.
func Stream(rd *Reader, sig <-chan os.Signal, d Seconds, header string, format func(out, sample []byte) []byte) (uint64, error) {
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	w.WriteString(header + "\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}

	samples := rd.Samples
	deadline := Deadline(d)
	var events uint64
	line := make([]byte, 0, 512)
	emit := func(sample []byte) {
		events++
		line = format(line[:0], sample)
		w.Write(line)
	}
loop:
	for {
		select {
		case sample, ok := <-samples:
			if !ok { // -B's reader failed (Reader.Stop says how)
				return events, w.Flush()
			}
			emit(sample)
			if len(samples) == 0 {
				if err := w.Flush(); err != nil {
					return events, err
				}
			}
		case <-sig:
			break loop
		case <-deadline:
			break loop
		}
	}
	if rd.batched != nil {
		rd.batched.stop()
		for sample := range samples {
			emit(sample)
		}
		return events, w.Flush()
	}
	for len(samples) > 0 {
		emit(<-samples)
	}
	return events, w.Flush()
}

// Drops reads the u64 global `drops` of a loaded module.
func Drops(m *bpf.Module, object []byte) (uint64, error) {
	return Global(m, object, "drops")
}

// Global reads the u64 global name of a loaded module, a variable of .bss: libbpfgo reads a
// global through the map of its section at the offset the object's ELF symbol gives.
func Global(m *bpf.Module, object []byte, name string) (uint64, error) {
	f, err := elf.NewFile(bytes.NewReader(object))
	if err != nil {
		return 0, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return 0, err
	}
	for _, sym := range syms {
		if sym.Name != name || sym.Size != 8 || int(sym.Section) >= len(f.Sections) ||
			f.Sections[sym.Section].Name != ".bss" {
			continue
		}
		bss, err := m.GetMap(".bss")
		if err != nil {
			return 0, err
		}
		var key uint32
		value, err := bss.GetValue(unsafe.Pointer(&key))
		if err != nil {
			return 0, err
		}
		if sym.Value+8 > uint64(len(value)) {
			break
		}
		return binary.NativeEndian.Uint64(value[sym.Value:]), nil
	}
	return 0, fmt.Errorf("no u64 %s in .bss", name)
}
