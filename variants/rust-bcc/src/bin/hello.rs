//! hello: one line per execve, from `tracepoint/syscalls/sys_enter_execve`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use common::cli::{self, Args, Program};
use common::{Out, Probe, Stop, c_str};

/// The BCC C, compiled by libbcc when the tool starts.
const SOURCE: &str = include_str!(concat!(env!("BPF_SRC"), "/bcc/hello.c"));

/// `struct hello_event` of `bpf/events.h`: BCC generates no Rust types, so the crate's examples
/// mirror the C struct by hand; `common::read_event` checks the size of every record against it.
#[repr(C)]
#[derive(Clone, Copy)]
struct HelloEvent {
    pid: u32,
    ppid: u32,
    uid: u32,
    comm: [u8; 16],
    message: [u8; 12],
}

fn main() -> ExitCode {
    let args = cli::parse(Program::Hello);
    common::report(Program::Hello.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let mut stop = Stop::install(args.duration)?;
    let probes = [Probe {
        handler: "hello_execve",
        tracepoint: "sys_enter_execve",
    }];
    let bpf = common::load(SOURCE, &[], args.batched, &probes, print)?;
    bpf.stream_events("PID\tPPID\tUID\tCOMM\tMESSAGE", &mut stop)
}

fn print(out: &mut Out, record: &[u8]) -> io::Result<()> {
    let e: HelloEvent = common::read_event(record)?;
    write!(out, "{}\t{}\t{}\t", e.pid, e.ppid, e.uid)?;
    out.write_all(c_str(&e.comm))?;
    out.write_all(b"\t")?;
    out.write_all(c_str(&e.message))?;
    out.write_all(b"\n")
}
