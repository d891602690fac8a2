//! opensnoop: one line per open()/openat(), from the syscall enter and exit tracepoints.

use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::Result;
use aya::{EbpfLoader, include_bytes_aligned};
use probes::cli::{self, Args, Program};
use probes::{Out, Stop, c_str};
use probes_common::OpenEvent;

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/opensnoop"));

const PROGRAMS: &[(&str, &str)] = &[
    ("enter_open", "sys_enter_open"),
    ("enter_openat", "sys_enter_openat"),
    ("exit_open", "sys_exit_open"),
    ("exit_openat", "sys_exit_openat"),
];

fn main() -> ExitCode {
    let args = cli::parse(Program::Opensnoop);
    probes::report(Program::Opensnoop.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;

    // The BPF side's "every process" and "every user".
    let tgid = args.pid.unwrap_or(0);
    let uid = args.uid.unwrap_or(u32::MAX);
    let failed = u8::from(args.failed);
    let mut loader = EbpfLoader::new();
    loader
        .override_global("targ_tgid", &tgid, true)
        .override_global("targ_uid", &uid, true)
        .override_global("targ_failed", &failed, true);
    probes::batch_wakeups(&mut loader, args.batched);
    let ebpf = probes::load(&mut loader, OBJECT, PROGRAMS)?;

    let name = args.name.as_deref();
    let wait_ms = probes::wakeup_wait_ms(args.batched);
    probes::stream_events(ebpf, "PID\tCOMM\tFD\tERR\tPATH", &stop, wait_ms, |out, record| {
        print(out, record, name)
    })
}

fn print(out: &mut Out<'_>, record: &[u8], name: Option<&[u8]>) -> io::Result<()> {
    let e: OpenEvent = probes::read_event(record)?;
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
