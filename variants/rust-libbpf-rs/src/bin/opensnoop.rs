//! opensnoop: one line per open()/openat(), from the syscall enter and exit tracepoints.

use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use common::cli::{self, Args, Program};
use common::{Out, Stop, c_str};
use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/opensnoop.skel.rs"));
}

use skel::types::open_event;

// SAFETY: a repr(C) struct of integers and byte arrays, valid for any bytes.
unsafe impl plain::Plain for open_event {}

fn main() -> ExitCode {
    let args = cli::parse(Program::Opensnoop);
    common::report(Program::Opensnoop.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;
    common::quiet_libbpf();

    let mut object = MaybeUninit::uninit();
    let mut open_skel = skel::OpensnoopSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    let rodata = open_skel
        .maps
        .rodata_data
        .as_deref_mut()
        .context("the BPF object has no read-only data for the filters and wakeup_bytes")?;
    // The BPF side's "every process" and "every user".
    rodata.targ_tgid = args.pid.unwrap_or(0);
    rodata.targ_uid = args.uid.unwrap_or(u32::MAX);
    rodata.targ_failed = args.failed;
    // -B: the backlog that wakes the reader; 0, the kernel's wakeup per record.
    rodata.wakeup_bytes = if args.batched {
        common::WAKEUP_BATCH_BYTES
    } else {
        0
    };
    let skel = open_skel.load().map_err(common::load_error)?;
    let links = common::attach_all(skel.object())?;

    let name = args.name.as_deref();
    let events = common::stream_events(
        &skel.maps.events,
        links,
        "PID\tCOMM\tFD\tERR\tPATH",
        &stop,
        args.batched,
        |out, record| print(out, record, name),
    )?;
    let drops = skel.maps.bss_data.as_ref().map_or(0, |bss| bss.drops);
    Ok((events, drops))
}

fn print(out: &mut Out<'_>, record: &[u8], name: Option<&[u8]>) -> io::Result<()> {
    let e: &open_event = common::read_event(record)?;
    let comm = c_str(&e.comm);
    // -n NAME: a substring of comm, matched here as in libbpf-tools.
    if name.is_some_and(|name| !comm.windows(name.len()).any(|w| w == name)) {
        return Ok(());
    }
    let (fd, err) = if e.ret >= 0 { (e.ret, 0) } else { (-1, -e.ret) };
    write!(out, "{}\t", e.pid)?;
    out.write_all(comm)?;
    write!(out, "\t{fd}\t{err}\t")?;
    out.write_all(c_str(&e.fname))?;
    out.write_all(b"\n")
}
