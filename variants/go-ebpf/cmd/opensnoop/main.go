//go:build linux

// Command opensnoop prints a line for every open and openat: the process,
// its comm, the file descriptor or error, and the path.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/cli"
)

const prog = "opensnoop"

// Offsets in struct open_event (bpf/events.h). bpf2go generates Go types
// only for what the object's BTF describes, and the event struct is not there.
const (
	offPid    = 8
	offRet    = 20
	offComm   = 28
	offFname  = 44
	eventSize = 300
)

type filters struct {
	tgid   uint32 // 0: every process
	uid    uint32 // math.MaxUint32: every user
	failed bool
	comm   []byte // substring of comm, applied here
}

func main() {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	pid := fs.Int64("p", 0, "trace only the process with this `PID` (tgid)")
	uid := fs.Int64("u", -1, "trace only this `UID`")
	failed := fs.Bool("x", false, "trace only failed opens")
	name := fs.String("n", "", "trace only processes whose comm contains `NAME`")
	seconds := fs.Float64("d", 0, "exit after `SECONDS`")
	cli.Parse(fs, os.Args[1:])
	if *pid < 0 || *pid > math.MaxUint32 {
		cli.Usage(prog, fmt.Errorf("-p %d: not a process id", *pid))
	}
	if *uid < -1 || *uid >= math.MaxUint32 {
		cli.Usage(prog, fmt.Errorf("-u %d: not a user id", *uid))
	}
	f := filters{tgid: uint32(*pid), uid: uint32(*uid), failed: *failed, comm: []byte(*name)}
	cli.Exit(prog, run(f, cli.Seconds(prog, *seconds)))
}

func run(f filters, d time.Duration) error {
	sig := cli.CatchSignals()

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	spec, err := loadOpensnoop()
	if err != nil {
		return err
	}
	// The filters are read-only globals: set before load, the verifier
	// prunes the branches they turn off.
	for name, v := range map[string]any{
		opensnoopVarTargTgid:   f.tgid,
		opensnoopVarTargUid:    f.uid,
		opensnoopVarTargFailed: f.failed,
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
	}

	var objs opensnoopObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	links, err := cli.Attach(
		cli.Tracepoint{Name: "sys_enter_open", Prog: objs.EnterOpen},
		cli.Tracepoint{Name: "sys_enter_openat", Prog: objs.EnterOpenat},
		cli.Tracepoint{Name: "sys_exit_open", Prog: objs.ExitOpen},
		cli.Tracepoint{Name: "sys_exit_openat", Prog: objs.ExitOpenat},
	)
	if err != nil {
		return err
	}
	defer cli.Detach(links)

	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		return fmt.Errorf("opening ring buffer: %w", err)
	}
	defer rd.Close()

	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	w.WriteString("PID\tCOMM\tFD\tERR\tPATH\n")
	if err := w.Flush(); err != nil {
		return err
	}

	line := make([]byte, 0, 512)
	events, err := cli.Stream(rd, sig, d, w, func(s []byte) {
		if len(s) < eventSize {
			return
		}
		comm := cli.CString(s[offComm:offFname])
		if len(f.comm) > 0 && !bytes.Contains(comm, f.comm) {
			return
		}
		fd, errno := int64(-1), int64(0)
		if ret := int32(binary.NativeEndian.Uint32(s[offRet:])); ret >= 0 {
			fd = int64(ret)
		} else {
			errno = -int64(ret)
		}
		line = strconv.AppendUint(line[:0], uint64(binary.NativeEndian.Uint32(s[offPid:])), 10)
		line = append(line, '\t')
		line = append(line, comm...)
		line = append(line, '\t')
		line = strconv.AppendInt(line, fd, 10)
		line = append(line, '\t')
		line = strconv.AppendInt(line, errno, 10)
		line = append(line, '\t')
		line = append(line, cli.CString(s[offFname:eventSize])...)
		line = append(line, '\n')
		w.Write(line)
	})
	if err != nil {
		return err
	}

	cli.Detach(links)
	var drops uint64
	if err := objs.Drops.Get(&drops); err != nil {
		return fmt.Errorf("reading drops: %w", err)
	}
	fmt.Fprintf(os.Stderr, "events=%d drops=%d\n", events, drops)
	return nil
}
