// opensnoop prints a line for every open and openat, from the syscall tracepoints; modelled
// on libbpf-tools' opensnoop.
package main

import (
	"bytes"
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

func main() {
	const usage = "opensnoop [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]"
	var (
		pid, uid tool.ID
		duration tool.Seconds
	)
	fs := tool.NewFlags("opensnoop")
	fs.Var(&pid, "p", "trace this process id (tgid) only")
	uidSet := false
	fs.Func("u", "trace this user id only", func(s string) error {
		uidSet = true
		return uid.Set(s)
	})
	failed := fs.Bool("x", false, "trace failed opens only")
	name := fs.String("n", "", "trace processes whose comm contains NAME only")
	fs.Var(&duration, "d", "stop after SECONDS")
	tool.Parse(fs, usage)

	targUID := ^uint32(0) // every user
	if uidSet {
		targUID = uint32(uid)
	}
	comm := []byte(*name)

	tool.Main(tool.Spec{
		Name:   "opensnoop",
		Object: golibbpfgo.OpensnoopObject,
		Globals: []tool.Global{
			{Name: "targ_tgid", Value: uint32(pid)},
			{Name: "targ_uid", Value: targUID},
			{Name: "targ_failed", Value: *failed},
		},
		Attach: []tool.Tracepoint{
			{"enter_open", "syscalls", "sys_enter_open"},
			{"enter_openat", "syscalls", "sys_enter_openat"},
			{"exit_open", "syscalls", "sys_exit_open"},
			{"exit_openat", "syscalls", "sys_exit_openat"},
		},
		Header:   "PID\tCOMM\tFD\tERR\tPATH",
		Duration: time.Duration(duration),
		Format: func(out, sample []byte) []byte {
			if len(sample) < int(unsafe.Sizeof(openEvent{})) {
				return out
			}
			e := (*openEvent)(unsafe.Pointer(unsafe.SliceData(sample)))
			c := tool.CString(e.Comm[:])
			if len(comm) > 0 && !bytes.Contains(c, comm) {
				return out
			}
			fd, errno := int64(e.Ret), int64(0)
			if e.Ret < 0 {
				fd, errno = -1, -int64(e.Ret)
			}
			out = strconv.AppendUint(out, uint64(e.Pid), 10)
			out = append(out, '\t')
			out = append(out, c...)
			out = append(out, '\t')
			out = strconv.AppendInt(out, fd, 10)
			out = append(out, '\t')
			out = strconv.AppendInt(out, errno, 10)
			out = append(out, '\t')
			out = append(out, tool.CString(e.Fname[:len(e.Fname)-1])...)
			return append(out, '\n')
		},
	})
}
