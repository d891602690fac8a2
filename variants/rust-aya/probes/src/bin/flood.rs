//! flood: loads flood_small and flood_large without attaching them, then reads their ring
//! buffer with Aya's `RingBuf` (`next` until empty, epoll on its fd between batches) until
//! SIGINT, SIGTERM or -d. The records are written when the harness test-runs a program
//! (harness/produce.c); every record's seq is checked, so a record skipped counts as lost.

use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};
use aya::{
    Ebpf, include_bytes_aligned,
    maps::{Array, MapData, RingBuf},
    programs::Xdp,
};
use probes::cli::{self, FloodArgs};
use probes::{Out, Stop};
use probes_common::{FLOOD_SMALL_BYTES, FloodRecord};

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/flood"));

const PROGRAMS: [&str; 2] = ["flood_small", "flood_large"];

/// The longest wait in epoll_wait(2): records below a quarter of the ring are submitted without
/// a wakeup, and are read at the next look (c-libbpf's ring_buffer__poll timeout).
const TICK_MS: i32 = 100;

/// What the reader took, and the gaps in the sequence it saw.
#[derive(Default)]
struct Tally {
    records: u64,
    bytes: u64,
    gaps: u64,
    next_seq: u64,
}

impl Tally {
    /// One record: checked against the sequence, counted, and with `-f` printed.
    fn take(&mut self, out: &mut Out<'_>, record: &[u8], format: bool) -> io::Result<()> {
        // As c-libbpf: a record too short for its head is not one of flood's.
        if record.len() < FLOOD_SMALL_BYTES {
            return Ok(());
        }
        let r: FloodRecord = probes::read_event(record)?;
        if r.seq > self.next_seq {
            self.gaps += r.seq - self.next_seq;
        }
        self.next_seq = r.seq + 1;
        self.records += 1;
        self.bytes += record.len() as u64;
        if format {
            writeln!(out, "{}\t{}\t{}", r.seq, r.ts_ns, record.len())?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = cli::parse_flood();
    match run(&args) {
        Ok((tally, lost)) => {
            eprintln!(
                "records={} bytes={} lost={}",
                tally.records,
                tally.bytes,
                tally.gaps + lost
            );
            ExitCode::SUCCESS
        }
        Err(err) => probes::report_error("flood", &err),
    }
}

/// What was read, and the BPF side's `lost` (reservations the full ring refused).
fn run(args: &FloodArgs) -> Result<(Tally, u64)> {
    let stop = Stop::install(args.duration)?;

    let mut ebpf = Ebpf::load(OBJECT).context("loading the BPF object")?;
    // Loaded, never attached: the harness's producer test-runs the programs by id.
    for name in PROGRAMS {
        let program: &mut Xdp = ebpf
            .program_mut(name)
            .ok_or_else(|| anyhow!("no program {name} in the BPF object"))?
            .try_into()?;
        program
            .load()
            .with_context(|| format!("loading program {name}"))?;
    }
    let records = ebpf
        .take_map("records")
        .ok_or_else(|| anyhow!("no map records in the BPF object"))?;
    let mut ring = RingBuf::try_from(records)?;
    // `lost` is alone in .bss (probes-ebpf/src/flood.rs): the map's one value.
    let bss = ebpf
        .take_map(".bss")
        .ok_or_else(|| anyhow!("no .bss (lost) in the BPF object"))?;
    let bss: Array<MapData, u64> = Array::try_from(bss)?;

    let mut tally = Tally::default();
    let mut take = |out: &mut Out<'_>, record: &[u8]| tally.take(out, record, args.format);
    let mut out = probes::stdout_buffer();
    probes::read_until_stopped(
        &mut ring,
        &mut out,
        "SEQ\tTS_NS\tBYTES",
        &stop,
        TICK_MS,
        &mut take,
    )?;
    probes::drain(&mut ring, &mut out, &mut take)?;
    let lost = bss.get(&0, 0).context("reading lost")?;
    // Dropping `ebpf` unloads the programs; the maps close with `ring` and `bss`.
    drop(ebpf);
    Ok((tally, lost))
}
