//! opensnoop: one line per open()/openat(), from the syscall enter and exit tracepoints.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{self, Args, Program};
use common::{Out, Probe, Stop, c_str};

/// The BCC C, compiled by libbcc when the tool starts, with the filters as -D defines.
const SOURCE: &str = include_str!(concat!(env!("BPF_SRC"), "/bcc/opensnoop.c"));

/// `struct open_event` of `bpf/events.h`, mirrored by hand as in the crate's examples;
/// `common::read_event` checks the size of every record against it.
#[repr(C)]
#[derive(Clone, Copy)]
struct OpenEvent {
    ts_ns: u64,
    pid: u32,
    tid: u32,
    uid: u32,
    ret: i32,
    flags: i32,
    comm: [u8; 16],
    fname: [u8; 256],
}

const PROBES: [Probe; 4] = [
    Probe {
        handler: "enter_open",
        tracepoint: "sys_enter_open",
    },
    Probe {
        handler: "enter_openat",
        tracepoint: "sys_enter_openat",
    },
    Probe {
        handler: "exit_open",
        tracepoint: "sys_exit_open",
    },
    Probe {
        handler: "exit_openat",
        tracepoint: "sys_exit_openat",
    },
];

fn main() -> ExitCode {
    let args = cli::parse(Program::Opensnoop);
    common::report(Program::Opensnoop.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let mut stop = Stop::install(args.duration)?;
    // What libbpf variants write into .rodata before load, BCC takes as -D defines; left out,
    // the C's defaults are "every process", "every user", "every open".
    let mut defines = Vec::new();
    if let Some(pid) = args.pid {
        defines.push(format!("-DTARG_TGID={pid}"));
    }
    if let Some(uid) = args.uid {
        defines.push(format!("-DTARG_UID={uid}"));
    }
    if args.failed {
        defines.push("-DTARG_FAILED=1".to_owned());
    }
    let name = args.name.clone();
    let bpf = common::load(
        SOURCE,
        &defines,
        args.batched,
        &PROBES,
        move |out, record| print(out, record, name.as_deref()),
    )?;
    bpf.stream_events("PID\tCOMM\tFD\tERR\tPATH", &mut stop)
}

fn print(out: &mut Out, record: &[u8], name: Option<&[u8]>) -> io::Result<()> {
    let e: OpenEvent = common::read_event(record)?;
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
