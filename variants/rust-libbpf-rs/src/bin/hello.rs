//! hello: one line per execve, from `tracepoint/syscalls/sys_enter_execve`.

use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use common::{Out, Stop, c_str, u32_at};
use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/hello.skel.rs"));
}

const USAGE: &str = "hello [-d SECONDS] [-v]";

/// `struct hello_event` in bpf/events.h: pid, uid, comm[16], message[12].
const EVENT_SIZE: usize = 36;

struct Args {
    duration: Option<Duration>,
    verbose: bool,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;

    let mut args = Args {
        duration: None,
        verbose: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('d') => args.duration = Some(common::parse_duration(&mut parser)?),
            Short('v') => args.verbose = true,
            Short('h') | Long("help") => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(args) => common::report("hello", run(&args)),
        Err(err) => common::usage_error("hello", USAGE, err),
    }
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;
    common::set_libbpf_log(args.verbose);

    let mut object = MaybeUninit::uninit();
    let open_skel = skel::HelloSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    let skel = open_skel.load().map_err(common::load_error)?;
    let links = common::attach_all(skel.object())?;

    let events = common::stream_events(
        &skel.maps.events,
        links,
        "PID\tUID\tCOMM\tMESSAGE",
        &stop,
        print,
    )?;
    let drops = skel.maps.bss_data.as_ref().map_or(0, |bss| bss.drops);
    Ok((events, drops))
}

fn print(out: &mut Out<'_>, data: &[u8]) -> io::Result<()> {
    if data.len() < EVENT_SIZE {
        return Ok(());
    }
    write!(out, "{}\t{}\t", u32_at(data, 0), u32_at(data, 4))?;
    out.write_all(c_str(&data[8..24]))?;
    out.write_all(b"\t")?;
    out.write_all(c_str(&data[24..36]))?;
    out.write_all(b"\n")
}
