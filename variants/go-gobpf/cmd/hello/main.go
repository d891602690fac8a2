// Command hello prints a line for every execve: the process, its parent, its user and comm,
// and the message the BPF program wrote.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/iovisor/gobpf/bcc"

	gogobpf "github.com/ebpf-frameworks/variants/go-gobpf"
	"github.com/ebpf-frameworks/variants/go-gobpf/internal/tool"
)

// helloEvent mirrors struct hello_event of bpf/events.h: gobpf generates no types.
type helloEvent struct {
	Pid     uint32
	Ppid    uint32
	Uid     uint32
	Comm    [16]byte
	Message [12]byte
}

func main() {
	var duration tool.Seconds
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	batched := tool.Batched(fs)
	fs.Var(&duration, "d", "stop after `SECONDS` (decimals allowed); default: until SIGINT or SIGTERM")
	tool.Parse(fs, "[-h] [-B] [-d SECONDS]", os.Args[1:])
	if *batched {
		tool.Exit(fs.Name(), tool.ErrNoBatching)
	}
	tool.Exit(fs.Name(), run(duration))
}

// format prints a struct hello_event as PID, PPID, UID, COMM, MESSAGE.
func format(out, sample []byte) []byte {
	e := tool.Event[helloEvent](sample)
	if e == nil {
		return out
	}
	out = strconv.AppendUint(out, uint64(e.Pid), 10)
	out = append(out, '\t')
	out = strconv.AppendUint(out, uint64(e.Ppid), 10)
	out = append(out, '\t')
	out = strconv.AppendUint(out, uint64(e.Uid), 10)
	out = append(out, '\t')
	out = append(out, tool.CString(e.Comm[:])...)
	out = append(out, '\t')
	out = append(out, tool.CString(e.Message[:])...)
	return append(out, '\n')
}

func run(duration tool.Seconds) error {
	sig := tool.Signals()

	source, err := tool.Source(gogobpf.HelloSource, gogobpf.EventsHeader)
	if err != nil {
		return err
	}
	// -w: the kernel headers make clang warn, and stderr carries only the summary.
	// PERF_OUTPUT: gobpf reads perf buffers only; it has no ring-buffer API.
	cflags := []string{"-w", "-DPERF_OUTPUT"}

	bccLog := tool.CaptureBCC()
	defer bccLog.Release()

	// libbcc compiles the C against the running kernel's headers and creates the maps.
	m := bcc.NewModule(source, cflags)
	if m == nil {
		return bccLog.ModuleError()
	}
	defer m.Close()

	// The perf buffers are read before the program is attached: perf_submit fails on a CPU
	// whose buffer is not open yet, and that would count as a drop.
	table, err := tool.Table(m, "events")
	if err != nil {
		return err
	}
	samples := make(chan []byte, tool.SamplesQueued)
	// No lost channel: the samples a full buffer loses are in drops already (tool.Drops).
	pm, err := bcc.InitPerfMapWithPageCnt(table, samples, nil, tool.PerfPages())
	if err != nil {
		return bccLog.Wrap(fmt.Errorf("opening perf buffers: %w", err))
	}
	pm.Start()

	if err := tool.Attach(m, tool.Tracepoint{Event: "sys_enter_execve", Function: "hello_execve"}); err != nil {
		return bccLog.Wrap(err)
	}
	bccLog.Release()

	events, err := tool.Stream(pm, samples, sig, duration, "PID\tPPID\tUID\tCOMM\tMESSAGE", format)
	if err != nil {
		return err
	}

	drops, err := tool.Drops(m)
	if err != nil {
		return fmt.Errorf("reading drops: %w", err)
	}
	tool.Summary(events, drops)
	return nil
}
