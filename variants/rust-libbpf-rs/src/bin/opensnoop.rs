//! opensnoop: one line per open()/openat(), from the syscall enter and exit tracepoints.

use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStringExt as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use common::{Out, Stop, c_str, u32_at};
use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/opensnoop.skel.rs"));
}

const USAGE: &str = "opensnoop [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS] [-v]";

/// `struct open_event` in bpf/events.h: ts_ns, pid, tid, uid, ret, flags, comm[16], fname[256].
const PID: usize = 8;
const RET: usize = 20;
const COMM: usize = 28;
const FNAME: usize = 44;
const EVENT_SIZE: usize = FNAME + 256;

struct Args {
    pid: u32,
    uid: u32,
    failed: bool,
    name: Option<Vec<u8>>,
    duration: Option<Duration>,
    verbose: bool,
}

fn parse_args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;

    let mut args = Args {
        pid: 0,
        uid: u32::MAX,
        failed: false,
        name: None,
        duration: None,
        verbose: false,
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('p') => args.pid = common::parse_value(&mut parser, 'p')?,
            // -1 (every user) is the BPF side's u32::MAX.
            Short('u') => args.uid = parse_uid(&mut parser)?,
            Short('x') => args.failed = true,
            Short('n') => args.name = Some(parser.value()?.into_vec()),
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

/// `-u UID`, where -1 (every user, the default) is the BPF side's `u32::MAX`.
fn parse_uid(parser: &mut lexopt::Parser) -> Result<u32, lexopt::Error> {
    match common::parse_value::<i64>(parser, 'u')? {
        -1 => Ok(u32::MAX),
        uid => u32::try_from(uid)
            .ok()
            .filter(|&uid| uid != u32::MAX)
            .ok_or_else(|| format!("-u {uid}: wants a user id, or -1 for every user").into()),
    }
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(args) => common::report("opensnoop", run(&args)),
        Err(err) => common::usage_error("opensnoop", USAGE, err),
    }
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;
    common::set_libbpf_log(args.verbose);

    let mut object = MaybeUninit::uninit();
    let mut open_skel = skel::OpensnoopSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    let rodata = open_skel
        .maps
        .rodata_data
        .as_deref_mut()
        .context("the BPF object has no read-only data for the filters")?;
    rodata.targ_tgid = args.pid;
    rodata.targ_uid = args.uid;
    rodata.targ_failed = args.failed;
    let skel = open_skel.load().map_err(common::load_error)?;
    let links = common::attach_all(skel.object())?;

    let name = args.name.as_deref();
    let events = common::stream_events(
        &skel.maps.events,
        links,
        "PID\tCOMM\tFD\tERR\tPATH",
        &stop,
        |out, data| print(out, data, name),
    )?;
    let drops = skel.maps.bss_data.as_ref().map_or(0, |bss| bss.drops);
    Ok((events, drops))
}

fn print(out: &mut Out<'_>, data: &[u8], name: Option<&[u8]>) -> io::Result<()> {
    if data.len() < EVENT_SIZE {
        return Ok(());
    }
    let comm = c_str(&data[COMM..FNAME]);
    if name.is_some_and(|name| !contains(comm, name)) {
        return Ok(());
    }
    let ret = u32_at(data, RET) as i32;
    let (fd, err) = if ret >= 0 {
        (i64::from(ret), 0)
    } else {
        (-1, -i64::from(ret))
    };
    write!(out, "{}\t", u32_at(data, PID))?;
    out.write_all(comm)?;
    write!(out, "\t{fd}\t{err}\t")?;
    out.write_all(c_str(&data[FNAME..EVENT_SIZE]))?;
    out.write_all(b"\n")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}
