//! xdp: packets and bytes per L4 protocol, counted by an XDP program. `--test` and `--bench` run
//! it on frames built here, through `Program::test_run` (BPF_PROG_TEST_RUN, nothing attached);
//! `--attach` counts what an interface receives.

use std::ffi::{CString, OsStr};
use std::io::{self, BufWriter, Write};
use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use common::Stop;
use common::cli::{self, XdpMode};
use libbpf_rs::libbpf_sys;
use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
use libbpf_rs::{
    Link, MapCore as _, MapFlags, MapMut, Program, ProgramInput, ProgramMut, Xdp, XdpFlags,
};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/xdp.skel.rs"));
}

use skel::types::xdp_counter;

// SAFETY: a repr(C) struct of two u64, valid for any bytes.
unsafe impl plain::Plain for xdp_counter {}

/// The counters of `counters`, in the order of `enum xdp_count_proto` in bpf/xdp.h (the enum is
/// only used as constants on the kernel side, so its BTF gives libbpf-cargo nothing to generate).
const PROTOS: [&str; 6] = ["tcp", "udp", "icmp", "icmpv6", "other", "non-ip"];
const TCP: usize = 0;
const UDP: usize = 1;
const ICMP: usize = 2;
const NON_IP: usize = 5;

/// Room for the frames coming back from a test run (the largest is 70 bytes).
const FRAME_MAX: usize = 128;

fn main() -> ExitCode {
    let mode = cli::parse_xdp();
    match run(mode) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xdp: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mode: XdpMode) -> Result<()> {
    let stop = match &mode {
        XdpMode::Attach { duration, .. } => Stop::install(*duration)?,
        _ => Stop::install(None)?,
    };
    common::quiet_libbpf();
    let ifindex = match &mode {
        XdpMode::Attach { iface, .. } => Some(if_index(iface)?),
        _ => None,
    };

    let mut object = MaybeUninit::uninit();
    let open_skel = skel::XdpSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    let skel = open_skel.load().map_err(common::load_error)?;
    let prog = &skel.progs.xdp_count;
    let counters = &skel.maps.counters;

    match (mode, ifindex) {
        (XdpMode::Test, _) => self_test(prog, counters),
        (XdpMode::Bench { repeat }, _) => bench(prog, repeat),
        (XdpMode::Attach { iface, .. }, Some(ifindex)) => {
            attach_and_count(prog, counters, &iface, ifindex, &stop)
        }
        (XdpMode::Attach { .. }, None) => unreachable!("the index is looked up for --attach"),
    }
}

/// if_nametoindex(3); the name is shorter than IF_NAMESIZE (the command line checked).
fn if_index(iface: &OsStr) -> Result<i32> {
    let name = CString::new(iface.as_bytes()).context("an interface name holds no NUL")?;
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        let err = io::Error::last_os_error();
        bail!("no interface {}: {err}", iface.to_string_lossy());
    }
    i32::try_from(index).context("interface index out of range")
}

// ----------------------------------------------------------------------------------------------
// The built-in frames: the same bytes as c-libbpf's xdp.c builds.

const PAYLOAD: &[u8] = b"xdp-test";
const ETH_HLEN: usize = 14;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_ICMP: u8 = 1;
const ICMP_ECHO: u8 = 8;
const UDP_HLEN: usize = 8;
const TCP_HLEN: usize = 20;
const ICMP_HLEN: usize = 8;
/// The fifth frame is cut 10 bytes into its IPv4 header (of 20): too short for what it
/// announces. A frame shorter than the Ethernet header itself cannot be test-run: the kernel
/// refuses XDP input under 14 bytes.
const TRUNCATED_IP_LEN: usize = 10;

struct Frame {
    name: &'static str,
    /// The counter it must land in.
    proto: usize,
    bytes: Vec<u8>,
}

/// Ethernet: destination 02:00:00:00:00:02, source 02:00:00:00:00:01, EtherType.
fn put_eth(f: &mut Vec<u8>, proto: u16) {
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&proto.to_be_bytes());
}

/// The Internet checksum of an IPv4 header (RFC 1071), over big-endian 16-bit words.
fn ip_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// IPv4, 20 bytes: version 4, IHL 5, no TOS, total length, id 0, no fragment, TTL 64, protocol,
/// checksum, 192.0.2.1 -> 192.0.2.2.
fn put_ipv4(f: &mut Vec<u8>, proto: u8, l4_len: usize) {
    let tot_len = u16::try_from(20 + l4_len).expect("a small frame");
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&tot_len.to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&Ipv4Addr::new(192, 0, 2, 1).octets());
    ip[16..20].copy_from_slice(&Ipv4Addr::new(192, 0, 2, 2).octets());
    let check = ip_checksum(&ip);
    ip[10..12].copy_from_slice(&check.to_be_bytes());
    f.extend_from_slice(&ip);
}

/// IPv6, 40 bytes: version 6, no traffic class nor flow label, payload length, next header,
/// hop limit 64, 2001:db8::1 -> 2001:db8::2.
fn put_ipv6(f: &mut Vec<u8>, nexthdr: u8, l4_len: usize) {
    let payload_len = u16::try_from(l4_len).expect("a small frame");
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&payload_len.to_be_bytes());
    f.extend_from_slice(&[nexthdr, 64]);
    f.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
    f.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
}

/// UDP 40000 -> 53, length, checksum 0 (none), then the payload.
fn put_udp(f: &mut Vec<u8>) {
    let len = u16::try_from(UDP_HLEN + PAYLOAD.len()).expect("a small datagram");
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&53u16.to_be_bytes());
    f.extend_from_slice(&len.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(PAYLOAD);
}

/// TCP SYN 40000 -> 80: sequence 1, acknowledgment 0, data offset 5 words, flags SYN, window
/// 65535, checksum 0, urgent pointer 0.
fn put_tcp_syn(f: &mut Vec<u8>) {
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&80u16.to_be_bytes());
    f.extend_from_slice(&1u32.to_be_bytes());
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(&[5 << 4, 0x02]);
    f.extend_from_slice(&65535u16.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
}

/// ICMP echo request: type 8, code 0, checksum 0, id 1, sequence 1, then the payload.
fn put_icmp_echo(f: &mut Vec<u8>) {
    f.extend_from_slice(&[ICMP_ECHO, 0, 0, 0]);
    f.extend_from_slice(&1u16.to_be_bytes());
    f.extend_from_slice(&1u16.to_be_bytes());
    f.extend_from_slice(PAYLOAD);
}

fn frames() -> [Frame; 5] {
    let udp_len = UDP_HLEN + PAYLOAD.len();
    let icmp_len = ICMP_HLEN + PAYLOAD.len();
    let build = |name, proto, put: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = Vec::with_capacity(FRAME_MAX);
        put(&mut bytes);
        Frame { name, proto, bytes }
    };
    [
        build("ipv4-tcp", TCP, &|f| {
            put_eth(f, ETH_P_IP);
            put_ipv4(f, IPPROTO_TCP, TCP_HLEN);
            put_tcp_syn(f);
        }),
        build("ipv4-udp", UDP, &|f| {
            put_eth(f, ETH_P_IP);
            put_ipv4(f, IPPROTO_UDP, udp_len);
            put_udp(f);
        }),
        build("ipv6-udp", UDP, &|f| {
            put_eth(f, ETH_P_IPV6);
            put_ipv6(f, IPPROTO_UDP, udp_len);
            put_udp(f);
        }),
        build("ipv4-icmp", ICMP, &|f| {
            put_eth(f, ETH_P_IP);
            put_ipv4(f, IPPROTO_ICMP, icmp_len);
            put_icmp_echo(f);
        }),
        // Cut inside its IPv4 header: counted as non-ip (too short), passed untouched.
        build("ipv4-truncated", NON_IP, &|f| {
            put_eth(f, ETH_P_IP);
            put_ipv4(f, IPPROTO_UDP, udp_len);
            f.truncate(ETH_HLEN + TRUNCATED_IP_LEN);
        }),
    ]
}

// ----------------------------------------------------------------------------------------------

/// What one test run of a frame gave.
struct Run {
    verdict: u32,
    /// The kernel's average time per run.
    duration: Duration,
    /// Whether the frame came back byte for byte as it went in.
    same: bool,
}

/// One BPF_PROG_TEST_RUN of `frame`, `repeat` times, through libbpf-rs.
fn run_frame(prog: &ProgramMut<'_>, frame: &Frame, repeat: u32) -> Result<Run> {
    let mut out = [0u8; FRAME_MAX];
    let input = ProgramInput {
        data_in: Some(&frame.bytes),
        data_out: Some(&mut out),
        repeat,
        ..Default::default()
    };
    let output = prog
        .test_run(input)
        .with_context(|| format!("BPF_PROG_TEST_RUN of frame {} failed", frame.name))?;
    Ok(Run {
        verdict: output.return_value,
        duration: output.duration,
        same: output.data.as_deref() == Some(frame.bytes.as_slice()),
    })
}

/// The sum over every CPU of each counter, read with `MapCore::lookup_percpu`.
fn read_counters(counters: &MapMut<'_>) -> Result<[xdp_counter; PROTOS.len()]> {
    let mut sum = [xdp_counter::default(); PROTOS.len()];
    for (key, total) in (0u32..).zip(sum.iter_mut()) {
        let per_cpu = counters
            .lookup_percpu(&key.to_ne_bytes(), MapFlags::ANY)
            .context("reading the counters failed")?
            .with_context(|| format!("reading the counters failed: no counter {key}"))?;
        for value in per_cpu {
            let mut counter = xdp_counter::default();
            plain::copy_from_bytes(&mut counter, &value)
                .map_err(|err| anyhow!("reading the counters failed: a short value ({err:?})"))?;
            total.packets += counter.packets;
            total.bytes += counter.bytes;
        }
    }
    Ok(sum)
}

/// --test: every frame once; each must pass untouched and the counters must add up.
fn self_test(prog: &ProgramMut<'_>, counters: &MapMut<'_>) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut want = [xdp_counter::default(); PROTOS.len()];
    let mut reason = None;

    for frame in &frames() {
        let run = run_frame(prog, frame, 1)?;
        let ok = run.verdict == libbpf_sys::XDP_PASS && run.same;
        let len = frame.bytes.len();
        let status = if ok { "ok" } else { "FAIL" };
        writeln!(
            out,
            "frame\t{}\t{len}\t{}\t{status}",
            frame.name, run.verdict
        )?;
        if !ok && reason.is_none() {
            let why = if run.verdict != libbpf_sys::XDP_PASS {
                "verdict is not XDP_PASS (2)"
            } else {
                "changed by the program"
            };
            reason = Some(format!("frame {}: {why}", frame.name));
        }
        want[frame.proto].packets += 1;
        want[frame.proto].bytes += len as u64;
    }

    let got = read_counters(counters)?;
    for ((name, got), want) in PROTOS.iter().zip(&got).zip(&want) {
        let ok = got.packets == want.packets && got.bytes == want.bytes;
        let status = if ok { "ok" } else { "FAIL" };
        writeln!(
            out,
            "counter\t{name}\t{}\t{}\t{status}",
            got.packets, got.bytes
        )?;
        if !ok && reason.is_none() {
            reason = Some(format!(
                "counter {name}: {} packets, {} bytes; want {}, {}",
                got.packets, got.bytes, want.packets, want.bytes
            ));
        }
    }
    out.flush().context("writing to stdout")?;
    match reason {
        Some(reason) => Err(anyhow!(reason)),
        None => Ok(()),
    }
}

/// --bench N: every frame N times; the kernel's own average per run.
fn bench(prog: &ProgramMut<'_>, repeat: u32) -> Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "FRAME\tREPEAT\tNS_PER_RUN")?;
    for frame in &frames() {
        let run = run_frame(prog, frame, repeat)?;
        if run.verdict != libbpf_sys::XDP_PASS {
            bail!(
                "frame {}: verdict {}, not XDP_PASS (2)",
                frame.name,
                run.verdict
            );
        }
        writeln!(out, "{}\t{repeat}\t{}", frame.name, run.duration.as_nanos())?;
        out.flush().context("writing to stdout")?;
    }
    Ok(())
}

/// An attached XDP program: detached when dropped, and by the kernel when the process ends.
enum Attachment {
    /// `Program::attach_xdp`'s link: the driver's hook where there is one, else the generic one.
    Link(#[allow(dead_code)] Link),
    /// A generic-mode (SKB) link: libbpf-rs offers none, so libbpf's `bpf_link_create` through
    /// the libbpf-sys it re-exports; the link is its file descriptor.
    Generic(#[allow(dead_code)] OwnedFd),
}

/// A BPF link of `prog` on the generic XDP hook of `ifindex`.
fn attach_generic(prog: BorrowedFd<'_>, ifindex: i32) -> io::Result<OwnedFd> {
    // SAFETY: all-zero is a valid bpf_link_create_opts (no pointers set, a zero union).
    let mut opts: libbpf_sys::bpf_link_create_opts = unsafe { mem::zeroed() };
    opts.sz = mem::size_of_val(&opts) as _;
    opts.flags = libbpf_sys::XDP_FLAGS_SKB_MODE;
    // SAFETY: `prog` is an open program fd and `opts` outlives the call.
    let fd = unsafe {
        libbpf_sys::bpf_link_create(prog.as_raw_fd(), ifindex, libbpf_sys::BPF_XDP, &opts)
    };
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(-fd));
    }
    // SAFETY: a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Which hook the kernel put the program on: the interface's driver (native) or generic XDP
/// program id, compared with the program's own id.
fn attach_mode(prog: &ProgramMut<'_>, ifindex: i32) -> &'static str {
    let Ok(id) = Program::id_from_fd(prog.as_fd()) else {
        return "unknown";
    };
    let Ok(query) = Xdp::new(prog.as_fd()).query(ifindex, XdpFlags::NONE) else {
        return "unknown";
    };
    if query.drv_prog_id == id {
        "native"
    } else if query.skb_prog_id == id {
        "generic"
    } else {
        "unknown"
    }
}

/// --attach IFACE: count until SIGINT, SIGTERM or -d, print the counters, detach.
fn attach_and_count(
    prog: &ProgramMut<'_>,
    counters: &MapMut<'_>,
    iface: &OsStr,
    ifindex: i32,
    stop: &Stop,
) -> Result<()> {
    // A link, so that dropping it (or the process ending) detaches. With no mode flag the
    // kernel takes the driver's hook where there is one, the generic one otherwise.
    let attachment = match prog.attach_xdp(ifindex) {
        Ok(link) => Attachment::Link(link),
        // The driver refused (an MTU too large for its XDP, say): the generic hook, as a link.
        Err(err) => match attach_generic(prog.as_fd(), ifindex) {
            Ok(fd) => Attachment::Generic(fd),
            Err(generic) => bail!(
                "attaching XDP to {} failed: {err:#} (generic mode: {generic})",
                iface.to_string_lossy()
            ),
        },
    };
    let mode = attach_mode(prog, ifindex);

    let mut out = io::stdout().lock();
    writeln!(out, "PROTO\tPACKETS\tBYTES")?;
    out.flush().context("writing to stdout")?;
    stop.wait();

    let got = read_counters(counters);
    drop(attachment);
    for (name, got) in PROTOS.iter().zip(&got?) {
        writeln!(out, "{name}\t{}\t{}", got.packets, got.bytes)?;
    }
    out.flush().context("writing to stdout")?;
    eprintln!("mode={mode}");
    Ok(())
}
