//! flood: loads flood_small and flood_large without attaching them, then reads their ring
//! buffer with libbpf-rs's `RingBuffer::poll` until SIGINT, SIGTERM or -d. The records are
//! written when the harness test-runs a program (harness/produce.c); every record's seq is
//! checked, so a record skipped counts as lost.

use std::io::{self, Write as _};
use std::mem::{self, MaybeUninit};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use common::cli::{self, FloodArgs};
use common::{Out, Stop};
use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};

mod skel {
    include!(concat!(env!("OUT_DIR"), "/flood.skel.rs"));
}

/// `struct flood_record` of bpf/flood.h, the head of every record. The kernel side only uses it
/// as a local variable, so the object's BTF gives libbpf-cargo nothing to generate: mirrored here.
#[repr(C)]
struct FloodRecord {
    seq: u64,
    ts_ns: u64,
}

// SAFETY: a repr(C) struct of two u64, valid for any bytes.
unsafe impl plain::Plain for FloodRecord {}

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
        if record.len() < mem::size_of::<FloodRecord>() {
            return Ok(());
        }
        let r: &FloodRecord = common::read_event(record)?;
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
        Err(err) => {
            eprintln!("flood: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// What was read, and the BPF side's `lost` (reservations the full ring refused).
fn run(args: &FloodArgs) -> Result<(Tally, u64)> {
    let stop = Stop::install(args.duration)?;
    common::quiet_libbpf();

    let mut object = MaybeUninit::uninit();
    let open_skel = skel::FloodSkelBuilder::default()
        .open(&mut object)
        .context("opening the BPF object")?;
    // Loaded, never attached: the harness's producer test-runs the programs by id.
    let skel = open_skel.load().map_err(common::load_error)?;

    let mut tally = Tally::default();
    common::stream_events(
        &skel.maps.records,
        Vec::new(),
        "SEQ\tTS_NS\tBYTES",
        &stop,
        false,
        |out, record| tally.take(out, record, args.format),
    )?;
    let lost = skel.maps.bss_data.as_ref().map_or(0, |bss| bss.lost);
    Ok((tally, lost))
}
