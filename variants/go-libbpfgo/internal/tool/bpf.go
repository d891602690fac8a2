// Package tool is what hello and opensnoop share: the libbpfgo lifecycle (open the embedded
// object, rewrite its read-only globals, load, attach, read the ring buffer), the batched
// output, the exit summary and the one-line errors.
package tool

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
)

const (
	// pollTimeoutMs bounds how long the poll goroutine takes to notice Stop.
	pollTimeoutMs = 100
	// eventsChanCap is the queue between libbpfgo's poll goroutine and the printer: about
	// 300 KiB of copied events on top of the 256 KiB ring buffer.
	eventsChanCap = 1024
)

// Tracepoint names a program of the object and the tracepoint it attaches to.
type Tracepoint struct {
	Program, Category, Event string
}

// Global is a read-only global of the object, rewritten before load. Value must have the
// variable's exact size (uint32 for __u32, bool for bool).
type Global struct {
	Name  string
	Value any
}

// Spec describes one tool.
type Spec struct {
	Name     string // executable name, the prefix of every error line
	Object   []byte // the BPF ELF object
	Globals  []Global
	Attach   []Tracepoint
	Header   string
	Duration time.Duration // 0: until SIGINT or SIGTERM
	// Format appends the output line of one ring-buffer sample to out, or returns out
	// unchanged to skip the sample.
	Format func(out, sample []byte) []byte
}

// StepError is a failed step of the lifecycle: it prints as one line.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string {
	var errno syscall.Errno
	if !errors.As(e.Err, &errno) {
		return fmt.Sprintf("%s failed: %v", e.Step, e.Err)
	}
	hint := ""
	switch errno {
	case syscall.EPERM, syscall.EACCES:
		hint = " (need root or CAP_BPF and CAP_PERFMON)"
	case syscall.ENOENT:
		hint = " (tracepoint not found: is tracefs mounted at /sys/kernel/tracing?)"
	}
	return fmt.Sprintf("%s failed: %s%s", e.Step, errno.Error(), hint)
}

func fail(step string, err error) error { return &StepError{Step: step, Err: err} }

// Main runs the tool and exits: 0 after a clean stop, 1 with one line on stderr otherwise.
func Main(s Spec) {
	if err := run(s); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
		os.Exit(1)
	}
}

func run(s Spec) error {
	// libbpf's own messages are silenced; LIBBPF_VERBOSE=1 shows its warnings.
	verbose := os.Getenv("LIBBPF_VERBOSE") != ""
	bpf.SetLoggerCbs(bpf.Callbacks{Log: func(level int, msg string) {
		if verbose && level == bpf.LibbpfWarnLevel {
			fmt.Fprint(os.Stderr, msg)
		}
	}})

	// Registered before anything is loaded, so a signal during start-up still ends in a
	// clean detach and the summary line.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)

	// libbpf 1.x raises RLIMIT_MEMLOCK itself when the kernel still needs it.
	m, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      s.Object,
		BPFObjName:      s.Name,
		SkipMemlockBump: true,
	})
	if err != nil {
		return fail("opening the BPF object", err)
	}
	defer m.Close()

	for _, g := range s.Globals {
		if err := m.InitGlobalVariable(g.Name, g.Value); err != nil {
			return fail("setting "+g.Name, err)
		}
	}
	if err := m.BPFLoadObject(); err != nil {
		return fail("loading BPF programs", err)
	}
	links := make([]*bpf.BPFLink, 0, len(s.Attach))
	for _, tp := range s.Attach {
		prog, err := m.GetProgram(tp.Program)
		if err != nil {
			return fail("finding program "+tp.Program, err)
		}
		link, err := prog.AttachTracepoint(tp.Category, tp.Event)
		if err != nil {
			return fail("attaching tracepoint "+tp.Category+"/"+tp.Event, err)
		}
		links = append(links, link)
	}

	samples := make(chan []byte, eventsChanCap)
	rb, err := m.InitRingBuf("events", samples)
	if err != nil {
		return fail("creating the ring buffer reader", err)
	}
	rb.Poll(pollTimeoutMs)

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	out.WriteString(s.Header + "\n")
	if err := out.Flush(); err != nil {
		return fail("writing to stdout", err)
	}

	var deadline <-chan time.Time
	if s.Duration > 0 {
		deadline = time.After(s.Duration)
	}
	var events uint64
	line := make([]byte, 0, 512)
	print := func(sample []byte) {
		events++
		line = s.Format(line[:0], sample)
		out.Write(line)
	}
loop:
	for {
		select {
		case sample := <-samples:
			print(sample)
			// libbpfgo hands samples over one by one, so a batch ends when the queue is
			// empty: flush then, and never while more samples are waiting.
			if len(samples) == 0 {
				if err := out.Flush(); err != nil {
					return fail("writing to stdout", err)
				}
			}
		case <-stop:
			break loop
		case <-deadline:
			break loop
		}
	}

	// What is already queued is printed; what libbpf reads after this point is
	// discarded by rb.Stop and not counted, like a C reader that stops polling.
	for len(samples) > 0 {
		print(<-samples)
	}
	if err := out.Flush(); err != nil {
		return fail("writing to stdout", err)
	}
	for _, link := range links {
		if err := link.Destroy(); err != nil {
			return fail("detaching", err)
		}
	}
	rb.Stop()

	drops, err := readDrops(m, s.Object)
	if err != nil {
		return fail("reading the drops counter", err)
	}
	fmt.Fprintf(os.Stderr, "events=%d drops=%d\n", events, drops)
	return nil
}

// readDrops reads the u64 BPF global `drops` from the object's .bss map, at the offset
// its ELF symbol gives.
func readDrops(m *bpf.Module, object []byte) (uint64, error) {
	f, err := elf.NewFile(bytes.NewReader(object))
	if err != nil {
		return 0, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return 0, err
	}
	for _, sym := range syms {
		if sym.Name != "drops" || sym.Size != 8 || int(sym.Section) >= len(f.Sections) ||
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
	return 0, errors.New("no u64 drops in .bss")
}

// CString returns b up to its first NUL.
func CString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
