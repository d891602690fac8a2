package main

import "encoding/binary"

// The counters of bpf/xdp.h's enum xdp_count_proto, in index order, and their names.
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

// frame is one built-in test frame and the counter it must land in.
type frame struct {
	name  string
	proto int
	buf   []byte
}

const (
	ethHdrLen  = 14
	ipv4HdrLen = 20
	udpHdrLen  = 8
	tcpHdrLen  = 20
	icmpHdrLen = 8
	// The fifth frame stops 10 bytes into its IPv4 header: too short for what it announces.
	// A frame under ETH_HLEN cannot be test-run at all (the kernel refuses it).
	truncatedIPLen = 10

	ethPIPv4 = 0x0800
	ethPIPv6 = 0x86dd

	ipprotoICMP = 1
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	icmpEcho    = 8
)

var payload = []byte("xdp-test")

// The fields below are in network byte order, as on the wire; every field not set is zero.

func putEth(b []byte, proto uint16) []byte {
	b = append(b, 0x02, 0, 0, 0, 0, 0x02) // destination 02:00:00:00:00:02
	b = append(b, 0x02, 0, 0, 0, 0, 0x01) // source 02:00:00:00:00:01
	return binary.BigEndian.AppendUint16(b, proto)
}

func putIPv4(b []byte, proto uint8, l4Len int) []byte {
	h := make([]byte, ipv4HdrLen)
	h[0] = 4<<4 | ipv4HdrLen/4                                  // version 4, IHL 5 (no options)
	binary.BigEndian.PutUint16(h[2:], uint16(ipv4HdrLen+l4Len)) // total length
	h[8] = 64                                                   // TTL
	h[9] = proto
	copy(h[12:], []byte{192, 0, 2, 1}) // source 192.0.2.1
	copy(h[16:], []byte{192, 0, 2, 2}) // destination 192.0.2.2
	binary.BigEndian.PutUint16(h[10:], ipChecksum(h))
	return append(b, h...)
}

// ipChecksum is the Internet checksum of an IPv4 header whose checksum field is zero.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func putIPv6(b []byte, nextHdr uint8, l4Len int) []byte {
	b = append(b, 6<<4, 0, 0, 0)                                                 // version 6, traffic class 0, flow label 0
	b = binary.BigEndian.AppendUint16(b, uint16(l4Len))                          // payload length
	b = append(b, nextHdr, 64)                                                   // next header, hop limit
	b = append(b, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)    // 2001:db8::1
	return append(b, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2) // 2001:db8::2
}

func putUDP(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, 40000)                          // source port
	b = binary.BigEndian.AppendUint16(b, 53)                             // destination port
	b = binary.BigEndian.AppendUint16(b, uint16(udpHdrLen+len(payload))) // length
	b = append(b, 0, 0)                                                  // checksum: none
	return append(b, payload...)
}

func putTCPSyn(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, 40000) // source port
	b = binary.BigEndian.AppendUint16(b, 80)    // destination port
	b = binary.BigEndian.AppendUint32(b, 1)     // sequence number
	b = binary.BigEndian.AppendUint32(b, 0)     // acknowledgment number
	b = append(b, tcpHdrLen/4<<4, 0x02)         // data offset 5, flags: SYN
	b = binary.BigEndian.AppendUint16(b, 65535) // window
	return append(b, 0, 0, 0, 0)                // checksum, urgent pointer
}

func putICMPEcho(b []byte) []byte {
	b = append(b, icmpEcho, 0, 0, 0)        // type, code, checksum
	b = binary.BigEndian.AppendUint16(b, 1) // identifier
	b = binary.BigEndian.AppendUint16(b, 1) // sequence number
	return append(b, payload...)
}

// buildFrames makes the five frames of c-libbpf's xdp.c, byte for byte.
func buildFrames() []frame {
	udpLen := udpHdrLen + len(payload)
	icmpLen := icmpHdrLen + len(payload)

	tcp := putTCPSyn(putIPv4(putEth(nil, ethPIPv4), ipprotoTCP, tcpHdrLen))
	udp4 := putUDP(putIPv4(putEth(nil, ethPIPv4), ipprotoUDP, udpLen))
	udp6 := putUDP(putIPv6(putEth(nil, ethPIPv6), ipprotoUDP, udpLen))
	icmp := putICMPEcho(putIPv4(putEth(nil, ethPIPv4), ipprotoICMP, icmpLen))
	// Cut inside its IPv4 header: counted as non-ip (too short), passed untouched.
	truncated := putIPv4(putEth(nil, ethPIPv4), ipprotoUDP, udpLen)[:ethHdrLen+truncatedIPLen]

	return []frame{
		{"ipv4-tcp", countTCP, tcp},
		{"ipv4-udp", countUDP, udp4},
		{"ipv6-udp", countUDP, udp6},
		{"ipv4-icmp", countICMP, icmp},
		{"ipv4-truncated", countNonIP, truncated},
	}
}
