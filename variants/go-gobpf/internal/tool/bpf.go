package tool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iovisor/gobpf/bcc"
)

const (
	// SamplesQueued is the room of the channel between gobpf's poll goroutine and Stream:
	// about 300 KiB of copied opensnoop events on top of the perf buffers.
	SamplesQueued = 1024
	// PerfBufferBytes is the size of each CPU's perf buffer: the 256 KiB of the ring buffer
	// of docs/programs.md (RINGBUF_BYTES), so that no CPU has less room than with it. gobpf's
	// default, like BCC's, is 8 pages.
	PerfBufferBytes = 256 << 10
)

// ErrNoBatching is what -B gets here (docs/programs.md, "Wakeups"): gobpf reads perf buffers
// only, which libbcc's bpf_open_perf_buffer opens with wakeup_events = 1, a wakeup per sample,
// and gobpf offers neither a watermark nor a wakeup count, nor perf_submit a no-wakeup flag.
var ErrNoBatching = errors.New("-B: batched wakeups are not available with gobpf: its perf buffers wake the reader on every sample")

// PerfPages is PerfBufferBytes in pages, the unit of gobpf's InitPerfMapWithPageCnt.
func PerfPages() int { return PerfBufferBytes / os.Getpagesize() }

// Source returns a kernel side of bpf/bcc with bpf/events.h put in the place of its
// `#include "events.h"`, as the preprocessor would: libbcc compiles the text from memory, so
// the executable needs neither the checkout nor a -I path to it.
func Source(program, eventsHeader string) (string, error) {
	return Include(program, "events.h", eventsHeader)
}

// Include returns program with the text of the header name put in the place of its
// `#include "name"`, as Source does for events.h (flood's source includes flood.h).
func Include(program, name, header string) (string, error) {
	include := `#include "` + name + `"`
	if !strings.Contains(program, include) {
		return "", fmt.Errorf("no %s in the BPF source", include)
	}
	return strings.Replace(program, include, header, 1), nil
}

// BCCMessages holds what libbcc writes on stderr while it is captured.
type BCCMessages struct {
	saved int // the real stderr, or -1 when nothing is captured
	text  chan []byte
	log   []byte
}

// CaptureBCC sends the process's stderr (fd 2) to a pipe until Release. libbcc has no
// logging hook: clang's diagnostics, the verifier's log and its own messages ("could not open
// bpf map: ...") go to stderr, which must carry only the summary line or one error line.
// Wrap adds the first of those messages to an error. GOBPF_VERBOSE=1 leaves stderr alone.
func CaptureBCC() *BCCMessages {
	m := &BCCMessages{saved: -1}
	if os.Getenv("GOBPF_VERBOSE") != "" {
		return m
	}
	r, w, err := os.Pipe()
	if err != nil {
		return m
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		r.Close()
		w.Close()
		return m
	}
	syscall.CloseOnExec(saved)
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		syscall.Close(saved)
		r.Close()
		w.Close()
		return m
	}
	w.Close() // fd 2 is now the pipe's only writer
	m.saved = saved
	m.text = make(chan []byte, 1)
	// Read as it comes, so a long verifier log cannot fill the pipe and block libbcc.
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		m.text <- b
	}()
	return m
}

// Release gives the process its stderr back and keeps what libbcc wrote. It may be called
// more than once.
func (m *BCCMessages) Release() {
	if m.saved < 0 {
		return
	}
	syscall.Dup3(m.saved, 2, 0) // the pipe loses its last writer: the reader sees EOF
	syscall.Close(m.saved)
	m.saved = -1
	m.log = <-m.text
}

// Wrap releases stderr and returns err followed by libbcc's first message, if it wrote one.
func (m *BCCMessages) Wrap(err error) error {
	m.Release()
	for line := range strings.Lines(string(m.log)) {
		if line = strings.TrimSpace(line); line != "" {
			return fmt.Errorf("%w (libbcc: %s)", err, line)
		}
	}
	return err
}

// ModuleError is the error of a bcc.NewModule that returned nil, which gives no cause.
// Without the capabilities to load BPF programs, libbcc cannot read the tracepoint formats
// it types a tracepoint's arguments from either, and clang's error about an incomplete
// struct tracepoint__syscalls__... (or a map that could not be created) is only the
// symptom: the error is then EPERM. Otherwise it carries libbcc's first message.
func (m *BCCMessages) ModuleError() error {
	if !capable() {
		m.Release()
		return fmt.Errorf("creating the BPF module: %w", syscall.EPERM)
	}
	return m.Wrap(errors.New("compiling the BPF module failed"))
}

// capable tells whether the process has CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON, in its
// effective set.
func capable() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true // unknown: let libbcc's message speak
	}
	for line := range strings.Lines(string(status)) {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				return true
			}
			const sysAdmin, perfmon, bpf = 1 << 21, 1 << 38, 1 << 39
			return caps&sysAdmin != 0 || caps&(perfmon|bpf) == perfmon|bpf
		}
	}
	return true
}

// Tracepoint is a function of the module and the syscalls tracepoint it attaches to.
type Tracepoint struct {
	Event    string // e.g. sys_enter_openat
	Function string
}

// Attach loads each function as a tracepoint program and attaches it. The module keeps the
// program fds and the perf events that attach them: Module.Close closes them, after an
// error too.
func Attach(m *bcc.Module, tps ...Tracepoint) error {
	for _, tp := range tps {
		fd, err := m.LoadTracepoint(tp.Function)
		if err != nil {
			return fmt.Errorf("loading %s: %w", tp.Function, err)
		}
		if err := m.AttachTracepoint("syscalls:"+tp.Event, fd); err != nil {
			return fmt.Errorf("attaching tracepoint syscalls/%s: %w", tp.Event, err)
		}
	}
	return nil
}

// Table returns the module's map called name.
func Table(m *bcc.Module, name string) (*bcc.Table, error) {
	id := m.TableId(name)
	if uint64(id) >= m.TableSize() {
		return nil, fmt.Errorf("no map %s in the BPF module", name)
	}
	return bcc.NewTable(id, m), nil
}

// Stream prints the header, the ready signal, then the line format makes of each sample
// received on samples (format returns out unchanged to print nothing), until a signal
// arrives or d has passed. It returns the number of samples printed or skipped.
//
// gobpf hands the samples over one by one on a channel, so a batch ends when the channel is
// empty: stdout is flushed then, and never while more samples are waiting. At the end it
// stops gobpf's poll goroutine, taking the samples that goroutine still delivers until it
// has stopped (it blocks on a full channel, and notices Stop only between two polls of at
// most 500 ms), then those queued.
func Stream(pm *bcc.PerfMap, samples <-chan []byte, sig <-chan os.Signal, d Seconds, header string, format func(out, sample []byte) []byte) (uint64, error) {
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	w.WriteString(header + "\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}

	deadline := Deadline(d)
	var stopped chan struct{} // nil, which blocks, until the end is asked for
	stop := func() {
		sig, deadline = nil, nil
		stopped = make(chan struct{})
		go func() {
			pm.Stop()
			close(stopped)
		}()
	}
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
		case sample := <-samples:
			emit(sample)
			if len(samples) == 0 {
				if err := w.Flush(); err != nil {
					return events, err
				}
			}
		case <-sig:
			stop()
		case <-deadline:
			stop()
		case <-stopped:
			break loop
		}
	}
	// The poll goroutine has returned: nothing more is sent.
	for len(samples) > 0 {
		emit(<-samples)
	}
	return events, w.Flush()
}

// PollTimeout is the timeout of gobpf's perf_reader_poll calls (PerfMap.Start, fixed): the
// longest its poll goroutine waits for a wakeup before it looks at Stop again.
const PollTimeout = 500 * time.Millisecond

// Stop stops gobpf's poll goroutine, handing take every sample that goroutine still delivers
// until it has stopped (it blocks on a full channel, and notices Stop only between two polls),
// then those queued, as Stream does at its end. What the perf buffers still hold then stays
// there: gobpf has no call to read them without the goroutine.
func Stop(pm *bcc.PerfMap, samples <-chan []byte, take func(sample []byte)) {
	stopped := make(chan struct{})
	go func() {
		pm.Stop()
		close(stopped)
	}()
	for {
		select {
		case sample := <-samples:
			take(sample)
		case <-stopped:
			for len(samples) > 0 {
				take(<-samples)
			}
			return
		}
	}
}

// Drops reads the one u64 of the array map `drops`: the samples perf_submit failed to write.
// A sample that finds its CPU's perf buffer full is among them: the kernel counts it in the
// buffer's lost records and fails perf_submit with -ENOSPC. So the lost records, which gobpf
// would report on InitPerfMap's lost channel, are not added: they count the same samples
// again.
func Drops(m *bcc.Module) (uint64, error) {
	v, err := Slot0(m, "drops", 1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Slot0 reads the first n u64s of slot 0 of the array map name: drops's one counter, or
// flood_state's next_seq and lost. BCC has no global data, so the BPF side's counters live
// there.
func Slot0(m *bcc.Module, name string, n int) ([]uint64, error) {
	t, err := Table(m, name)
	if err != nil {
		return nil, err
	}
	value, err := t.Get(make([]byte, 4))
	if err != nil {
		return nil, err
	}
	if len(value) < 8*n {
		return nil, fmt.Errorf("%s: not %d u64s", name, n)
	}
	v := make([]uint64, n)
	for i := range v {
		v[i] = binary.NativeEndian.Uint64(value[8*i:])
	}
	return v, nil
}
