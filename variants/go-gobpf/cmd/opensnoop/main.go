// Command opensnoop prints a line for every open and openat: the process, its comm, the file
// descriptor or error, and the path. Modelled on libbpf-tools' opensnoop.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/iovisor/gobpf/bcc"

	gogobpf "github.com/ebpf-frameworks/variants/go-gobpf"
	"github.com/ebpf-frameworks/variants/go-gobpf/internal/tool"
)

// openEvent mirrors struct open_event of bpf/events.h: gobpf generates no types.
type openEvent struct {
	TsNs  uint64
	Pid   uint32
	Tid   uint32
	Uid   uint32
	Ret   int32
	Flags int32
	Comm  [16]byte
	Fname [256]byte
}

func main() {
	var (
		pid      tool.PID // 0: every process
		uid      = tool.AnyUID
		name     tool.Name
		duration tool.Seconds
	)
	fs := flag.NewFlagSet("opensnoop", flag.ContinueOnError)
	batched := tool.Batched(fs)
	fs.Var(&pid, "p", "only the process `PID` (its tgid)")
	fs.Var(&uid, "u", "only the user `UID`")
	failed := fs.Bool("x", false, "only opens that failed")
	fs.Var(&name, "n", "only commands whose name contains `NAME`")
	fs.Var(&duration, "d", "stop after `SECONDS` (decimals allowed); default: until SIGINT or SIGTERM")
	tool.Parse(fs, "[-h] [-B] [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]", os.Args[1:])
	if *batched {
		tool.Exit(fs.Name(), tool.ErrNoBatching)
	}
	tool.Exit(fs.Name(), run(pid, uid, *failed, name, duration))
}

// formatter prints a struct open_event as PID, COMM, FD, ERR, PATH, or nothing when its
// comm does not contain name (when name is set).
func formatter(name []byte) func(out, sample []byte) []byte {
	return func(out, sample []byte) []byte {
		e := tool.Event[openEvent](sample)
		if e == nil {
			return out
		}
		comm := tool.CString(e.Comm[:])
		if len(name) > 0 && !bytes.Contains(comm, name) {
			return out
		}
		fd, errno := int64(e.Ret), int64(0)
		if e.Ret < 0 {
			fd, errno = -1, -int64(e.Ret)
		}
		out = strconv.AppendUint(out, uint64(e.Pid), 10)
		out = append(out, '\t')
		out = append(out, comm...)
		out = append(out, '\t')
		out = strconv.AppendInt(out, fd, 10)
		out = append(out, '\t')
		out = strconv.AppendInt(out, errno, 10)
		out = append(out, '\t')
		out = append(out, tool.CString(e.Fname[:])...)
		return append(out, '\n')
	}
}

func run(pid tool.PID, uid tool.UID, failed bool, name tool.Name, duration tool.Seconds) error {
	sig := tool.Signals()

	source, err := tool.Source(gogobpf.OpensnoopSource, gogobpf.EventsHeader)
	if err != nil {
		return err
	}
	// -w: the kernel headers make clang warn, and stderr carries only the summary.
	// PERF_OUTPUT: gobpf reads perf buffers only; it has no ring-buffer API.
	cflags := []string{"-w", "-DPERF_OUTPUT"}
	// The filters are constants of the C, compiled in: an unset one is left to the C's
	// default, and the branch it turns off is not in the program at all.
	if pid != 0 {
		cflags = append(cflags, fmt.Sprintf("-DTARG_TGID=%d", pid))
	}
	if uid != tool.AnyUID {
		cflags = append(cflags, fmt.Sprintf("-DTARG_UID=%d", uid))
	}
	if failed {
		cflags = append(cflags, "-DTARG_FAILED=1")
	}

	bccLog := tool.CaptureBCC()
	defer bccLog.Release()

	// libbcc compiles the C against the running kernel's headers and creates the maps.
	m := bcc.NewModule(source, cflags)
	if m == nil {
		return bccLog.ModuleError()
	}
	defer m.Close()

	// The perf buffers are read before the programs are attached: perf_submit fails on a CPU
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

	err = tool.Attach(m,
		tool.Tracepoint{Event: "sys_enter_open", Function: "enter_open"},
		tool.Tracepoint{Event: "sys_enter_openat", Function: "enter_openat"},
		tool.Tracepoint{Event: "sys_exit_open", Function: "exit_open"},
		tool.Tracepoint{Event: "sys_exit_openat", Function: "exit_openat"},
	)
	if err != nil {
		return bccLog.Wrap(err)
	}
	bccLog.Release()

	events, err := tool.Stream(pm, samples, sig, duration, "PID\tCOMM\tFD\tERR\tPATH", formatter(name))
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
