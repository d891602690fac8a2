#![no_std]
#![no_main]
//! xdp: packets and bytes per L4 protocol at the earliest receive hook; every frame passes.
//! What bpf/xdp.bpf.c does, step for step: Ethernet, one optional VLAN tag, then IPv4 or IPv6
//! (after up to four extension headers), one packet and the frame's length added to one counter.

use core::mem::size_of;

use aya_ebpf::{
    bindings::xdp_action,
    btf_maps::PerCpuArray,
    macros::{btf_map, xdp},
    programs::XdpContext,
};
use probes_common::{
    XDP_COUNT_ICMP, XDP_COUNT_ICMPV6, XDP_COUNT_MAX, XDP_COUNT_NON_IP, XDP_COUNT_OTHER,
    XDP_COUNT_TCP, XDP_COUNT_UDP, XdpCounter,
};

// The uapi values (linux/if_ether.h, linux/in.h, linux/in6.h).
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86DD;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88A8;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_HOPOPTS: u8 = 0;
const IPPROTO_ROUTING: u8 = 43;
const IPPROTO_FRAGMENT: u8 = 44;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_DSTOPTS: u8 = 60;
/// Extension headers skipped before giving up (counted as other).
const IPV6_EXT_MAX: usize = 4;

// The headers, as the kernel's `struct ethhdr`, `vlan_hdr`, `iphdr`, `ipv6hdr` and
// `ipv6_opt_hdr` lay them out; multi-byte fields are in network byte order. Only the fields the
// program reads are named apart.

#[repr(C)]
struct EthHdr {
    h_dest: [u8; 6],
    h_source: [u8; 6],
    h_proto: u16,
}

#[repr(C)]
struct VlanHdr {
    h_vlan_tci: u16,
    h_vlan_encapsulated_proto: u16,
}

#[repr(C)]
struct IpHdr {
    /// `ihl:4` (the low nibble), `version:4`.
    ihl_version: u8,
    tos: u8,
    tot_len: u16,
    id: u16,
    frag_off: u16,
    ttl: u8,
    protocol: u8,
    check: u16,
    saddr: u32,
    daddr: u32,
}

#[repr(C)]
struct Ipv6Hdr {
    priority_version: u8,
    flow_lbl: [u8; 3],
    payload_len: u16,
    nexthdr: u8,
    hop_limit: u8,
    saddr: [u8; 16],
    daddr: [u8; 16],
}

#[repr(C)]
struct Ipv6OptHdr {
    nexthdr: u8,
    hdrlen: u8,
}

/// Per-CPU, so the program adds without atomics; userspace sums the CPUs.
#[btf_map(name = "counters")]
static COUNTERS: PerCpuArray<XdpCounter, XDP_COUNT_MAX> = PerCpuArray::new();

/// A `T` at packet address `at`, when the whole of it lies before `end`: the check against
/// `data_end` the verifier wants before any read of packet memory.
#[inline(always)]
fn header<T>(at: usize, end: usize) -> Option<*const T> {
    if at + size_of::<T>() > end {
        None
    } else {
        Some(at as *const T)
    }
}

#[inline(always)]
fn l4_index(proto: u8) -> u32 {
    match proto {
        IPPROTO_TCP => XDP_COUNT_TCP,
        IPPROTO_UDP => XDP_COUNT_UDP,
        IPPROTO_ICMP => XDP_COUNT_ICMP,
        IPPROTO_ICMPV6 => XDP_COUNT_ICMPV6,
        _ => XDP_COUNT_OTHER,
    }
}

#[inline(always)]
fn parse_ipv4(l3: usize, end: usize) -> u32 {
    let Some(iph) = header::<IpHdr>(l3, end) else {
        return XDP_COUNT_NON_IP;
    };
    // SAFETY: the 20 bytes of the header lie inside the packet (checked just above).
    let (ihl, protocol) = unsafe { ((*iph).ihl_version & 0x0f, (*iph).protocol) };
    if ihl < 5 {
        return XDP_COUNT_NON_IP;
    }
    l4_index(protocol)
}

#[inline(always)]
fn parse_ipv6(l3: usize, end: usize) -> u32 {
    let Some(ip6h) = header::<Ipv6Hdr>(l3, end) else {
        return XDP_COUNT_NON_IP;
    };
    // SAFETY: the 40 bytes of the header lie inside the packet.
    let mut nexthdr = unsafe { (*ip6h).nexthdr };
    let mut cur = l3 + size_of::<Ipv6Hdr>();
    // Hop-by-hop (MLD), routing, fragment and destination options come before L4.
    for _ in 0..IPV6_EXT_MAX {
        if !matches!(
            nexthdr,
            IPPROTO_HOPOPTS | IPPROTO_ROUTING | IPPROTO_FRAGMENT | IPPROTO_DSTOPTS
        ) {
            break;
        }
        let Some(opt) = header::<Ipv6OptHdr>(cur, end) else {
            return XDP_COUNT_OTHER;
        };
        // SAFETY: the 2 bytes of the option header lie inside the packet.
        let (next, hdrlen) = unsafe { ((*opt).nexthdr, (*opt).hdrlen) };
        // A fragment header is 8 bytes; the others give their length in 8-byte units.
        cur += if nexthdr == IPPROTO_FRAGMENT {
            8
        } else {
            (usize::from(hdrlen) + 1) * 8
        };
        nexthdr = next;
    }
    l4_index(nexthdr)
}

#[inline(always)]
fn classify(data: usize, end: usize) -> u32 {
    let Some(eth) = header::<EthHdr>(data, end) else {
        return XDP_COUNT_NON_IP;
    };
    let mut l3 = data + size_of::<EthHdr>();
    // SAFETY: the 14 bytes of the Ethernet header lie inside the packet. The u16 fields read
    // here and below sit at even offsets from `data`, which the kernel keeps 2-byte aligned.
    let mut proto = unsafe { (*eth).h_proto };
    // One VLAN tag, 802.1Q or 802.1ad.
    if proto == ETH_P_8021Q.to_be() || proto == ETH_P_8021AD.to_be() {
        let Some(vlan) = header::<VlanHdr>(l3, end) else {
            return XDP_COUNT_NON_IP;
        };
        // SAFETY: the 4 bytes of the tag lie inside the packet.
        proto = unsafe { (*vlan).h_vlan_encapsulated_proto };
        l3 += size_of::<VlanHdr>();
    }
    if proto == ETH_P_IP.to_be() {
        parse_ipv4(l3, end)
    } else if proto == ETH_P_IPV6.to_be() {
        parse_ipv6(l3, end)
    } else {
        XDP_COUNT_NON_IP
    }
}

#[xdp]
pub fn xdp_count(ctx: XdpContext) -> u32 {
    let (data, data_end) = (ctx.data(), ctx.data_end());
    let key = classify(data, data_end);
    if let Some(c) = COUNTERS.get_ptr_mut(key) {
        // SAFETY: `c` is this CPU's slot of the per-CPU array, live and aligned; plain adds, as
        // in the C program (XDP runs with migration disabled, so the slot stays this CPU's).
        unsafe {
            (*c).packets += 1;
            (*c).bytes += (data_end - data) as u64;
        }
    }
    xdp_action::XDP_PASS
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 13] = *b"Dual BSD/GPL\0";
