// Command xdp counts packets and bytes per L4 protocol with an XDP program. --test and --bench
// run it on frames built here through BPF_PROG_TEST_RUN (nothing attached); --attach counts
// what an interface receives.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"

	golibbpfgo "github.com/ebpf-frameworks/variants/go-libbpfgo"
	"github.com/ebpf-frameworks/variants/go-libbpfgo/internal/tool"
)

const (
	xdpPass  = 2   // XDP_PASS
	frameMax = 128 // room for a frame coming back from a test run
)

// counter mirrors struct xdp_counter of bpf/xdp.h: libbpfgo generates no types.
type counter struct {
	Packets uint64
	Bytes   uint64
}

// stdout is written in full buffers and flushed where c-libbpf's xdp flushes, and at exit.
var stdout = bufio.NewWriterSize(os.Stdout, 64<<10)

func main() {
	o := parse(os.Args[1:])
	os.Exit(run(o))
}

func run(o options) int {
	defer stdout.Flush()
	sig := tool.Signals()
	tool.QuietLibbpf()

	ifindex := 0
	if o.mode == modeAttach {
		var err error
		if ifindex, err = ifNameToIndex(o.iface); err != nil {
			fmt.Fprintf(os.Stderr, "xdp: no interface %s: %s\n", o.iface, describe(err))
			return 1
		}
	}

	// libbpf 1.x raises RLIMIT_MEMLOCK itself when the kernel still needs it.
	m, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      golibbpfgo.XdpObject,
		BPFObjName:      "xdp",
		SkipMemlockBump: true,
	})
	if err != nil {
		failure("opening the BPF object", err)
		return 1
	}
	defer m.Close()
	prog, err := m.GetProgram("xdp_count")
	if err != nil {
		failure("opening the BPF object", err)
		return 1
	}
	counters, err := m.GetMap("counters")
	if err != nil {
		failure("opening the BPF object", err)
		return 1
	}
	if err := m.BPFLoadObject(); err != nil {
		failure("loading the BPF program", err)
		return 1
	}

	switch o.mode {
	case modeTest:
		return selfTest(prog, counters)
	case modeBench:
		return bench(prog, o.repeat)
	default:
		return attachAndCount(prog, counters, o.iface, ifindex, sig, o.duration)
	}
}

// runFrame test-runs the program on one frame, repeat times (libbpfgo's BPFProg.Run, that is
// bpf_prog_test_run_opts). It returns the verdict, the kernel's average time per run, and
// whether the frame came back byte for byte as it went in.
func runFrame(prog *bpf.BPFProg, f []byte, repeat int) (verdict uint32, ns uint32, same bool, err error) {
	opts := bpf.RunOpts{
		DataIn:      f,
		DataSizeIn:  uint32(len(f)),
		DataOut:     make([]byte, frameMax),
		DataSizeOut: frameMax,
		Repeat:      repeat,
	}
	if err := prog.Run(&opts); err != nil {
		return 0, 0, false, err
	}
	// Run hands back DataOut cut to the size the kernel wrote, and the kernel's duration, an
	// average in ns, as a time.Duration.
	return opts.RetVal, uint32(opts.Duration.Nanoseconds()), bytes.Equal(opts.DataOut, f), nil
}

// readCounters sums each counter over every CPU. libbpfgo's GetValue sizes the value of a
// per-CPU map itself: one struct xdp_counter per possible CPU, each rounded up to 8 bytes.
func readCounters(counters *bpf.BPFMap) ([countMax]counter, error) {
	var sum [countMax]counter
	ncpus, err := bpf.NumPossibleCPUs()
	if err != nil {
		return sum, err
	}
	for key := uint32(0); key < countMax; key++ {
		value, err := counters.GetValue(unsafe.Pointer(&key))
		if err != nil {
			return sum, err
		}
		stride := len(value) / ncpus
		for cpu := 0; cpu < ncpus; cpu++ {
			v := value[cpu*stride:]
			sum[key].Packets += binary.NativeEndian.Uint64(v[0:])
			sum[key].Bytes += binary.NativeEndian.Uint64(v[8:])
		}
	}
	return sum, nil
}

// selfTest (--test) runs every frame once; each must pass untouched and the counters must add up.
func selfTest(prog *bpf.BPFProg, counters *bpf.BPFMap) int {
	var want [countMax]counter
	reason := ""
	for _, f := range buildFrames() {
		verdict, _, same, err := runFrame(prog, f.buf, 1)
		if err != nil {
			fmt.Fprintf(os.Stderr, "xdp: BPF_PROG_TEST_RUN of frame %s failed: %s\n", f.name, describe(err))
			return 1
		}
		ok := verdict == xdpPass && same
		fmt.Fprintf(stdout, "frame\t%s\t%d\t%d\t%s\n", f.name, len(f.buf), verdict, okText(ok))
		if !ok && reason == "" {
			what := "changed by the program"
			if verdict != xdpPass {
				what = "verdict is not XDP_PASS (2)"
			}
			reason = fmt.Sprintf("frame %s: %s", f.name, what)
		}
		want[f.proto].Packets++
		want[f.proto].Bytes += uint64(len(f.buf))
	}

	got, err := readCounters(counters)
	if err != nil {
		failure("reading the counters", err)
		return 1
	}
	for i, name := range protoNames {
		ok := got[i] == want[i]
		fmt.Fprintf(stdout, "counter\t%s\t%d\t%d\t%s\n", name, got[i].Packets, got[i].Bytes, okText(ok))
		if !ok && reason == "" {
			reason = fmt.Sprintf("counter %s: %d packets, %d bytes; want %d, %d",
				name, got[i].Packets, got[i].Bytes, want[i].Packets, want[i].Bytes)
		}
	}
	stdout.Flush()
	if reason != "" {
		fmt.Fprintf(os.Stderr, "xdp: %s\n", reason)
		return 1
	}
	return 0
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// bench (--bench N) runs every frame N times in one test run: the kernel's own average per run.
func bench(prog *bpf.BPFProg, repeat int) int {
	fmt.Fprintf(stdout, "FRAME\tREPEAT\tNS_PER_RUN\n")
	for _, f := range buildFrames() {
		verdict, ns, _, err := runFrame(prog, f.buf, repeat)
		if err != nil {
			fmt.Fprintf(os.Stderr, "xdp: BPF_PROG_TEST_RUN of frame %s failed: %s\n", f.name, describe(err))
			return 1
		}
		if verdict != xdpPass {
			fmt.Fprintf(os.Stderr, "xdp: frame %s: verdict %d, not XDP_PASS (2)\n", f.name, verdict)
			return 1
		}
		fmt.Fprintf(stdout, "%s\t%d\t%d\n", f.name, repeat, ns)
		stdout.Flush()
	}
	return 0
}

// attachAndCount (--attach IFACE) counts until SIGINT, SIGTERM or -d, prints the counters and
// detaches.
func attachAndCount(prog *bpf.BPFProg, counters *bpf.BPFMap, iface string, ifindex int,
	sig <-chan os.Signal, duration tool.Seconds) int {
	// A link, so that closing it (or the process ending) detaches. With no mode flag the
	// kernel takes the driver's hook where there is one, the generic one otherwise.
	link, err := prog.AttachXDP(iface)
	genericFD := -1
	if err != nil {
		// The driver refused (an MTU too large for its XDP, say): the generic hook, still as a
		// link, which libbpfgo cannot make (libbpf.go).
		fd, gerr := xdpGenericLink(prog.FileDescriptor(), ifindex)
		if gerr != nil {
			fmt.Fprintf(os.Stderr, "xdp: attaching XDP to %s failed: %s (generic mode: %s)\n",
				iface, describe(err), describe(gerr))
			return 1
		}
		genericFD = fd
	}
	mode := attachMode(ifindex, prog.FileDescriptor())

	fmt.Fprintf(stdout, "PROTO\tPACKETS\tBYTES\n")
	stdout.Flush()
	select {
	case <-sig:
	case <-tool.Deadline(duration):
	}

	got, err := readCounters(counters)
	if link != nil {
		link.Destroy()
	}
	if genericFD >= 0 {
		syscall.Close(genericFD)
	}
	if err != nil {
		failure("reading the counters", err)
		return 1
	}
	for i, name := range protoNames {
		fmt.Fprintf(stdout, "%s\t%d\t%d\n", name, got[i].Packets, got[i].Bytes)
	}
	stdout.Flush()
	fmt.Fprintf(os.Stderr, "mode=%s\n", mode)
	return 0
}

// describe is the errno text of err, as strerror(3) words it, or err itself when it carries
// no errno.
func describe(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strerror(errno)
	}
	return err.Error()
}

// failure prints the one line of a failed step, as c-libbpf's report_failure does (with its
// hints, the ENOENT one included).
func failure(step string, err error) {
	hint := ""
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EPERM, syscall.EACCES:
			hint = " (need root or CAP_BPF and CAP_PERFMON)"
		case syscall.ENOENT:
			hint = " (tracepoint not found: is tracefs mounted at /sys/kernel/tracing?)"
		}
	}
	fmt.Fprintf(os.Stderr, "xdp: %s failed: %s%s\n", step, describe(err), hint)
}
