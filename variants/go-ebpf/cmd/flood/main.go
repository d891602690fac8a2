//go:build linux

// Command flood loads flood_small and flood_large without attaching them and reads the records
// they write into their ring buffer when the harness test-runs them (harness/produce.c), until
// SIGINT, SIGTERM or -d. Every record's seq is checked, so a record skipped counts as lost.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

// floodRecord is bpf/flood.h's struct flood_record, the head of every record, mirrored here
// because the kernel side only points at it from a local, so it is not in the object's BTF
// for bpf2go to generate.
type floodRecord struct {
	Seq  uint64 // 0, 1, 2... in the order written, over both programs
	TsNs uint64 // bpf_ktime_get_ns() when written
}

// counts is what the reader took: records, their bytes, and the seqs it never saw.
type counts struct {
	records, bytes, gaps uint64
	next                 uint64 // the seq expected next
}

func main() {
	c := parse(os.Args[1:])
	tool.Exit("flood", run(c))
}

func run(c config) error {
	sig := tool.Signals()

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	// Loaded, not attached: the harness's producer runs them by id.
	var objs floodObjects
	if err := loadFloodObjects(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	rd, err := ringbuf.NewReader(objs.Records)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Close()

	n, err := read(rd, sig, c)
	if err != nil {
		return err
	}

	var lost uint64
	if err := objs.Lost.Get(&lost); err != nil {
		return fmt.Errorf("reading lost: %w", err)
	}
	fmt.Fprintf(os.Stderr, "records=%d bytes=%d lost=%d\n", n.records, n.bytes, n.gaps+lost)
	return nil
}

// read prints the header, the ready signal, then takes every record of rd, checking its seq and,
// with -f, printing it as SEQ, TS_NS, BYTES, until a signal arrives or -d has passed; then it
// drains what the ring still holds.
//
// The stop is Reader.Flush, not Close: ReadInto then returns every record the ring holds, and
// only then ErrFlushed. The kernel side submits most records without a wakeup, so a blocked
// ReadInto sleeps until a quarter of the ring is waiting (it has no timeout); what is left below
// that when the stop comes is read by the drain. The lines of one batch (the records read while the ring was not empty) are
// written together, as tool.Stream does.
func read(rd *ringbuf.Reader, sig <-chan os.Signal, c config) (counts, error) {
	var n counts
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	w.WriteString("SEQ\tTS_NS\tBYTES\n")
	if err := w.Flush(); err != nil {
		return n, err
	}

	deadline := tool.Deadline(c.duration)
	go func() {
		select {
		case <-sig:
		case <-deadline:
		}
		rd.Flush()
	}()

	var rec ringbuf.Record // reused: ReadInto copies into its buffer
	line := make([]byte, 0, 64)
	for {
		if err := rd.ReadInto(&rec); err != nil {
			if errors.Is(err, ringbuf.ErrFlushed) {
				return n, w.Flush()
			}
			return n, fmt.Errorf("reading ring buffer: %w", err)
		}
		r := tool.Event[floodRecord](rec.RawSample)
		if r == nil {
			continue
		}
		if r.Seq > n.next {
			n.gaps += r.Seq - n.next
		}
		n.next = r.Seq + 1
		n.records++
		n.bytes += uint64(len(rec.RawSample))
		if !c.format {
			continue
		}
		line = strconv.AppendUint(line[:0], r.Seq, 10)
		line = append(line, '\t')
		line = strconv.AppendUint(line, r.TsNs, 10)
		line = append(line, '\t')
		line = strconv.AppendUint(line, uint64(len(rec.RawSample)), 10)
		line = append(line, '\n')
		w.Write(line)
		if rec.Remaining == 0 {
			if err := w.Flush(); err != nil {
				return n, err
			}
		}
	}
}
