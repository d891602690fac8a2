//! What the tools share: the command line, the stop conditions, compiling and loading through
//! libbcc (with its messages kept off stderr), the ring-buffer loop, and for `hello` and
//! `opensnoop` attaching, the drops counter and the exit report. Each binary keeps its own C
//! source, event type and output; `flood` its loaded, unattached programs and its own tally.

pub mod cli;

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, Read as _, Seek as _, Stdout, Write};
use std::mem;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::process::ExitCode;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use bcc::ring_buf::{RingBuf, RingBufBuilder, RingCallback};
use bcc::{BPF, BPFBuilder, Tracepoint};
use signal_hook::consts::{SIGINT, SIGTERM};

/// Where `bpf/` was when the tools were built: libbcc finds `events.h` there at run time.
pub const BPF_SRC: &str = env!("BPF_SRC");

/// Upper bound on one ring-buffer wait: the longest a stop can go unnoticed when its signal
/// lands between the flag check and the wait, and the granularity of `-d`.
const POLL_TICK: Duration = Duration::from_millis(100);

/// `-B` (docs/programs.md, "Wakeups"): the backlog, in bytes, whose crossing wakes the reader,
/// the define `WAKEUP_BYTES` of the run-time compile (`WAKEUP_BATCH_BYTES` of `bpf/events.h`, a
/// quarter of the 256 KiB ring).
const WAKEUP_BATCH_BYTES: u32 = 64 * 1024;

/// `-B`: the longest the reader waits for a wakeup before it takes what the ring holds anyway
/// (`WAKEUP_WAIT_MS` of `bpf/events.h`).
const WAKEUP_WAIT: Duration = Duration::from_millis(50);

/// Large enough that a burst of events leaves in few writes; flushed after every poll anyway.
const STDOUT_BUFFER: usize = 64 * 1024;

/// The name of the ring buffer and of the drops counter in `bpf/bcc/*.c`.
const EVENTS: &str = "events";
const DROPS: &str = "drops";
/// With `-B`, `bpf/bcc/wakeup.h`'s array of maps whose slot 0 must hold `events`: the programs
/// ask the ring-buffer query of what its lookup returns.
const EVENT_RINGS: &str = "event_rings";

/// `BPF_PROG_TYPE_XDP` of the kernel's `enum bpf_prog_type` (`linux/bpf.h`), for `BPF::load`:
/// the crate's own `BpfProgType` has only kprobe, tracepoint and perf-event, and it does not
/// re-export bcc-sys's constants.
pub const BPF_PROG_TYPE_XDP: u32 = 6;

pub type Out = BufWriter<Stdout>;

/// Why the event loop ends: SIGINT, SIGTERM, or the end of `-d SECONDS`.
pub struct Stop {
    signalled: Arc<AtomicBool>,
    duration: Option<Duration>,
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
            duration,
            deadline: None,
        })
    }

    /// Starts `-d` once the tool is ready: libbcc's compile takes seconds, and -d counts from
    /// the header.
    fn start(&mut self) {
        // A deadline past what Instant can hold is no deadline at all.
        self.deadline = self.duration.and_then(|d| Instant::now().checked_add(d));
    }

    /// The flag SIGINT and SIGTERM set, for a ring-buffer callback to end the loop with (after
    /// the poll it runs in, then the drain).
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.signalled)
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

/// One program of a tool: the C function and the `syscalls` tracepoint it is attached to.
pub struct Probe {
    pub handler: &'static str,
    pub tracepoint: &'static str,
}

/// The C source compiled, its programs loaded and attached, and the ring buffer opened, with
/// `print` called for every record. `batched` (`-B`): compiled with `-DWAKEUP_BYTES`, and
/// `events` put into slot 0 of `event_rings` before anything is attached. libbcc writes its
/// diagnostics (clang's, the verifier's, its own) to stderr: they are kept off it while this
/// runs, and the line that names the cause is added to the error if the set-up fails.
/// `BCC_VERBOSE=1` lets them through.
pub fn load<F>(
    source: &str,
    defines: &[String],
    batched: bool,
    probes: &[Probe],
    print: F,
) -> Result<Bpf>
where
    F: FnMut(&mut Out, &[u8]) -> io::Result<()> + Send + 'static,
{
    quietly(|| load_inner(source, defines, batched, probes, print))
}

/// Runs `set_up` with libbcc's diagnostics kept off stderr (unless `BCC_VERBOSE` is set); if it
/// fails, the line of theirs that names the cause is added to the error.
fn quietly<T>(set_up: impl FnOnce() -> Result<T>) -> Result<T> {
    let quiet = env::var_os("BCC_VERBOSE").is_none();
    let capture = if quiet {
        Some(StderrCapture::start()?)
    } else {
        None
    };
    let result = set_up();
    let said = capture.map(StderrCapture::finish).unwrap_or_default();
    match (result, said) {
        (Err(err), Some(said)) => Err(anyhow::anyhow!("{err:#} (libbcc: {said})")),
        (result, _) => result,
    }
}

/// The C compiled by libbcc into a module: its maps created, no program loaded yet.
fn compile(source: &str, defines: &[String]) -> Result<BPF> {
    // -I for events.h and flood.h; -w, as for every BCC variant: the kernel headers are noisy
    // under clang.
    let mut cflags = vec![format!("-I{BPF_SRC}"), "-w".to_owned()];
    cflags.extend(defines.iter().cloned());
    BPFBuilder::new(source)
        .and_then(|builder| builder.cflags(&cflags))
        .and_then(BPFBuilder::build)
        .context("compiling the BPF C with libbcc")
}

fn load_inner<F>(
    source: &str,
    defines: &[String],
    batched: bool,
    probes: &[Probe],
    print: F,
) -> Result<Bpf>
where
    F: FnMut(&mut Out, &[u8]) -> io::Result<()> + Send + 'static,
{
    let mut defines = defines.to_vec();
    if batched {
        defines.push(format!("-DWAKEUP_BYTES={WAKEUP_BATCH_BYTES}"));
    }
    let mut module = compile(source, &defines)?;
    if batched {
        // BCC 0.26 has no ring-buffer query of its own: the programs ask it of the map in slot
        // 0 of event_rings (bpf/bcc/wakeup.h). Filled before the attach, so that no record goes
        // in with the default wakeup. The maps exist once the C is compiled.
        let events_fd = module
            .table(EVENTS)
            .context("finding the ring buffer")?
            .fd();
        module
            .table(EVENT_RINGS)
            .context("finding event_rings")?
            .set(&mut 0u32.to_ne_bytes(), &mut events_fd.to_ne_bytes())
            .context("putting events into event_rings")?;
    }
    for probe in probes {
        Tracepoint::new()
            .handler(probe.handler)
            .subsystem("syscalls")
            .tracepoint(probe.tracepoint)
            .attach(&mut module)
            .map_err(|err| {
                anyhow::Error::new(err).context(format!(
                    "loading and attaching {} to tracepoint/syscalls/{}",
                    probe.handler, probe.tracepoint
                ))
            })?;
    }

    let sink = Arc::new(Mutex::new(Sink {
        out: BufWriter::with_capacity(STDOUT_BUFFER, io::stdout()),
        count: 0,
        error: None,
    }));
    let callback = {
        let sink = Arc::clone(&sink);
        let mut print = print;
        RingCallback::new(Box::new(move |record: &[u8]| {
            let mut sink = lock(&sink);
            sink.count += 1;
            if sink.error.is_none()
                && let Err(err) = print(&mut sink.out, record)
            {
                sink.error = Some(err);
            }
        }))
    };
    let table = module.table(EVENTS).context("finding the ring buffer")?;
    let ringbuf = RingBufBuilder::new(table, callback)
        .build()
        .context("opening the ring buffer")?;
    Ok(Bpf {
        ringbuf: Some(ringbuf),
        sink,
        batched,
        module,
    })
}

/// What the ring-buffer callback owns: stdout and the count of records.
struct Sink {
    out: Out,
    count: u64,
    error: Option<io::Error>,
}

fn lock(sink: &Mutex<Sink>) -> MutexGuard<'_, Sink> {
    // A panic in the callback is caught by the bcc crate; the sink stays usable.
    sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A loaded and attached tool. Dropping it frees the ring buffer, then the module: the crate's
/// Tracepoint values go with it.
pub struct Bpf {
    // Declared before `module`: the ring buffer's table points into the module.
    ringbuf: Option<RingBuf>,
    sink: Arc<Mutex<Sink>>,
    /// `-B`: poll at most `WAKEUP_WAIT`, then consume.
    batched: bool,
    module: BPF,
}

impl Bpf {
    /// Prints `header` (the ready signal), then every ring-buffer record until `stop`, flushing
    /// stdout after each poll. On stop it drains what was already submitted, reads the drops
    /// counter, and returns `(events, drops)`.
    pub fn stream_events(mut self, header: &str, stop: &mut Stop) -> Result<(u64, u64)> {
        let mut ringbuf = self.ringbuf.take().context("the ring buffer is gone")?;
        {
            let mut sink = lock(&self.sink);
            writeln!(sink.out, "{header}").context("writing to stdout")?;
        }
        self.flush()?;
        poll_until_stopped(&mut ringbuf, stop, self.batched, || self.flush())?;
        drop(ringbuf);
        let drops = self.drops()?;
        let events = lock(&self.sink).count;
        Ok((events, drops))
    }

    fn flush(&self) -> Result<()> {
        let mut sink = lock(&self.sink);
        if let Some(err) = sink.error.take() {
            return Err(err).context("printing an event");
        }
        sink.out.flush().context("writing to stdout")
    }

    /// The one-slot array `drops`: ring-buffer reservations that failed.
    fn drops(&self) -> Result<u64> {
        let mut table = self
            .module
            .table(DROPS)
            .context("finding the drops counter")?;
        let value = table
            .get(&mut 0u32.to_ne_bytes())
            .context("reading the drops counter")?;
        let bytes = value
            .try_into()
            .map_err(|v: Vec<u8>| anyhow::anyhow!("drops holds {} bytes, not 8", v.len()))?;
        Ok(u64::from_ne_bytes(bytes))
    }
}

/// Polls `ringbuf` until `stop`, calling `after_poll` after every poll (an error from it ends
/// the loop), then drains what was already submitted and calls it once more. `batched` (`-B`):
/// each poll waits at most `WAKEUP_WAIT` and is followed by a consume, which takes what the ring
/// holds, signalled or not. `-d` counts from here: the caller has just printed its header.
fn poll_until_stopped(
    ringbuf: &mut RingBuf,
    stop: &mut Stop,
    batched: bool,
    mut after_poll: impl FnMut() -> Result<()>,
) -> Result<()> {
    stop.start();
    while let Some(wait) = stop.next_wait() {
        let wait = if batched { wait.min(WAKEUP_WAIT) } else { wait };
        // The crate drops ring_buffer__poll's result: a signal's EINTR ends the wait early
        // and the loop sees the flag.
        ringbuf.poll(i32::try_from(wait.as_millis()).unwrap_or(i32::MAX));
        if batched {
            // ring_buffer__poll consumes only a ring that woke it; what came in with
            // BPF_RB_NO_WAKEUP waits for ring_buffer__consume.
            ringbuf.consume();
        }
        after_poll()?;
    }
    // Records submitted before the stop are still waiting, some of them never signalled.
    ringbuf.consume();
    after_poll()
}

/// A compiled module whose programs are loaded but attached to nothing (`flood`'s: the harness
/// test-runs them by id). Dropping it closes the programs, then destroys the module.
pub struct Loaded {
    // Held, never read: their fds keep the programs loaded. Declared before `module`: closed
    // first.
    _programs: Vec<File>,
    pub module: BPF,
}

/// The C source compiled and each of `programs` loaded as `prog_type`, with libbcc's messages
/// kept off stderr as in `load`. `BPF::load` reaches libbcc's `bcc_prog_load`, whose
/// declaration bcc-sys 0.23 shares with libbcc 0.26; `BPF::load_func` would reach
/// `bcc_func_load`, which gained a parameter (README.md, "The bcc-sys ABI").
pub fn load_unattached(source: &str, programs: &[&str], prog_type: u32) -> Result<Loaded> {
    quietly(|| {
        let mut module = compile(source, &[])?;
        let programs = programs
            .iter()
            .map(|&name| {
                module
                    .load(name, prog_type, 0, 0)
                    .with_context(|| format!("loading {name}"))
            })
            .collect::<Result<_>>()?;
        Ok(Loaded {
            _programs: programs,
            module,
        })
    })
}

/// A ring buffer opened with a callback that owns `S`, its whole state: the crate's callbacks
/// are `'static + Send` boxes, and owning the state spares them a lock per record. `S` comes
/// back when the ring buffer is freed, at the end of `read`.
pub struct Ring<S> {
    ringbuf: RingBuf,
    back: Receiver<S>,
}

/// What the callback owns: the state, and where to send it when the callback is dropped.
struct HandBack<S> {
    state: Option<S>,
    to: Sender<S>,
}

impl<S> Drop for HandBack<S> {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            // The receiver is gone only if `read` never ran; the state then goes with it.
            let _ = self.to.send(state);
        }
    }
}

impl<S: Send + 'static> Ring<S> {
    /// Opens the ring buffer `name` of `module`, `take` being called with `state` and every
    /// record. The ring buffer's table points into the module: drop this first.
    pub fn open(
        module: &BPF,
        name: &str,
        state: S,
        mut take: impl FnMut(&mut S, &[u8]) + Send + 'static,
    ) -> Result<Self> {
        let (to, back) = mpsc::channel();
        let mut owned = HandBack {
            state: Some(state),
            to,
        };
        let callback = RingCallback::new(Box::new(move |record: &[u8]| {
            if let Some(state) = owned.state.as_mut() {
                take(state, record);
            }
        }));
        let table = module
            .table(name)
            .with_context(|| format!("finding the ring buffer {name}"))?;
        let ringbuf = RingBufBuilder::new(table, callback)
            .build()
            .context("opening the ring buffer")?;
        Ok(Self { ringbuf, back })
    }

    /// Prints `header` on stdout (the ready signal), then polls until `stop`, drains what the
    /// ring still holds, frees the ring buffer and gives back the callback's state.
    pub fn read(mut self, header: &str, stop: &mut Stop) -> Result<S> {
        {
            let mut out = io::stdout().lock();
            writeln!(out, "{header}")
                .and_then(|()| out.flush())
                .context("writing to stdout")?;
        }
        poll_until_stopped(&mut self.ringbuf, stop, false, || Ok(()))?;
        // Frees the ring buffer and drops the callback, which sends its state.
        drop(self.ringbuf);
        self.back
            .recv()
            .context("the ring-buffer callback's state is gone")
    }
}

/// Reads the value of slot 0 of the one-slot array `name` (an `int` key, BCC's `BPF_ARRAY`).
pub fn read_slot0(module: &BPF, name: &str) -> Result<Vec<u8>> {
    let mut table = module
        .table(name)
        .with_context(|| format!("finding {name}"))?;
    table
        .get(&mut 0u32.to_ne_bytes())
        .with_context(|| format!("reading {name}"))
}

/// Prints the `events=N drops=M` summary, or the error as one line, and gives the exit code.
pub fn report(program: &str, result: Result<(u64, u64)>) -> ExitCode {
    match result {
        Ok((events, drops)) => {
            eprintln!("events={events} drops={drops}");
            ExitCode::SUCCESS
        }
        Err(err) => fail(program, &err),
    }
}

/// Prints a runtime failure as one line, `PROGRAM: why`, with a hint when privileges are the
/// likely cause, and gives exit code 1.
pub fn fail(program: &str, err: &anyhow::Error) -> ExitCode {
    let hint = if unprivileged() {
        " (needs root, or CAP_BPF and CAP_PERFMON)"
    } else {
        ""
    };
    eprintln!("{program}: {err:#}{hint}");
    ExitCode::FAILURE
}

/// Neither root nor CAP_BPF: the likely cause of a failed load.
fn unprivileged() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return false;
    }
    // CapEff in /proc/self/status; CAP_BPF is bit 39.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
        })
        .is_none_or(|caps| caps & (1 << 39) == 0)
}

/// A ring-buffer record as `T`, the `#[repr(C)]` mirror of a struct of `bpf/events.h`. A record
/// of another size means the mirror no longer matches the C: an error, not a misread.
pub fn read_event<T: Copy>(record: &[u8]) -> io::Result<T> {
    if record.len() != mem::size_of::<T>() {
        return Err(io::Error::other(format!(
            "a ring-buffer record of {} bytes is not a {} ({} bytes)",
            record.len(),
            std::any::type_name::<T>(),
            mem::size_of::<T>()
        )));
    }
    // SAFETY: the length is checked, T is a repr(C) struct of integers and byte arrays (valid
    // for any bytes), and read_unaligned copies it out whatever the record's alignment.
    Ok(unsafe { ptr::read_unaligned(record.as_ptr().cast::<T>()) })
}

/// The bytes of a fixed-size C string field up to its first NUL.
pub fn c_str(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or(field)
}

/// fd 2 pointed at an anonymous file while libbcc runs; restored by `finish`.
struct StderrCapture {
    saved: OwnedFd,
    file: File,
}

impl StderrCapture {
    fn start() -> Result<Self> {
        let file = tempfile().context("creating a file for libbcc's messages")?;
        // SAFETY: dup and dup2 on fd 2 and on a file we own; errors are checked.
        unsafe {
            let saved = libc::dup(2);
            if saved < 0 {
                return Err(io::Error::last_os_error()).context("saving stderr");
            }
            let saved = OwnedFd::from_raw_fd(saved);
            if libc::dup2(file.as_raw_fd(), 2) < 0 {
                return Err(io::Error::last_os_error()).context("redirecting stderr");
            }
            Ok(Self { saved, file })
        }
    }

    /// Restores stderr and gives the line of what libbcc wrote that names the cause: the first
    /// error (clang's come first), else the last line.
    fn finish(mut self) -> Option<String> {
        // SAFETY: puts the saved stderr back on fd 2.
        unsafe { libc::dup2(self.saved.as_raw_fd(), 2) };
        let mut text = Vec::new();
        self.file.rewind().ok()?;
        self.file.read_to_end(&mut text).ok()?;
        let text = String::from_utf8_lossy(&text);
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        let first_error = lines.clone().find(|line| line.contains("error"));
        first_error.or_else(|| lines.next_back()).map(str::to_owned)
    }
}

/// An anonymous file in memory (memfd), gone when closed.
fn tempfile() -> io::Result<File> {
    // SAFETY: a NUL-terminated name; the result is checked before it is owned.
    let fd = unsafe { libc::memfd_create(c"libbcc-stderr".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a new descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}
