// Command hello prints a line for every execve: the process, its user and comm, and the
// message the BPF program wrote.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	bpf "github.com/aquasecurity/libbpfgo"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

// helloEvent mirrors struct hello_event of bpf/events.h: libbpfgo generates no types.
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
	tool.Exit(fs.Name(), run(*batched, duration))
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

func run(batched bool, duration tool.Seconds) error {
	sig := tool.Signals()
	tool.QuietLibbpf()

	// libbpf 1.x raises RLIMIT_MEMLOCK itself when the kernel still needs it.
	m, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      golibbpfgo.HelloObject,
		BPFObjName:      "hello",
		SkipMemlockBump: true,
	})
	if err != nil {
		return fmt.Errorf("opening BPF object: %w", err)
	}
	defer m.Close()

	// -B: wakeup_bytes is a read-only global, set before load (0, every record wakes, by default).
	if batched {
		if err := m.InitGlobalVariable("wakeup_bytes", uint32(tool.WakeupBatchBytes)); err != nil {
			return fmt.Errorf("setting wakeup_bytes: %w", err)
		}
	}

	if err := m.BPFLoadObject(); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}

	links, err := tool.Attach(m, tool.Tracepoint{Event: "sys_enter_execve", Program: "hello_execve"})
	if err != nil {
		return err
	}

	rd, err := tool.OpenReader(m, "events", batched)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Stop()

	events, err := tool.Stream(rd, sig, duration, "PID\tPPID\tUID\tCOMM\tMESSAGE", format)
	if err != nil {
		return err
	}

	tool.Detach(links)
	if err := rd.Stop(); err != nil {
		return err
	}
	drops, err := tool.Drops(m, golibbpfgo.HelloObject)
	if err != nil {
		return fmt.Errorf("reading drops: %w", err)
	}
	tool.Summary(events, drops)
	return nil
}
