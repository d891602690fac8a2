//go:build linux

// Command hello prints a line for every execve: the process, its user and comm, and the
// message the BPF program wrote.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

func main() {
	var duration tool.Seconds
	fs := flag.NewFlagSet("hello", flag.ContinueOnError)
	batched := tool.Batched(fs)
	fs.Var(&duration, "d", "stop after `SECONDS` (decimals allowed); default: until SIGINT or SIGTERM")
	tool.Parse(fs, "[-h] [-B] [-d SECONDS]", os.Args[1:])
	tool.Exit(fs.Name(), run(*batched, duration))
}

// format prints a struct hello_event, bpf2go's helloHelloEvent, as PID, PPID, UID, COMM, MESSAGE.
func format(out, sample []byte) []byte {
	e := tool.Event[helloHelloEvent](sample)
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

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	spec, err := loadHello()
	if err != nil {
		return err
	}
	// -B: wakeup_bytes is a read-only global, set before load (0, every record wakes, by default).
	if batched {
		if err := spec.Variables[helloVarWakeupBytes].Set(uint32(tool.WakeupBatchBytes)); err != nil {
			return fmt.Errorf("setting %s: %w", helloVarWakeupBytes, err)
		}
	}

	var objs helloObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	links, err := tool.Attach(tool.Tracepoint{Event: "sys_enter_execve", Program: objs.HelloExecve})
	if err != nil {
		return err
	}
	defer tool.Detach(links)

	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Close()

	events, err := tool.Stream(rd, batched, sig, duration, "PID\tPPID\tUID\tCOMM\tMESSAGE", format)
	if err != nil {
		return err
	}

	tool.Detach(links)
	var drops uint64
	if err := objs.Drops.Get(&drops); err != nil {
		return fmt.Errorf("reading drops: %w", err)
	}
	tool.Summary(events, drops)
	return nil
}
