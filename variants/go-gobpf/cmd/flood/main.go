// Command flood loads flood_small and flood_large without attaching them, then reads the records
// they write into the perf buffer `records` when the harness test-runs them (harness/produce.c),
// until SIGINT, SIGTERM or -d. Every record's seq is checked, so a record skipped counts as lost
// (docs/programs.md, "flood"); output and summary are c-libbpf's flood, byte for byte. The one
// difference is the buffer: gobpf reads perf buffers only, so the kernel side is
// bpf/bcc/flood_perf.c, not the ring buffer of bpf/bcc/flood.c.
package main

// BPF_PROG_TYPE_XDP, as gobpf's own XDP example names it: its bcc package exports no
// program-type constants.

// #include <linux/bpf.h>
import "C"

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/iovisor/gobpf/bcc"

	gogobpf "github.com/ebpf-frameworks/variants/go-gobpf"
	"github.com/ebpf-frameworks/variants/go-gobpf/internal/tool"
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

// perfBufferBytes is the size of each CPU's perf buffer: FLOOD_RING_BYTES of bpf/flood.h, the
// 1 MiB ring buffer of the other variants' flood. The producer writes from one CPU, so that
// CPU's buffer is the room the records have, as much as the ring gives them (a record takes a
// little more of it: 8 bytes of perf header and a u32 size, against the ring's 8-byte header).
const perfBufferBytes = 1 << 20

// floodRecord mirrors struct flood_record of bpf/flood.h, the head of every record: gobpf
// generates no types.
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

// recordBytes is the size of the record the program submitted, from the sample gobpf hands
// over. The kernel pads a perf sample's raw data so that it and the u32 size before it end on
// 8 bytes (perf_prepare_sample), and libbcc passes on that padded size: 20 bytes for
// flood_small's 16-byte record, 308 for flood_large's 304. The records are structs of u64s, so
// their sizes are multiples of 8 and the padding is always 4 bytes: rounding down to 8 removes
// it.
func recordBytes(sample []byte) uint64 { return uint64(len(sample)) &^ 7 }

// reader is what c-libbpf's flood_take keeps: the records read, their bytes, the gaps in the
// sequence and the next seq expected; with -f, each record as a line on out.
type reader struct {
	out                        *bufio.Writer
	format                     bool
	line                       []byte
	records, bytes, gaps, next uint64
}

// take counts one perf sample, read in place as its struct flood_record.
func (r *reader) take(sample []byte) {
	rec := tool.Event[floodRecord](sample)
	if rec == nil {
		return
	}
	if rec.Seq > r.next {
		r.gaps += rec.Seq - r.next
	}
	r.next = rec.Seq + 1
	size := recordBytes(sample)
	r.records++
	r.bytes += size
	if r.format {
		r.line = strconv.AppendUint(r.line[:0], rec.Seq, 10)
		r.line = append(r.line, '\t')
		r.line = strconv.AppendUint(r.line, rec.TsNs, 10)
		r.line = append(r.line, '\t')
		r.line = strconv.AppendUint(r.line, size, 10)
		r.line = append(r.line, '\n')
		r.out.Write(r.line)
	}
}

// drain takes samples until the record before seq end has come, or none has come for a poll
// timeout of gobpf's (its poll goroutine then found nothing to read).
func (r *reader) drain(samples <-chan []byte, end uint64) {
	quiet := time.NewTimer(tool.PollTimeout)
	defer quiet.Stop()
	for r.next < end {
		select {
		case sample := <-samples:
			r.take(sample)
			quiet.Reset(tool.PollTimeout)
		case <-quiet.C:
			return
		}
	}
}

func run(format bool, duration tool.Seconds) error {
	sig := tool.Signals()

	source, err := tool.Include(gogobpf.FloodSource, "flood.h", gogobpf.FloodHeader)
	if err != nil {
		return err
	}
	// -w: the kernel headers make clang warn, and stderr carries only the summary.
	cflags := []string{"-w"}

	bccLog := tool.CaptureBCC()
	defer bccLog.Release()

	// libbcc compiles the C against the running kernel's headers and creates the maps.
	m := bcc.NewModule(source, cflags)
	if m == nil {
		return bccLog.ModuleError()
	}
	defer m.Close()

	// Loaded, never attached: the harness test-runs them by id. The module keeps the fds.
	for _, name := range []string{"flood_small", "flood_large"} {
		if _, err := m.Load(name, C.BPF_PROG_TYPE_XDP, 0, 0); err != nil {
			return bccLog.Wrap(fmt.Errorf("loading %s: %w", name, err))
		}
	}

	// A perf buffer per CPU, opened before the header: perf_submit fails on a CPU whose buffer
	// is not open, and that would count as lost.
	table, err := tool.Table(m, "records")
	if err != nil {
		return err
	}
	samples := make(chan []byte, tool.SamplesQueued)
	// No lost channel: the samples a full buffer loses are in flood_state.lost already (a
	// refused perf_submit is counted there and by the kernel); adding both would count them
	// twice, as for drops (tool.Drops).
	pm, err := bcc.InitPerfMapWithPageCnt(table, samples, nil, perfBufferBytes/os.Getpagesize())
	if err != nil {
		return bccLog.Wrap(fmt.Errorf("opening perf buffers: %w", err))
	}
	pm.Start()
	bccLog.Release()

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

	// The drain. Every sample wakes the poll goroutine (libbcc opens the buffers with
	// wakeup_events = 1), so it reads them all while it runs; but once Stop is taken, between two
	// polls, what a buffer still holds stays there (gobpf cannot read it otherwise). So it is
	// stopped only once the records written so far have come: next_seq, the seq the programs
	// would give the next record, is the end, and every seq below it was accepted by perf_submit
	// and is in the buffer or on its way.
	state, err := tool.Slot0(m, "flood_state", 1)
	if err != nil {
		return fmt.Errorf("reading flood_state: %w", err)
	}
	r.drain(samples, state[0])
	tool.Stop(pm, samples, r.take)
	if err := r.out.Flush(); err != nil {
		return err
	}

	// lost: the records perf_submit refused, never written, so never in the sequence.
	state, err = tool.Slot0(m, "flood_state", 2)
	if err != nil {
		return fmt.Errorf("reading flood_state: %w", err)
	}
	fmt.Fprintf(os.Stderr, "records=%d bytes=%d lost=%d\n", r.records, r.bytes, r.gaps+state[1])
	return nil
}
