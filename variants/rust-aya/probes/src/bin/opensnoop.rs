//! opensnoop: one line per open/openat, from the syscalls enter/exit tracepoints.

use std::io::Write as _;

use aya::{EbpfLoader, include_bytes_aligned};
use probes::{Args, Signals, c_str, parse_seconds, parse_value, read_event};
use probes_common::OpenEvent;

const USAGE: &str = "usage: opensnoop [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]";
static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/opensnoop"));

const PROGRAMS: &[(&str, &str)] = &[
    ("enter_open", "sys_enter_open"),
    ("enter_openat", "sys_enter_openat"),
    ("exit_open", "sys_exit_open"),
    ("exit_openat", "sys_exit_openat"),
];

fn main() {
    let mut args = Args::new("opensnoop", USAGE);
    let tool = args.tool();
    probes::exit(tool, run(&mut args));
}

fn run(args: &mut Args) -> anyhow::Result<()> {
    let (mut tgid, mut uid, mut failed) = (0u32, u32::MAX, 0u8);
    let (mut name, mut duration) = (None::<String>, None);
    while let Some((opt, value)) = args.next(|opt| "pund".contains(opt))? {
        match opt {
            'p' => tgid = parse_value(opt, &value)?,
            'u' => uid = parse_value(opt, &value)?,
            'x' => failed = 1,
            'n' => name = Some(value),
            'd' => duration = Some(parse_seconds(&value)?),
            _ => return Err(args.unknown(opt)),
        }
    }
    let signals = Signals::block()?;
    let mut loader = EbpfLoader::new();
    loader
        .override_global("targ_tgid", &tgid, true)
        .override_global("targ_uid", &uid, true)
        .override_global("targ_failed", &failed, true);
    let ebpf = probes::load(&mut loader, OBJECT, PROGRAMS)?;
    let name = name.unwrap_or_default().into_bytes();
    probes::run(
        ebpf,
        signals,
        duration,
        "PID\tCOMM\tFD\tERR\tPATH",
        |record, out| {
            let e: OpenEvent = read_event(record)?;
            let comm = c_str(&e.comm);
            // The comm filter is a substring match, applied here as in libbpf-tools.
            if !name.is_empty() && !comm.windows(name.len()).any(|w| w == name.as_slice()) {
                return Ok(());
            }
            let (fd, err) = if e.ret >= 0 { (e.ret, 0) } else { (-1, -e.ret) };
            write!(out, "{}\t", e.pid)?;
            out.write_all(comm)?;
            write!(out, "\t{fd}\t{err}\t")?;
            out.write_all(c_str(&e.fname))?;
            out.write_all(b"\n")?;
            Ok(())
        },
    )
}
