// opensnoop prints a line for every open and openat, from the syscall tracepoints; modelled
// on libbpf-tools' opensnoop.
package main

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unsafe"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

// openEvent mirrors struct open_event in bpf/events.h.
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

// formatter prints an event as PID, COMM, FD, ERR, PATH; name, when not empty, keeps only
// the events whose comm contains it.
func formatter(name []byte) func(out, sample []byte) []byte {
	return func(out, sample []byte) []byte {
		if len(sample) < int(unsafe.Sizeof(openEvent{})) {
			return out
		}
		e := (*openEvent)(unsafe.Pointer(unsafe.SliceData(sample)))
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
		out = append(out, tool.CString(e.Fname[:len(e.Fname)-1])...)
		return append(out, '\n')
	}
}

func main() {
	const usage = "opensnoop [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]"
	var (
		pid      tool.ID
		uid      = tool.ID(math.MaxUint32) // the BPF side's "every user"
		duration tool.Seconds
	)
	fs := tool.NewFlags("opensnoop")
	fs.Var(&pid, "p", "trace this process id (tgid) only")
	fs.Var(&uid, "u", "trace this user id only")
	failed := fs.Bool("x", false, "trace failed opens only")
	name := fs.String("n", "", "print only processes whose comm contains NAME")
	fs.Var(&duration, "d", "stop after SECONDS")
	tool.Parse(fs, usage)

	tool.Main(tool.Spec{
		Name:   "opensnoop",
		Object: golibbpfgo.OpensnoopObject,
		Globals: []tool.Global{
			{Name: "targ_tgid", Value: uint32(pid)},
			{Name: "targ_uid", Value: uint32(uid)},
			{Name: "targ_failed", Value: *failed},
		},
		Attach: []tool.Tracepoint{
			{Program: "enter_open", Category: "syscalls", Event: "sys_enter_open"},
			{Program: "enter_openat", Category: "syscalls", Event: "sys_enter_openat"},
			{Program: "exit_open", Category: "syscalls", Event: "sys_exit_open"},
			{Program: "exit_openat", Category: "syscalls", Event: "sys_exit_openat"},
		},
		Header:   "PID\tCOMM\tFD\tERR\tPATH",
		Duration: time.Duration(duration),
		Format:   formatter([]byte(*name)),
	})
}
