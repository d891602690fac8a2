//! flood: loads flood_small and flood_large without attaching them, then reads their ring
//! buffer with the crate's `RingBuf::poll` until SIGINT, SIGTERM or -d. The records are written
//! when the harness test-runs a program (harness/produce.c); every record's seq is checked, so
//! a record skipped counts as lost.

use std::io::{self, BufWriter, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result};
use common::cli::{self, FloodArgs};
use common::{BPF_PROG_TYPE_XDP, Out, Ring, Stop};

/// The BCC C, compiled by libbcc when the tool starts.
const SOURCE: &str = include_str!(concat!(env!("BPF_SRC"), "/bcc/flood.c"));

const PROGRAMS: [&str; 2] = ["flood_small", "flood_large"];

/// Large enough that a burst of lines leaves in few writes.
const STDOUT_BUFFER: usize = 64 * 1024;

/// `struct flood_record` of bpf/flood.h, the head of every record (flood_large's has 288 bytes
/// of payload after it, never read). BCC generates no Rust types: mirrored by hand.
struct FloodRecord {
    seq: u64,
    ts_ns: u64,
}

impl FloodRecord {
    /// The head of `record`; `None` if it is too short to be one of flood's.
    fn head(record: &[u8]) -> Option<Self> {
        let (seq, rest) = record.split_first_chunk()?;
        let (ts_ns, _) = rest.split_first_chunk()?;
        Some(Self {
            seq: u64::from_ne_bytes(*seq),
            ts_ns: u64::from_ne_bytes(*ts_ns),
        })
    }
}

/// What the reader took, and the gaps in the sequence it saw.
#[derive(Default)]
struct Tally {
    records: u64,
    bytes: u64,
    gaps: u64,
    next_seq: u64,
}

/// The ring-buffer callback's state, all of it its own (`common::Ring`): the tally, and with
/// `-f` stdout and the first error writing to it.
struct Reader {
    tally: Tally,
    format: bool,
    out: Out,
    error: Option<io::Error>,
    /// Set with `error`: the poll loop ends as on SIGINT.
    stop: Arc<AtomicBool>,
}

impl Reader {
    /// One record: checked against the sequence, counted, and with `-f` printed. No more than
    /// c-libbpf's `flood_take` and its printf.
    fn take(&mut self, record: &[u8]) {
        let Some(r) = FloodRecord::head(record) else {
            return;
        };
        let t = &mut self.tally;
        if r.seq > t.next_seq {
            t.gaps += r.seq - t.next_seq;
        }
        t.next_seq = r.seq + 1;
        t.records += 1;
        t.bytes += record.len() as u64;
        if self.format
            && self.error.is_none()
            && let Err(err) = writeln!(self.out, "{}\t{}\t{}", r.seq, r.ts_ns, record.len())
        {
            self.fail(err);
        }
    }

    fn fail(&mut self, err: io::Error) {
        self.error = Some(err);
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The tally, once what is left of the lines is written.
    fn finish(mut self) -> Result<Tally> {
        if self.error.is_none()
            && let Err(err) = self.out.flush()
        {
            self.fail(err);
        }
        match self.error {
            Some(err) => Err(err).context("printing a record"),
            None => Ok(self.tally),
        }
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
        Err(err) => common::fail("flood", &err),
    }
}

/// What was read, and the BPF side's `lost` (reservations the full ring refused).
fn run(args: &FloodArgs) -> Result<(Tally, u64)> {
    let mut stop = Stop::install(args.duration)?;
    // Loaded as XDP programs, never attached: the harness's producer test-runs them by id.
    let loaded = common::load_unattached(SOURCE, &PROGRAMS, BPF_PROG_TYPE_XDP)?;
    let module = &loaded.module;

    // BCC 0.26 has no ring-buffer query: the programs ask it of records through a map of maps
    // (bpf/bcc/flood.c), whose one slot must hold records before the first run.
    let records_fd = module
        .table("records")
        .context("finding the ring buffer records")?
        .fd();
    module
        .table("flood_rings")
        .context("finding flood_rings")?
        .set(&mut 0u32.to_ne_bytes(), &mut records_fd.to_ne_bytes())
        .context("putting records into flood_rings")?;

    let reader = Reader {
        tally: Tally::default(),
        format: args.format,
        out: BufWriter::with_capacity(STDOUT_BUFFER, io::stdout()),
        error: None,
        stop: stop.flag(),
    };
    let ring = Ring::open(module, "records", reader, Reader::take)?;
    let tally = ring.read("SEQ\tTS_NS\tBYTES", &mut stop)?.finish()?;

    // slot 0 of flood_state: struct { u64 next_seq; u64 lost; }.
    let state = common::read_slot0(module, "flood_state")?;
    let lost = state
        .get(8..16)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_ne_bytes)
        .with_context(|| format!("flood_state holds {} bytes, not 16", state.len()))?;
    Ok((tally, lost))
}
