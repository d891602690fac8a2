//go:build linux

// Command hello prints a line for every execve: the process, its user and
// comm, and the message the BPF program wrote.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/cli"
)

const prog = "hello"

// Offsets in struct hello_event (bpf/events.h). bpf2go generates Go types
// only for what the object's BTF describes, and the event struct is not there.
const (
	offPid     = 0
	offUID     = 4
	offComm    = 8
	offMessage = 24
	eventSize  = 36
)

func main() {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	seconds := fs.Float64("d", 0, "exit after `SECONDS`")
	cli.Parse(fs, os.Args[1:])
	cli.Exit(prog, run(cli.Seconds(prog, *seconds)))
}

func run(d time.Duration) error {
	sig := cli.CatchSignals()

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	var objs helloObjects
	if err := loadHelloObjects(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	links, err := cli.Attach(cli.Tracepoint{Name: "sys_enter_execve", Prog: objs.HelloExecve})
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
	w.WriteString("PID\tUID\tCOMM\tMESSAGE\n")
	if err := w.Flush(); err != nil {
		return err
	}

	line := make([]byte, 0, 128)
	events, err := cli.Stream(rd, sig, d, w, func(s []byte) {
		if len(s) < eventSize {
			return
		}
		line = strconv.AppendUint(line[:0], uint64(binary.NativeEndian.Uint32(s[offPid:])), 10)
		line = append(line, '\t')
		line = strconv.AppendUint(line, uint64(binary.NativeEndian.Uint32(s[offUID:])), 10)
		line = append(line, '\t')
		line = append(line, cli.CString(s[offComm:offMessage])...)
		line = append(line, '\t')
		line = append(line, cli.CString(s[offMessage:eventSize])...)
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
