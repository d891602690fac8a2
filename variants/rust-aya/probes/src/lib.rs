//! What `hello` and `opensnoop` share: the command line, the stop conditions, loading and
//! attaching, decoding and streaming the events, and the exit report. Each binary keeps its own
//! object and output format. `xdp` uses the command line and the stop conditions, and `netlink`.

pub mod cli;
pub mod netlink;

use std::{
    io::{self, BufWriter, StdoutLock, Write as _},
    mem,
    os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
    process::ExitCode,
    ptr,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, anyhow};
use aya::{
    Ebpf, EbpfLoader, Pod,
    maps::{Array, MapData, RingBuf},
    programs::TracePoint,
};

/// Large enough that a burst of events leaves in few writes; flushed after every poll anyway.
const STDOUT_BUFFER: usize = 64 * 1024;

pub type Out<'a> = BufWriter<StdoutLock<'a>>;

/// Why the event loop ends: SIGINT or SIGTERM, read from a signalfd so that poll(2) on the ring
/// buffer wakes for them, or the end of `-d SECONDS`.
pub struct Stop {
    signals: OwnedFd,
    deadline: Option<Instant>,
}

impl Stop {
    /// Blocks SIGINT and SIGTERM and opens their signalfd; call before loading so that a signal
    /// arriving during the load is not lost.
    pub fn install(duration: Option<Duration>) -> Result<Self> {
        // SAFETY: plain libc calls on a zeroed sigset_t we own; no threads exist yet.
        let signals = unsafe {
            let mut set: libc::sigset_t = mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            if libc::sigprocmask(libc::SIG_BLOCK, &set, ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error()).context("sigprocmask");
            }
            let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if fd < 0 {
                return Err(io::Error::last_os_error()).context("signalfd");
            }
            OwnedFd::from_raw_fd(fd)
        };
        Ok(Self {
            signals,
            // A deadline past what Instant can hold is no deadline at all.
            deadline: duration.and_then(|d| Instant::now().checked_add(d)),
        })
    }

    /// The poll(2) timeout until the deadline, in milliseconds; -1 (none) without one.
    fn timeout_ms(&self) -> i32 {
        self.deadline.map_or(-1, |deadline| {
            let left = deadline.saturating_duration_since(Instant::now());
            i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
        })
    }

    fn deadline_passed(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Sleeps until SIGINT, SIGTERM or the deadline (xdp's `--attach`, which polls nothing else).
    pub fn wait(&self) -> io::Result<()> {
        let mut fd = libc::pollfd {
            fd: self.signals.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        while fd.revents == 0 && !self.deadline_passed() {
            // SAFETY: fd is one live pollfd.
            if unsafe { libc::poll(&mut fd, 1, self.timeout_ms()) } < 0 {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
        Ok(())
    }
}

/// Loads `object` through `loader` (its globals already set), then loads and attaches each
/// `(program, tracepoint)` of the syscalls category.
pub fn load(loader: &mut EbpfLoader<'_>, object: &[u8], programs: &[(&str, &str)]) -> Result<Ebpf> {
    let mut ebpf = loader.load(object).context("loading the BPF object")?;
    for &(name, tracepoint) in programs {
        let program: &mut TracePoint = ebpf
            .program_mut(name)
            .ok_or_else(|| anyhow!("no program {name} in the BPF object"))?
            .try_into()?;
        program
            .load()
            .with_context(|| format!("loading program {name}"))?;
        program
            .attach("syscalls", tracepoint)
            .with_context(|| format!("attaching {name} to tracepoint syscalls/{tracepoint}"))?;
    }
    Ok(ebpf)
}

/// Prints `header` (the ready signal), then hands every ring-buffer record to `print` until
/// `stop`, flushing stdout after each batch. On stop it detaches and unloads the programs,
/// drains what was already submitted, and returns the number of records read and the drops
/// counter.
pub fn stream_events(
    mut ebpf: Ebpf,
    header: &str,
    stop: &Stop,
    mut print: impl FnMut(&mut Out<'_>, &[u8]) -> io::Result<()>,
) -> Result<(u64, u64)> {
    let events = ebpf
        .take_map("events")
        .ok_or_else(|| anyhow!("no map events in the BPF object"))?;
    let mut ring = RingBuf::try_from(events)?;
    let bss = ebpf
        .take_map(".bss")
        .ok_or_else(|| anyhow!("no .bss (drops) in the BPF object"))?;
    let bss: Array<MapData, u64> = Array::try_from(bss)?;

    let mut out = BufWriter::with_capacity(STDOUT_BUFFER, io::stdout().lock());
    writeln!(out, "{header}").context("writing to stdout")?;
    out.flush().context("writing to stdout")?;

    let mut fds = [
        libc::pollfd {
            fd: ring.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: stop.signals.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let mut count = 0u64;
    loop {
        // SAFETY: fds is a live array of two pollfd.
        let ready = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                stop.timeout_ms(),
            )
        };
        if ready < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err).context("polling the ring buffer");
            }
        }
        count += drain(&mut ring, &mut out, &mut print)?;
        if fds[1].revents != 0 || stop.deadline_passed() {
            break;
        }
    }

    // Dropping the Ebpf detaches and unloads the programs; the maps taken above stay open for
    // the last records and the final drops count.
    drop(ebpf);
    count += drain(&mut ring, &mut out, &mut print)?;
    let drops = bss.get(&0, 0).context("reading drops")?;
    Ok((count, drops))
}

/// Prints every record waiting in the ring buffer, then flushes; returns how many there were.
fn drain(
    ring: &mut RingBuf<MapData>,
    out: &mut Out<'_>,
    print: &mut impl FnMut(&mut Out<'_>, &[u8]) -> io::Result<()>,
) -> Result<u64> {
    let mut count = 0;
    while let Some(record) = ring.next() {
        count += 1;
        print(out, &record).context("printing an event")?;
    }
    out.flush().context("writing to stdout")?;
    Ok(count)
}

/// A ring-buffer record as the `#[repr(C)]` event type of probes-common.
pub fn read_event<T: Pod>(record: &[u8]) -> io::Result<T> {
    if record.len() < size_of::<T>() {
        return Err(io::Error::other(format!(
            "a ring-buffer record of {} bytes does not hold a {}",
            record.len(),
            std::any::type_name::<T>()
        )));
    }
    // SAFETY: the record holds at least size_of::<T>() bytes, and a Pod type is valid for any
    // bytes; the read copes with any alignment.
    Ok(unsafe { ptr::read_unaligned(record.as_ptr().cast::<T>()) })
}

/// The bytes of a fixed-size C string field up to its first NUL.
pub fn c_str(field: &[u8]) -> &[u8] {
    field.split(|&b| b == 0).next().unwrap_or(field)
}

/// Prints the `events=N drops=M` summary, or the error as one line, and gives the exit code.
pub fn report(program: &str, result: Result<(u64, u64)>) -> ExitCode {
    let err = match result {
        Ok((events, drops)) => {
            eprintln!("events={events} drops={drops}");
            return ExitCode::SUCCESS;
        }
        Err(err) => err,
    };
    // Aya's errors often repeat their source in their own message: print each cause once.
    let mut line = String::new();
    for cause in err.chain().map(ToString::to_string) {
        if !line.ends_with(&cause) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&cause);
        }
    }
    let eperm = err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::PermissionDenied)
    });
    if eperm {
        line.push_str(" (needs root, or CAP_BPF and CAP_PERFMON)");
    }
    eprintln!("{program}: {line}");
    ExitCode::FAILURE
}
