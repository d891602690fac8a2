//! hello: one line per execve, from `tracepoint/syscalls/sys_enter_execve`.

use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::Result;
use aya::{EbpfLoader, include_bytes_aligned};
use probes::cli::{self, Args, Program};
use probes::{Out, Stop, c_str};
use probes_common::HelloEvent;

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/hello"));

fn main() -> ExitCode {
    let args = cli::parse(Program::Hello);
    probes::report(Program::Hello.name(), run(&args))
}

fn run(args: &Args) -> Result<(u64, u64)> {
    let stop = Stop::install(args.duration)?;

    let mut loader = EbpfLoader::new();
    probes::batch_wakeups(&mut loader, args.batched);
    let ebpf = probes::load(&mut loader, OBJECT, &[("hello_execve", "sys_enter_execve")])?;

    let wait_ms = probes::wakeup_wait_ms(args.batched);
    probes::stream_events(ebpf, "PID\tPPID\tUID\tCOMM\tMESSAGE", &stop, wait_ms, print)
}

fn print(out: &mut Out<'_>, record: &[u8]) -> io::Result<()> {
    let e: HelloEvent = probes::read_event(record)?;
    write!(out, "{}\t{}\t{}\t", e.pid, e.ppid, e.uid)?;
    out.write_all(c_str(&e.comm))?;
    out.write_all(b"\t")?;
    out.write_all(c_str(&e.message))?;
    out.write_all(b"\n")
}
