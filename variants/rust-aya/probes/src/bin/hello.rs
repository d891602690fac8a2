//! hello: one line per execve, from tracepoint/syscalls/sys_enter_execve.

use std::io::Write as _;

use aya::{EbpfLoader, include_bytes_aligned};
use probes::{Args, Signals, c_str, parse_seconds, read_event};
use probes_common::HelloEvent;

const USAGE: &str = "usage: hello [-d SECONDS]";
static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/hello"));

fn main() {
    let mut args = Args::new("hello", USAGE);
    let tool = args.tool();
    probes::exit(tool, run(&mut args));
}

fn run(args: &mut Args) -> anyhow::Result<()> {
    let mut duration = None;
    while let Some((opt, value)) = args.next(|opt| opt == 'd')? {
        match opt {
            'd' => duration = Some(parse_seconds(&value)?),
            _ => return Err(args.unknown(opt)),
        }
    }
    let signals = Signals::block()?;
    let ebpf = probes::load(
        &mut EbpfLoader::new(),
        OBJECT,
        &[("hello_execve", "sys_enter_execve")],
    )?;
    probes::run(
        ebpf,
        signals,
        duration,
        "PID\tUID\tCOMM\tMESSAGE",
        |record, out| {
            let e: HelloEvent = read_event(record)?;
            write!(out, "{}\t{}\t", e.pid, e.uid)?;
            out.write_all(c_str(&e.comm))?;
            out.write_all(b"\t")?;
            out.write_all(c_str(&e.message))?;
            out.write_all(b"\n")?;
            Ok(())
        },
    )
}
