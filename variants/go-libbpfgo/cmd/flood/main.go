// Command flood loads flood_small and flood_large without attaching them, then reads the records
// they write into the ring buffer `records` when the harness test-runs them (harness/produce.c),
// until SIGINT, SIGTERM or -d. Every record's seq is checked, so a record skipped counts as lost
// (docs/programs.md, "flood"); output and summary are c-libbpf's flood, byte for byte.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	bpf "github.com/aquasecurity/libbpfgo"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

const synopsis = "[-h] [-f] [-d SECONDS]"

// usageText is c-libbpf's (flood_usage in its common.c), word for word.
const usageText = `usage: flood [-h] [-f] [-d SECONDS]
Loads flood_small and flood_large (not attached) and reads the records they write when
test-run: SEQ, TS_NS, BYTES.
  -h          print this help and exit
  -f          print every record as a line (default: count them only)
  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM
`

// floodRecord mirrors struct flood_record of bpf/flood.h, the head of every record:
// libbpfgo generates no types.
type floodRecord struct {
	Seq  uint64
	TsNs uint64
}

func main() {
	var duration tool.Seconds
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	format := fs.Bool("f", false, "print every record as a line (default: count them only)")
	fs.Var(&duration, "d", "stop after `SECONDS` (decimals allowed); default: until SIGINT or SIGTERM")
	parse(fs, os.Args[1:])
	tool.Exit(fs.Name(), run(*format, duration))
}

// parse is tool.Parse with c-libbpf's usage text for -h: the arguments before the first -h
// that is an option (not -d's value) go through tool.Parse, which exits 2 on a mistake among
// them as it would on the whole command line; then the text is printed.
func parse(fs *flag.FlagSet, args []string) {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-h":
			tool.Parse(fs, synopsis, args[:i])
			fmt.Print(usageText)
			os.Exit(0)
		case "-d":
			i++
		}
	}
	tool.Parse(fs, synopsis, args)
}

// reader is what c-libbpf's flood_take keeps: the records read, their bytes, the gaps in the
// sequence and the next seq expected; with -f, each record as a line on out.
type reader struct {
	out                        *bufio.Writer
	format                     bool
	line                       []byte
	records, bytes, gaps, next uint64
}

// take counts one ring-buffer sample, read in place as its struct flood_record.
func (r *reader) take(sample []byte) {
	rec := tool.Event[floodRecord](sample)
	if rec == nil {
		return
	}
	// Seqs only grow in the ring, so one below the next expected was read already: the drain's
	// second reader can deliver again the record the first was stopped on (its callback returned
	// without libbpf moving the consumer past it). Not a new record.
	if rec.Seq < r.next && r.records > 0 {
		return
	}
	if rec.Seq > r.next {
		r.gaps += rec.Seq - r.next
	}
	r.next = rec.Seq + 1
	r.records++
	r.bytes += uint64(len(sample))
	if r.format {
		r.line = strconv.AppendUint(r.line[:0], rec.Seq, 10)
		r.line = append(r.line, '\t')
		r.line = strconv.AppendUint(r.line, rec.TsNs, 10)
		r.line = append(r.line, '\t')
		r.line = strconv.AppendInt(r.line, int64(len(sample)), 10)
		r.line = append(r.line, '\n')
		r.out.Write(r.line)
	}
}

// drain takes samples until the record before seq end has come, or none has come for a poll
// timeout (libbpfgo's poll goroutine is then waiting for a wakeup), then what is queued.
func (r *reader) drain(samples <-chan []byte, end uint64) {
	quiet := time.NewTimer(tool.PollTimeoutMs * time.Millisecond)
	defer quiet.Stop()
	for r.next < end {
		select {
		case sample := <-samples:
			r.take(sample)
			quiet.Reset(tool.PollTimeoutMs * time.Millisecond)
		case <-quiet.C:
			return
		}
	}
	for len(samples) > 0 {
		r.take(<-samples)
	}
}

func run(format bool, duration tool.Seconds) error {
	sig := tool.Signals()
	tool.QuietLibbpf()

	// libbpf 1.x raises RLIMIT_MEMLOCK itself when the kernel still needs it.
	m, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      golibbpfgo.FloodObject,
		BPFObjName:      "flood",
		SkipMemlockBump: true,
	})
	if err != nil {
		return fmt.Errorf("opening BPF object: %w", err)
	}
	defer m.Close()

	// Loaded, never attached: the harness test-runs flood_small and flood_large by id.
	if err := m.BPFLoadObject(); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}

	samples := make(chan []byte, tool.SamplesQueued)
	rb, err := m.InitRingBuf("records", samples)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	rb.Poll(tool.PollTimeoutMs)

	r := &reader{out: bufio.NewWriterSize(os.Stdout, 64<<10), format: format, line: make([]byte, 0, 64)}
	r.out.WriteString("SEQ\tTS_NS\tBYTES\n")
	if err := r.out.Flush(); err != nil {
		return err
	}

	// As tool.Stream: a batch ends when the channel is empty, and stdout is flushed then.
	deadline := tool.Deadline(duration)
loop:
	for {
		select {
		case sample := <-samples:
			r.take(sample)
			if len(samples) == 0 {
				if err := r.out.Flush(); err != nil {
					return err
				}
			}
		case <-sig:
			break loop
		case <-deadline:
			break loop
		}
	}

	// The drain. libbpf reads the ring when epoll wakes it, and a record is submitted without a
	// wakeup until a quarter of the ring waits, so the last records can stay there unseen; and
	// RingBuffer.Stop discards what its poll goroutine still reads. So: next_seq, the seq of the
	// next record the programs will write, is the end. The poll goroutine delivers what it was
	// woken for; once it has gone quiet it is stopped, and a second reader on the same map (a
	// new epoll, which sees the data at once) takes what the ring still holds.
	end, err := tool.Global(m, golibbpfgo.FloodObject, "next_seq")
	if err != nil {
		return fmt.Errorf("reading next_seq: %w", err)
	}
	r.drain(samples, end)
	rb.Stop()
	if r.next < end {
		rest := make(chan []byte, tool.SamplesQueued)
		rb, err := m.InitRingBuf("records", rest)
		if err != nil {
			return fmt.Errorf("opening ring buffer: %w", err)
		}
		rb.Poll(tool.PollTimeoutMs)
		r.drain(rest, end)
		rb.Stop()
	}
	if err := r.out.Flush(); err != nil {
		return err
	}

	lost, err := tool.Global(m, golibbpfgo.FloodObject, "lost")
	if err != nil {
		return fmt.Errorf("reading lost: %w", err)
	}
	fmt.Fprintf(os.Stderr, "records=%d bytes=%d lost=%d\n", r.records, r.bytes, r.gaps+lost)
	return nil
}
