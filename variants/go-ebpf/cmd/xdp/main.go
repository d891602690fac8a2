//go:build linux

// Command xdp counts packets and bytes per L4 protocol with an XDP program. --test and
// --bench run it on frames built here through BPF_PROG_TEST_RUN (nothing attached); --attach
// counts what an interface receives.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/ebpf-frameworks/variants/go-ebpf/internal/tool"
)

// The index of each counter in `counters`: bpf/xdp.h's enum xdp_count_proto, mirrored here
// because only constants use it, so it is not in the object's BTF for bpf2go to generate.
const (
	countTCP = iota
	countUDP
	countICMP
	countICMPv6
	countOther
	countNonIP
	countMax
)

var protoNames = [countMax]string{"tcp", "udp", "icmp", "icmpv6", "other", "non-ip"}

const xdpPass = 2 // XDP_PASS, the verdict of every frame

func main() {
	c := parse(os.Args[1:])
	tool.Exit("xdp", run(c))
}

func run(c config) error {
	var sig <-chan os.Signal
	var ifindex int
	if c.mode == modeAttach {
		sig = tool.Signals()
		ifc, err := net.InterfaceByName(c.iface)
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) {
				err = op.Err
			}
			return fmt.Errorf("no interface %s: %w", c.iface, err)
		}
		ifindex = ifc.Index
	}

	// A no-op on kernels with memcg accounting of BPF memory (5.11+).
	if err := rlimit.RemoveMemlock(); err != nil {
		return err
	}

	var objs xdpObjects
	if err := loadXdpObjects(&objs, nil); err != nil {
		return fmt.Errorf("loading BPF objects: %w", err)
	}
	defer objs.Close()

	switch c.mode {
	case modeTest:
		return selfTest(&objs)
	case modeBench:
		return bench(&objs, c.repeat)
	default:
		return attachAndCount(&objs, c, ifindex, sig)
	}
}

// ---------------------------------------------------------------------------------------------
// The built-in frames, byte for byte those of c-libbpf's xdp.c.

type frame struct {
	name  string
	proto int // the counter it must land in
	data  []byte
}

// frameMax is the room given to a frame coming back from the program.
const frameMax = 128

// truncatedIPLen: the fifth frame announces IPv4 and then holds 10 of its header's 20 bytes.
// A frame shorter than the Ethernet header itself cannot be fed to the program this way:
// BPF_PROG_TEST_RUN refuses XDP input under 14 bytes (on 6.18 even behind XDP metadata).
const truncatedIPLen = 10

const payload = "xdp-test"

// The L4 lengths: a UDP or ICMP header (8 bytes each) and the payload; a TCP header, 20.
const (
	udpLen  = 8 + len(payload)
	icmpLen = 8 + len(payload)
	tcpLen  = 20
)

func frames() []frame {
	truncated := udp(ipv4(eth(unix.ETH_P_IP), unix.IPPROTO_UDP, udpLen))
	return []frame{
		{"ipv4-tcp", countTCP, tcpSYN(ipv4(eth(unix.ETH_P_IP), unix.IPPROTO_TCP, tcpLen))},
		{"ipv4-udp", countUDP, udp(ipv4(eth(unix.ETH_P_IP), unix.IPPROTO_UDP, udpLen))},
		{"ipv6-udp", countUDP, udp(ipv6(eth(unix.ETH_P_IPV6), unix.IPPROTO_UDP, udpLen))},
		{"ipv4-icmp", countICMP, icmpEcho(ipv4(eth(unix.ETH_P_IP), unix.IPPROTO_ICMP, icmpLen))},
		// Cut inside its IPv4 header: counted as non-ip (too short), passed untouched.
		{"ipv4-truncated", countNonIP, truncated[:14+truncatedIPLen]},
	}
}

var be = binary.BigEndian

func eth(proto uint16) []byte {
	b := []byte{
		0x02, 0, 0, 0, 0, 0x02, // destination
		0x02, 0, 0, 0, 0, 0x01, // source
	}
	return be.AppendUint16(b, proto)
}

func ipv4(b []byte, proto uint8, l4Len int) []byte {
	h := []byte{
		0x45, 0, // version 4, header length 5 words; TOS
		0, 0, // total length, below
		0, 0, 0, 0, // identification; flags and fragment offset
		64, proto, // TTL; protocol
		0, 0, // header checksum, below
		192, 0, 2, 1, // source 192.0.2.1
		192, 0, 2, 2, // destination 192.0.2.2
	}
	be.PutUint16(h[2:], uint16(len(h)+l4Len))
	be.PutUint16(h[10:], checksum(h))
	return append(b, h...)
}

// checksum is the Internet checksum of an IPv4 header.
func checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(be.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func ipv6(b []byte, nextHdr uint8, l4Len int) []byte {
	h := make([]byte, 40)
	h[0] = 0x60 // version 6; traffic class and flow label 0
	be.PutUint16(h[4:], uint16(l4Len))
	h[6] = nextHdr
	h[7] = 64 // hop limit
	src, dst := netip.MustParseAddr("2001:db8::1").As16(), netip.MustParseAddr("2001:db8::2").As16()
	copy(h[8:24], src[:])
	copy(h[24:40], dst[:])
	return append(b, h...)
}

func udp(b []byte) []byte {
	b = be.AppendUint16(b, 40000)          // source port
	b = be.AppendUint16(b, 53)             // destination port
	b = be.AppendUint16(b, uint16(udpLen)) // length
	b = be.AppendUint16(b, 0)              // checksum: none
	return append(b, payload...)
}

func tcpSYN(b []byte) []byte {
	b = be.AppendUint16(b, 40000) // source port
	b = be.AppendUint16(b, 80)    // destination port
	b = be.AppendUint32(b, 1)     // sequence number
	b = be.AppendUint32(b, 0)     // acknowledgement number
	b = append(b, 5<<4, 0x02)     // data offset 5 words; flags: SYN
	b = be.AppendUint16(b, 65535) // window
	b = be.AppendUint16(b, 0)     // checksum
	return be.AppendUint16(b, 0)  // urgent pointer
}

func icmpEcho(b []byte) []byte {
	b = append(b, 8, 0)       // type: echo request; code
	b = be.AppendUint16(b, 0) // checksum
	b = be.AppendUint16(b, 1) // identifier
	b = be.AppendUint16(b, 1) // sequence number
	return append(b, payload...)
}

// ---------------------------------------------------------------------------------------------

// readCounters returns each counter summed over the CPUs.
func readCounters(m *ebpf.Map) ([countMax]xdpXdpCounter, error) {
	var sum [countMax]xdpXdpCounter
	var perCPU []xdpXdpCounter // Lookup makes it one value per possible CPU
	for i := range sum {
		if err := m.Lookup(uint32(i), &perCPU); err != nil {
			return sum, fmt.Errorf("reading the counters: %w", err)
		}
		for _, v := range perCPU {
			sum[i].Packets += v.Packets
			sum[i].Bytes += v.Bytes
		}
	}
	return sum, nil
}

// selfTest (--test) runs every frame once: each must pass untouched and the counters must add up.
func selfTest(objs *xdpObjects) error {
	var want [countMax]xdpXdpCounter
	var reason string
	out := make([]byte, frameMax)
	for _, f := range frames() {
		opts := ebpf.RunOptions{Data: f.data, DataOut: out, Repeat: 1}
		verdict, err := objs.XdpCount.Run(&opts)
		if err != nil {
			return fmt.Errorf("BPF_PROG_TEST_RUN of frame %s failed: %w", f.name, err)
		}
		// Run cuts opts.DataOut to what the kernel wrote back.
		ok := verdict == xdpPass && bytes.Equal(opts.DataOut, f.data)
		fmt.Printf("frame\t%s\t%d\t%d\t%s\n", f.name, len(f.data), verdict, okOrFail(ok))
		if !ok && reason == "" {
			what := "changed by the program"
			if verdict != xdpPass {
				what = "verdict is not XDP_PASS (2)"
			}
			reason = fmt.Sprintf("frame %s: %s", f.name, what)
		}
		want[f.proto].Packets++
		want[f.proto].Bytes += uint64(len(f.data))
	}

	got, err := readCounters(objs.Counters)
	if err != nil {
		return err
	}
	for i, name := range protoNames {
		ok := got[i] == want[i]
		fmt.Printf("counter\t%s\t%d\t%d\t%s\n", name, got[i].Packets, got[i].Bytes, okOrFail(ok))
		if !ok && reason == "" {
			reason = fmt.Sprintf("counter %s: %d packets, %d bytes; want %d, %d",
				name, got[i].Packets, got[i].Bytes, want[i].Packets, want[i].Bytes)
		}
	}
	if reason != "" {
		return errors.New(reason)
	}
	return nil
}

func okOrFail(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

// bench (--bench N) runs every frame N times in one BPF_PROG_TEST_RUN and prints the kernel's
// own average time per run.
func bench(objs *xdpObjects, repeat uint32) error {
	fmt.Println("FRAME\tREPEAT\tNS_PER_RUN")
	for _, f := range frames() {
		// Benchmark returns the duration the kernel reports: its average per run.
		verdict, perRun, err := objs.XdpCount.Benchmark(f.data, int(repeat), nil)
		if err != nil {
			return fmt.Errorf("BPF_PROG_TEST_RUN of frame %s failed: %w", f.name, err)
		}
		if verdict != xdpPass {
			return fmt.Errorf("frame %s: verdict %d, not XDP_PASS (2)", f.name, verdict)
		}
		fmt.Printf("%s\t%d\t%d\n", f.name, repeat, perRun.Nanoseconds())
	}
	return nil
}

// attachAndCount (--attach IFACE) counts until SIGINT, SIGTERM or -d, prints the counters,
// detaches and tells which hook the kernel used.
func attachAndCount(objs *xdpObjects, c config, ifindex int, sig <-chan os.Signal) error {
	// A link, so that closing it (or the process ending) detaches. With no mode flag the
	// kernel takes the driver's hook where there is one, the generic one otherwise.
	l, err := link.AttachXDP(link.XDPOptions{Program: objs.XdpCount, Interface: ifindex})
	if err != nil {
		// The driver refused (an MTU too large for its XDP, say): the generic hook, still a link.
		var errGeneric error
		l, errGeneric = link.AttachXDP(link.XDPOptions{
			Program: objs.XdpCount, Interface: ifindex, Flags: link.XDPGenericMode,
		})
		if errGeneric != nil {
			return fmt.Errorf("attaching XDP to %s failed: %w (generic mode: %v)", c.iface, err, errGeneric)
		}
	}
	defer l.Close()
	mode := attachMode(l)

	fmt.Println("PROTO\tPACKETS\tBYTES")
	select {
	case <-sig:
	case <-tool.Deadline(c.duration):
	}

	got, err := readCounters(objs.Counters)
	if err != nil {
		return err
	}
	for i, name := range protoNames {
		fmt.Printf("%s\t%d\t%d\n", name, got[i].Packets, got[i].Bytes)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("detaching XDP from %s: %w", c.iface, err)
	}
	fmt.Fprintf(os.Stderr, "mode=%s\n", mode)
	return nil
}

// attachMode tells which hook the kernel put the program on: native (the driver's) or generic.
// The link's info gives the program and the interface; cilium/ebpf cannot ask an interface
// which XDP programs it runs (that is rtnetlink's IFLA_XDP, not a bpf command), so the
// netlink module does.
func attachMode(l link.Link) string {
	info, err := l.Info()
	if err != nil || info.XDP() == nil {
		return "unknown"
	}
	iface, err := netlink.LinkByIndex(int(info.XDP().Ifindex))
	if err != nil {
		return "unknown"
	}
	// One program per interface: its id and its hook. (With programs on both hooks the kernel
	// reports "multi" and no single id, and this says unknown.)
	x := iface.Attrs().Xdp
	if x == nil || x.ProgId != uint32(info.Program) {
		return "unknown"
	}
	switch x.AttachMode {
	case nl.XDP_ATTACHED_DRV:
		return "native"
	case nl.XDP_ATTACHED_SKB:
		return "generic"
	}
	return "unknown"
}
