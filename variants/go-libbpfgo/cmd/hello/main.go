// hello prints a line for every execve, from the syscalls/sys_enter_execve tracepoint.
package main

import (
	"strconv"
	"time"
	"unsafe"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

// helloEvent mirrors struct hello_event in bpf/events.h.
type helloEvent struct {
	Pid     uint32
	Uid     uint32
	Comm    [16]byte
	Message [12]byte
}

func format(out, sample []byte) []byte {
	if len(sample) < int(unsafe.Sizeof(helloEvent{})) {
		return out
	}
	e := (*helloEvent)(unsafe.Pointer(unsafe.SliceData(sample)))
	out = strconv.AppendUint(out, uint64(e.Pid), 10)
	out = append(out, '\t')
	out = strconv.AppendUint(out, uint64(e.Uid), 10)
	out = append(out, '\t')
	out = append(out, tool.CString(e.Comm[:])...)
	out = append(out, '\t')
	out = append(out, tool.CString(e.Message[:])...)
	return append(out, '\n')
}

func main() {
	const usage = "hello [-d SECONDS]"
	var duration tool.Seconds
	fs := tool.NewFlags("hello")
	fs.Var(&duration, "d", "stop after SECONDS")
	tool.Parse(fs, usage)

	tool.Main(tool.Spec{
		Name:     "hello",
		Object:   golibbpfgo.HelloObject,
		Attach:   []tool.Tracepoint{{Program: "hello_execve", Category: "syscalls", Event: "sys_enter_execve"}},
		Header:   "PID\tUID\tCOMM\tMESSAGE",
		Duration: time.Duration(duration),
		Format:   format,
	})
}
