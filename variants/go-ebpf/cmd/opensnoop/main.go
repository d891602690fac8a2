//go:build linux

// Command opensnoop prints a line for every open and openat: the process, its comm, the file
// descriptor or error, and the path. Modelled on libbpf-tools' opensnoop.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

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
	tool.Exit(fs.Name(), run(pid, uid, *failed, name, *batched, duration))
}

// formatter prints a struct open_event, bpf2go's opensnoopOpenEvent, as PID, COMM, FD, ERR,
// PATH, or nothing when its comm does not contain name (when name is set).
func formatter(name []byte) func(out, sample []byte) []byte {
	return func(out, sample []byte) []byte {
		e := tool.Event[opensnoopOpenEvent](sample)
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

func run(pid tool.PID, uid tool.UID, failed bool, name tool.Name, batched bool, duration tool.Seconds) error {
	sig := tool.Signals()

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	spec, err := loadOpensnoop()
	if err != nil {
		return err
	}
	// The filters are read-only globals: set before load, the verifier prunes the branches
	// they turn off.
	for global, v := range map[string]any{
		opensnoopVarTargTgid:   uint32(pid),
		opensnoopVarTargUid:    uint32(uid),
		opensnoopVarTargFailed: failed,
	} {
		if err := spec.Variables[global].Set(v); err != nil {
			return fmt.Errorf("setting %s: %w", global, err)
		}
	}
	// -B: wakeup_bytes, read-only too (0, every record wakes, by default).
	if batched {
		if err := spec.Variables[opensnoopVarWakeupBytes].Set(uint32(tool.WakeupBatchBytes)); err != nil {
			return fmt.Errorf("setting %s: %w", opensnoopVarWakeupBytes, err)
		}
	}

	var objs opensnoopObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	links, err := tool.Attach(
		tool.Tracepoint{Event: "sys_enter_open", Program: objs.EnterOpen},
		tool.Tracepoint{Event: "sys_enter_openat", Program: objs.EnterOpenat},
		tool.Tracepoint{Event: "sys_exit_open", Program: objs.ExitOpen},
		tool.Tracepoint{Event: "sys_exit_openat", Program: objs.ExitOpenat},
	)
	if err != nil {
		return err
	}
	defer tool.Detach(links)

	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Close()

	events, err := tool.Stream(rd, batched, sig, duration, "PID\tCOMM\tFD\tERR\tPATH", formatter(name))
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
