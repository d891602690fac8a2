// Command opensnoop prints a line for every open and openat: the process, its comm, the file
// descriptor or error, and the path. Modelled on libbpf-tools' opensnoop.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"

	bpf "github.com/aquasecurity/libbpfgo"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

// openEvent mirrors struct open_event of bpf/events.h: libbpfgo generates no types.
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
	tool.Exit(fs.Name(), run(pid, uid, *failed, name, *batched, duration))
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

func run(pid tool.PID, uid tool.UID, failed bool, name tool.Name, batched bool, duration tool.Seconds) error {
	sig := tool.Signals()
	tool.QuietLibbpf()

	// libbpf 1.x raises RLIMIT_MEMLOCK itself when the kernel still needs it.
	m, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      golibbpfgo.OpensnoopObject,
		BPFObjName:      "opensnoop",
		SkipMemlockBump: true,
	})
	if err != nil {
		return fmt.Errorf("opening BPF object: %w", err)
	}
	defer m.Close()

	// The filters are read-only globals: set before load, the verifier prunes the branches
	// they turn off. Each value has the global's exact size.
	for global, v := range map[string]any{
		"targ_tgid":   uint32(pid),
		"targ_uid":    uint32(uid),
		"targ_failed": failed,
	} {
		if err := m.InitGlobalVariable(global, v); err != nil {
			return fmt.Errorf("setting %s: %w", global, err)
		}
	}

	// -B: wakeup_bytes is a read-only global too (0, every record wakes, by default).
	if batched {
		if err := m.InitGlobalVariable("wakeup_bytes", uint32(tool.WakeupBatchBytes)); err != nil {
			return fmt.Errorf("setting wakeup_bytes: %w", err)
		}
	}

	if err := m.BPFLoadObject(); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}

	links, err := tool.Attach(m,
		tool.Tracepoint{Event: "sys_enter_open", Program: "enter_open"},
		tool.Tracepoint{Event: "sys_enter_openat", Program: "enter_openat"},
		tool.Tracepoint{Event: "sys_exit_open", Program: "exit_open"},
		tool.Tracepoint{Event: "sys_exit_openat", Program: "exit_openat"},
	)
	if err != nil {
		return err
	}

	rd, err := tool.OpenReader(m, "events", batched)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Stop()

	events, err := tool.Stream(rd, sig, duration, "PID\tCOMM\tFD\tERR\tPATH", formatter(name))
	if err != nil {
		return err
	}

	tool.Detach(links)
	if err := rd.Stop(); err != nil {
		return err
	}
	drops, err := tool.Drops(m, golibbpfgo.OpensnoopObject)
	if err != nil {
		return fmt.Errorf("reading drops: %w", err)
	}
	tool.Summary(events, drops)
	return nil
}
