//! hello: one line per execve, from `tracepoint/syscalls/sys_enter_execve`.

use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use common::cli::{self, Args, Program};
use common::{Out, Stop, c_str};
use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/hello.skel.rs"));
}

use skel::types::hello_event;

// SAFETY: a repr(C) struct of integers and byte arrays, valid for any bytes.
unsafe impl plain::Plain for hello_event {}

fn main() -> ExitCode {
    let args = cli::parse(Program::Hello);
    common::report(Program::Hello.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;
    common::quiet_libbpf();

    let mut object = MaybeUninit::uninit();
    let mut open_skel = skel::HelloSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    let rodata = open_skel
        .maps
        .rodata_data
        .as_deref_mut()
        .context("the BPF object has no read-only data for wakeup_bytes")?;
    // -B: the backlog that wakes the reader; 0, the kernel's wakeup per record.
    rodata.wakeup_bytes = if args.batched {
        common::WAKEUP_BATCH_BYTES
    } else {
        0
    };
    let skel = open_skel.load().map_err(common::load_error)?;
    let links = common::attach_all(skel.object())?;

    let events = common::stream_events(
        &skel.maps.events,
        links,
        "PID\tPPID\tUID\tCOMM\tMESSAGE",
        &stop,
        args.batched,
        print,
    )?;
    let drops = skel.maps.bss_data.as_ref().map_or(0, |bss| bss.drops);
    Ok((events, drops))
}

fn print(out: &mut Out<'_>, record: &[u8]) -> io::Result<()> {
    let e: &hello_event = common::read_event(record)?;
    write!(out, "{}\t{}\t{}\t", e.pid, e.ppid, e.uid)?;
    out.write_all(c_str(&e.comm))?;
    out.write_all(b"\t")?;
    out.write_all(c_str(&e.message))?;
    out.write_all(b"\n")
}
