//! xdp: packets and bytes per L4 protocol, counted by an XDP program. --test and --bench run it
//! on frames built here through Aya's test-run API (BPF_PROG_TEST_RUN, nothing attached);
//! --attach counts what an interface receives.

use std::error::Error;
use std::ffi::{CStr, CString, OsStr};
use std::io::{self, BufWriter, Write as _};
use std::net::Ipv6Addr;
use std::os::unix::ffi::OsStrExt as _;
use std::process::ExitCode;

use aya::{
    Ebpf, include_bytes_aligned,
    maps::{MapData, PerCpuArray},
    programs::{ProgramError, TestRun as _, TestRunOptions, Xdp, XdpMode},
};
use probes::cli::{self, XdpCommand};
use probes::{Stop, netlink};
use probes_common::{
    XDP_COUNT_ICMP, XDP_COUNT_MAX, XDP_COUNT_NON_IP, XDP_COUNT_TCP, XDP_COUNT_UDP, XdpCounter,
};

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp"));

const PROTO_NAMES: [&str; XDP_COUNT_MAX] = ["tcp", "udp", "icmp", "icmpv6", "other", "non-ip"];
const XDP_PASS: u32 = 2;

type Counters = PerCpuArray<MapData, XdpCounter>;

/// The one line on stderr, after `xdp: `, of a run that failed (exit 1).
struct Failure(String);

fn main() -> ExitCode {
    let command = cli::parse_xdp();
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(line)) => {
            eprintln!("xdp: {line}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: XdpCommand) -> Result<(), Failure> {
    // SIGINT and SIGTERM end --attach; --test and --bench keep their default actions.
    let attach = match &command {
        XdpCommand::Attach { iface, duration } => {
            let stop =
                Stop::install(*duration).map_err(|e| failed("blocking SIGINT and SIGTERM", &*e))?;
            Some((iface.clone(), if_index(iface)?, stop))
        }
        _ => None,
    };

    let mut ebpf = Ebpf::load(OBJECT).map_err(|e| failed("loading the BPF program", &e))?;
    let counters = ebpf
        .take_map("counters")
        .ok_or_else(|| Failure("no map counters in the BPF object".to_owned()))?;
    let counters = Counters::try_from(counters).map_err(|e| failed("opening the counters", &e))?;
    let program: &mut Xdp = ebpf
        .program_mut("xdp_count")
        .ok_or_else(|| Failure("no program xdp_count in the BPF object".to_owned()))?
        .try_into()
        .map_err(|e| failed("loading the BPF program", &e))?;
    program
        .load()
        .map_err(|e| failed("loading the BPF program", &e))?;

    // Dropping `ebpf` at the end unloads the program and closes the map.
    match (command, attach) {
        (_, Some((iface, ifindex, stop))) => {
            attach_and_count(program, &counters, &iface, ifindex, &stop)
        }
        (XdpCommand::Bench { repeat }, None) => bench(program, repeat),
        _ => self_test(program, &counters),
    }
}

// ------------------------------------------------------------------------------------------
// The built-in frames: the bytes xdp.c builds.

/// Test-run output buffer: larger than any frame.
const FRAME_MAX: usize = 128;
const PAYLOAD: &[u8] = b"xdp-test";
const ETH_HLEN: usize = 14;
/// The fifth frame stops 10 bytes into its 20-byte IPv4 header. A frame shorter than the
/// Ethernet header itself cannot be fed to the program: BPF_PROG_TEST_RUN refuses XDP input
/// under 14 bytes.
const TRUNCATED_IP_LEN: usize = 10;
const UDP_LEN: usize = 8 + PAYLOAD.len();
const ICMP_LEN: usize = 8 + PAYLOAD.len();

struct Frame {
    name: &'static str,
    /// The counter it must land in.
    proto: u32,
    bytes: Vec<u8>,
}

/// Ethernet: 02:00:00:00:00:02 <- 02:00:00:00:00:01, EtherType `proto`.
fn eth(f: &mut Vec<u8>, proto: u16) {
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
    f.extend_from_slice(&proto.to_be_bytes());
}

/// IPv4, 20 bytes, 192.0.2.1 -> 192.0.2.2, TTL 64, with its checksum.
fn ipv4(f: &mut Vec<u8>, proto: u8, l4_len: usize) {
    let tot_len = (20 + l4_len) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45; // version 4, ihl 5
    ip[2..4].copy_from_slice(&tot_len.to_be_bytes());
    ip[8] = 64; // ttl
    ip[9] = proto;
    ip[12..16].copy_from_slice(&[192, 0, 2, 1]);
    ip[16..20].copy_from_slice(&[192, 0, 2, 2]);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(&ip);
}

/// IPv6, 40 bytes, 2001:db8::1 -> 2001:db8::2, hop limit 64.
fn ipv6(f: &mut Vec<u8>, nexthdr: u8, l4_len: usize) {
    f.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, traffic class and flow label 0
    f.extend_from_slice(&(l4_len as u16).to_be_bytes());
    f.extend_from_slice(&[nexthdr, 64]);
    f.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
    f.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
}

/// UDP 40000 -> 53, checksum 0 (none), then the payload.
fn udp(f: &mut Vec<u8>) {
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&53u16.to_be_bytes());
    f.extend_from_slice(&(UDP_LEN as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(PAYLOAD);
}

/// TCP SYN 40000 -> 80, seq 1, window 65535, 20 bytes, checksum 0.
fn tcp_syn(f: &mut Vec<u8>) {
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&80u16.to_be_bytes());
    f.extend_from_slice(&1u32.to_be_bytes()); // seq
    f.extend_from_slice(&0u32.to_be_bytes()); // ack_seq
    f.extend_from_slice(&[0x50, 0x02]); // doff 5, SYN
    f.extend_from_slice(&65535u16.to_be_bytes()); // window
    f.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
}

/// ICMP echo request, id 1, sequence 1, checksum 0, then the payload.
fn icmp_echo(f: &mut Vec<u8>) {
    f.extend_from_slice(&[8, 0, 0, 0]); // type ICMP_ECHO, code, checksum
    f.extend_from_slice(&1u16.to_be_bytes());
    f.extend_from_slice(&1u16.to_be_bytes());
    f.extend_from_slice(PAYLOAD);
}

fn frames() -> [Frame; 5] {
    const IP: u16 = 0x0800;
    const IPV6: u16 = 0x86DD;
    let frame = |name, proto, build: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = Vec::with_capacity(FRAME_MAX);
        build(&mut bytes);
        Frame { name, proto, bytes }
    };
    [
        frame("ipv4-tcp", XDP_COUNT_TCP, &|f| {
            eth(f, IP);
            ipv4(f, 6, 20);
            tcp_syn(f);
        }),
        frame("ipv4-udp", XDP_COUNT_UDP, &|f| {
            eth(f, IP);
            ipv4(f, 17, UDP_LEN);
            udp(f);
        }),
        frame("ipv6-udp", XDP_COUNT_UDP, &|f| {
            eth(f, IPV6);
            ipv6(f, 17, UDP_LEN);
            udp(f);
        }),
        frame("ipv4-icmp", XDP_COUNT_ICMP, &|f| {
            eth(f, IP);
            ipv4(f, 1, ICMP_LEN);
            icmp_echo(f);
        }),
        // Cut inside its IPv4 header: counted as non-ip (too short), passed untouched.
        frame("ipv4-truncated", XDP_COUNT_NON_IP, &|f| {
            eth(f, IP);
            ipv4(f, 17, UDP_LEN);
            udp(f);
            f.truncate(ETH_HLEN + TRUNCATED_IP_LEN);
        }),
    ]
}

// ------------------------------------------------------------------------------------------

/// What one test run of a frame gave.
struct Run {
    verdict: u32,
    /// The kernel's average per run.
    ns: u128,
    /// Whether the frame came back byte for byte as it went in.
    same: bool,
}

/// One BPF_PROG_TEST_RUN of `frame`, `repeat` times, through `Xdp::test_run`.
fn run_frame(program: &Xdp, frame: &Frame, repeat: u32) -> Result<Run, Failure> {
    let mut out = [0u8; FRAME_MAX];
    let result = program
        .test_run(TestRunOptions {
            data_in: Some(&frame.bytes),
            data_out: Some(&mut out),
            repeat,
            ..TestRunOptions::new()
        })
        .map_err(|e: ProgramError| {
            failed(&format!("BPF_PROG_TEST_RUN of frame {}", frame.name), &e)
        })?;
    let returned = out.get(..result.data_size_out as usize);
    Ok(Run {
        verdict: result.return_value,
        ns: result.duration.as_nanos(),
        same: returned == Some(&frame.bytes[..]),
    })
}

/// The sum over every CPU of each counter (`PerCpuArray::get` gives one value per CPU).
fn read_counters(counters: &Counters) -> Result<[XdpCounter; XDP_COUNT_MAX], Failure> {
    let mut sum = [XdpCounter::default(); XDP_COUNT_MAX];
    for (key, total) in (0u32..).zip(&mut sum) {
        let per_cpu = counters
            .get(&key, 0)
            .map_err(|e| failed("reading the counters", &e))?;
        for c in per_cpu.iter() {
            total.packets += c.packets;
            total.bytes += c.bytes;
        }
    }
    Ok(sum)
}

/// --test: every frame once; each must pass untouched and the counters must add up.
fn self_test(program: &Xdp, counters: &Counters) -> Result<(), Failure> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut want = [XdpCounter::default(); XDP_COUNT_MAX];
    let mut reason = None;
    for f in frames() {
        let run = run_frame(program, &f, 1)?;
        let ok = run.verdict == XDP_PASS && run.same;
        writeln!(
            out,
            "frame\t{}\t{}\t{}\t{}",
            f.name,
            f.bytes.len(),
            run.verdict,
            verdict(ok)
        )
        .map_err(written)?;
        if !ok && reason.is_none() {
            let why = if run.verdict != XDP_PASS {
                "verdict is not XDP_PASS (2)"
            } else {
                "changed by the program"
            };
            reason = Some(format!("frame {}: {why}", f.name));
        }
        want[f.proto as usize].packets += 1;
        want[f.proto as usize].bytes += f.bytes.len() as u64;
    }

    let got = read_counters(counters)?;
    for ((name, got), want) in PROTO_NAMES.iter().zip(&got).zip(&want) {
        let ok = got.packets == want.packets && got.bytes == want.bytes;
        writeln!(
            out,
            "counter\t{name}\t{}\t{}\t{}",
            got.packets,
            got.bytes,
            verdict(ok)
        )
        .map_err(written)?;
        if !ok && reason.is_none() {
            reason = Some(format!(
                "counter {name}: {} packets, {} bytes; want {}, {}",
                got.packets, got.bytes, want.packets, want.bytes
            ));
        }
    }
    out.flush().map_err(written)?;
    reason.map_or(Ok(()), |reason| Err(Failure(reason)))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAIL" }
}

/// --bench N: every frame N times; the kernel's own average per run.
fn bench(program: &Xdp, repeat: u32) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "FRAME\tREPEAT\tNS_PER_RUN").map_err(written)?;
    for f in frames() {
        let run = run_frame(program, &f, repeat)?;
        if run.verdict != XDP_PASS {
            return Err(Failure(format!(
                "frame {}: verdict {}, not XDP_PASS (2)",
                f.name, run.verdict
            )));
        }
        writeln!(out, "{}\t{repeat}\t{}", f.name, run.ns).map_err(written)?;
    }
    Ok(())
}

/// --attach IFACE: count until SIGINT, SIGTERM or -d, print the counters, detach.
fn attach_and_count(
    program: &mut Xdp,
    counters: &Counters,
    iface: &OsStr,
    ifindex: u32,
    stop: &Stop,
) -> Result<(), Failure> {
    // With no mode flag the kernel takes the driver's hook where there is one, the generic one
    // otherwise; Aya makes it a BPF link (bpf_link_create), and only where the kernel refuses
    // links for XDP (EINVAL, before 5.9) a netlink attachment. If the driver refuses (an MTU
    // too large for its XDP, say), the generic hook, asked for explicitly.
    let link_id = match program.attach_to_if_index(ifindex, XdpMode::Default) {
        Ok(id) => id,
        Err(native) => program
            .attach_to_if_index(ifindex, XdpMode::Skb)
            .map_err(|generic| {
                Failure(format!(
                    "attaching XDP to {} failed: {} (generic mode: {})",
                    iface.to_string_lossy(),
                    describe(&native),
                    describe(&generic)
                ))
            })?,
    };
    // Owned here: dropping it detaches (a BPF link: closing its fd; the process ending closes
    // it too).
    let link = program
        .take_link(link_id)
        .map_err(|e| failed("taking the XDP link", &e))?;
    let mode = attach_mode(program, ifindex);

    let mut out = io::stdout().lock();
    writeln!(out, "PROTO\tPACKETS\tBYTES").map_err(written)?;
    out.flush().map_err(written)?;
    stop.wait()
        .map_err(|e| failed("waiting for SIGINT or SIGTERM", &e))?;

    let got = read_counters(counters);
    drop(link);
    for (name, c) in PROTO_NAMES.iter().zip(&got?) {
        writeln!(out, "{name}\t{}\t{}", c.packets, c.bytes).map_err(written)?;
    }
    out.flush().map_err(written)?;
    eprintln!("mode={mode}");
    Ok(())
}

/// Which hook the kernel put the program on: the driver's (native) or the generic one. Aya
/// gives the program's id (`Xdp::info`); the interface's XDP program ids come from netlink.
fn attach_mode(program: &Xdp, ifindex: u32) -> &'static str {
    let (Ok(info), Ok(ids)) = (program.info(), netlink::xdp_prog_ids(ifindex)) else {
        return "unknown";
    };
    if ids.driver == info.id() {
        "native"
    } else if ids.generic == info.id() {
        "generic"
    } else {
        "unknown"
    }
}

// ------------------------------------------------------------------------------------------
// Failures, worded as c-libbpf's.

/// `if_nametoindex(3)`, or the failure xdp.c reports.
fn if_index(iface: &OsStr) -> Result<u32, Failure> {
    let name = CString::new(iface.as_bytes()).expect("no NUL in a command-line argument");
    // SAFETY: name is a live C string.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        let err = io::Error::last_os_error();
        return Err(Failure(format!(
            "no interface {}: {}",
            iface.to_string_lossy(),
            strerror(err.raw_os_error().unwrap_or(0))
        )));
    }
    Ok(index)
}

/// `STEP failed: WHY`, WHY the strerror of the first errno among the causes (with xdp.c's hint
/// for a lack of privilege), else the causes themselves.
fn failed(step: &str, err: &(dyn Error + 'static)) -> Failure {
    Failure(format!("{step} failed: {}", describe(err)))
}

fn describe(err: &(dyn Error + 'static)) -> String {
    let mut causes = Vec::new();
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(errno) = e
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            let hint = if errno == libc::EPERM || errno == libc::EACCES {
                " (need root or CAP_BPF and CAP_PERFMON)"
            } else {
                ""
            };
            return format!("{}{hint}", strerror(errno));
        }
        causes.push(e.to_string());
        cause = e.source();
    }
    causes.join(": ")
}

fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a C string valid until the next call; copied at once.
    unsafe { CStr::from_ptr(libc::strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}

fn written(err: io::Error) -> Failure {
    failed("writing to stdout", &err)
}
