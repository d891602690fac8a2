//! What `hello` and `opensnoop` share: the command line, the stop conditions, libbpf's log,
//! attaching, decoding and streaming the events, and the exit report. Each binary keeps its own
//! skeleton and output format. `xdp` uses the command line, the stop conditions, libbpf's log
//! and the load error; `flood` those and the ring-buffer loop, with no links to detach.

pub mod cli;

use std::cell::{Cell, RefCell};
use std::env;
use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use libbpf_rs::{ErrorKind, Link, MapCore, Object, PrintLevel, RingBufferBuilder};
use plain::Plain;
use signal_hook::consts::{SIGINT, SIGTERM};

/// Upper bound on one ring-buffer wait: the longest a stop can go unnoticed when its signal
/// lands between the flag check and the wait, and the granularity of `-d`.
const POLL_TICK: Duration = Duration::from_millis(100);

/// `-B` (docs/programs.md, "Wakeups"): the backlog, in bytes, whose crossing wakes the reader,
/// written into the objects' `.rodata` `wakeup_bytes` before load (`WAKEUP_BATCH_BYTES` of
/// `bpf/events.h`, a quarter of the 256 KiB ring; a define, so the skeleton does not carry it).
pub const WAKEUP_BATCH_BYTES: u32 = 64 * 1024;

/// `-B`: the longest the reader waits for a wakeup before it takes what the ring holds anyway
/// (`WAKEUP_WAIT_MS` of `bpf/events.h`).
const WAKEUP_WAIT: Duration = Duration::from_millis(50);

/// Large enough that a burst of events leaves in few writes; flushed after every poll anyway.
const STDOUT_BUFFER: usize = 64 * 1024;

pub type Out<'a> = BufWriter<StdoutLock<'a>>;

/// Why the event loop ends: SIGINT, SIGTERM, or the end of `-d SECONDS`.
pub struct Stop {
    signalled: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl Stop {
    /// Installs the SIGINT and SIGTERM handlers; call before loading so that no signal is lost.
    pub fn install(duration: Option<Duration>) -> Result<Self> {
        let signalled = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&signalled))
                .context("installing signal handlers")?;
        }
        Ok(Self {
            signalled,
            // A deadline past what Instant can hold is no deadline at all.
            deadline: duration.and_then(|d| Instant::now().checked_add(d)),
        })
    }

    /// Sleeps until SIGINT, SIGTERM or the deadline.
    pub fn wait(&self) {
        while let Some(wait) = self.next_wait() {
            thread::sleep(wait);
        }
    }

    fn signalled(&self) -> bool {
        self.signalled.load(Ordering::Relaxed)
    }

    /// How long the next wait may last, or `None` once it is time to stop.
    fn next_wait(&self) -> Option<Duration> {
        if self.signalled() {
            return None;
        }
        match self.deadline {
            None => Some(POLL_TICK),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| left.min(POLL_TICK))
            }
        }
    }
}

/// libbpf prints nothing, so that stderr carries only our own lines, unless `LIBBPF_VERBOSE` is
/// set: then its warnings, as in c-libbpf.
pub fn quiet_libbpf() {
    fn to_stderr(_level: PrintLevel, msg: String) {
        eprint!("{msg}");
    }
    let verbose = env::var_os("LIBBPF_VERBOSE").is_some();
    libbpf_rs::set_print(verbose.then_some((PrintLevel::Warn, to_stderr as _)));
}

/// Names the usual cause of a failed load in the one error line.
pub fn load_error(err: libbpf_rs::Error) -> anyhow::Error {
    if err.kind() == ErrorKind::PermissionDenied {
        anyhow::anyhow!("loading BPF programs: {err:#} (needs root, or CAP_BPF and CAP_PERFMON)")
    } else {
        anyhow::Error::new(err).context("loading BPF programs")
    }
}

/// Attaches every program on its own, so that an error names the program and its tracepoint.
/// On error the links made so far are dropped, which detaches them.
pub fn attach_all(object: &Object) -> Result<Vec<Link>> {
    object
        .progs_mut()
        .map(|prog| {
            prog.attach().with_context(|| {
                format!(
                    "attaching {} to {}",
                    prog.name().to_string_lossy(),
                    prog.section().to_string_lossy()
                )
            })
        })
        .collect()
}

/// Prints `header` (the ready signal), then hands every ring-buffer record to `print` until
/// `stop`, flushing stdout after each batch. `batched` (`-B`): the kernel side wakes the reader
/// only as the backlog crosses `wakeup_bytes`, so each poll waits at most `WAKEUP_WAIT` and is
/// followed by a `consume` that takes what the ring holds, signalled or not. On stop it detaches
/// `links`, drains what was already submitted, and returns the number of records read.
pub fn stream_events<F>(
    events: &dyn MapCore,
    links: Vec<Link>,
    header: &str,
    stop: &Stop,
    batched: bool,
    mut print: F,
) -> Result<u64>
where
    F: FnMut(&mut Out<'_>, &[u8]) -> io::Result<()>,
{
    let out = RefCell::new(BufWriter::with_capacity(STDOUT_BUFFER, io::stdout().lock()));
    let count = Cell::new(0u64);
    let print_error = Cell::new(None);
    let draining = Cell::new(false);

    let mut builder = RingBufferBuilder::new();
    builder
        .add(events, |data| {
            count.set(count.get() + 1);
            if let Err(err) = print(&mut out.borrow_mut(), data) {
                print_error.set(Some(err));
                return -1;
            }
            // Under a storm one poll could go on consuming for ever: a signal cuts it short
            // (a negative return), while the final drain after the detach runs to the end.
            if stop.signalled() && !draining.get() {
                -1
            } else {
                0
            }
        })
        .context("setting up the ring buffer")?;
    let ringbuf = builder.build().context("setting up the ring buffer")?;

    let flush = || -> Result<()> {
        if let Some(err) = print_error.take() {
            return Err(err).context("printing an event");
        }
        out.borrow_mut().flush().context("writing to stdout")
    };

    writeln!(out.borrow_mut(), "{header}").context("writing to stdout")?;
    flush()?;
    while let Some(wait) = stop.next_wait() {
        let taken = if batched {
            // ring_buffer__poll consumes only a ring that woke it; what came in with
            // BPF_RB_NO_WAKEUP waits for ring_buffer__consume.
            ringbuf
                .poll(wait.min(WAKEUP_WAIT))
                .and_then(|()| ringbuf.consume())
        } else {
            ringbuf.poll(wait)
        };
        match taken {
            Ok(()) => {}
            // EINTR from the signal, or the callback's early return once one has arrived.
            Err(_) if stop.signalled() => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => {
                flush()?;
                return Err(err).context("polling the ring buffer");
            }
        }
        flush()?;
    }

    drop(links);
    // Events submitted before the detach are still waiting. A negative result can only be the
    // callback's print error, which `flush` reports.
    draining.set(true);
    let _ = ringbuf.consume_raw();
    flush()?;
    Ok(count.get())
}

/// Prints the `events=N drops=M` summary, or the error as one line, and gives the exit code.
pub fn report(program: &str, result: Result<(u64, u64)>) -> ExitCode {
    match result {
        Ok((events, drops)) => {
            eprintln!("events={events} drops={drops}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{program}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A ring-buffer record as the event type libbpf-cargo generated from the object's BTF. The
/// records are 8-byte aligned, so this borrows the record instead of copying it.
pub fn read_event<T: Plain>(record: &[u8]) -> io::Result<&T> {
    plain::from_bytes(record).map_err(|err| {
        io::Error::other(format!(
            "a ring-buffer record of {} bytes does not hold a {} ({err:?})",
            record.len(),
            std::any::type_name::<T>()
        ))
    })
}

/// The bytes of a fixed-size C string field up to its first NUL. libbpf-cargo gives C's `char`
/// as `i8`; the output wants the bytes as they are.
pub fn c_str(field: &[i8]) -> &[u8] {
    // SAFETY: i8 and u8 have the same size and alignment and every bit pattern is valid for both.
    let bytes = unsafe { std::slice::from_raw_parts(field.as_ptr().cast::<u8>(), field.len()) };
    bytes.split(|&b| b == 0).next().unwrap_or(bytes)
}
