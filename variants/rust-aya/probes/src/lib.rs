//! What `hello` and `opensnoop` share: the command line, the stop conditions, loading and
//! attaching, decoding and streaming the events, and the exit report. Each binary keeps its own
//! object and output format. `xdp` uses the command line and the stop conditions, and `netlink`;
//! `flood` the command line, the stop conditions, its own event loop (`read_until_stopped`),
//! `drain` and the error line.

pub mod cli;
pub mod netlink;

use std::{
    io::{self, BufWriter, StdoutLock, Write as _},
    mem,
    os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd, RawFd},
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
use probes_common::{WAKEUP_BATCH_BYTES, WAKEUP_WAIT_MS};

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

    /// `timeout_ms`, at most `tick_ms`.
    fn timeout_ms_within(&self, tick_ms: i32) -> i32 {
        match self.timeout_ms() {
            t if t < 0 || t > tick_ms => tick_ms,
            t => t,
        }
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

/// The `wakeup_bytes` global of hello and opensnoop for `-B` (docs/programs.md, "Wakeups"):
/// `loader` is told to set it to WAKEUP_BATCH_BYTES before the load, so that the programs wake
/// the reader only when the backlog crosses a quarter of the ring. Without `-B` the object's 0
/// stays: flags 0, the kernel's wakeup per record.
pub fn batch_wakeups(loader: &mut EbpfLoader<'_>, batched: bool) {
    if batched {
        loader.override_global("wakeup_bytes", &WAKEUP_BATCH_BYTES, true);
    }
}

/// How long [`stream_events`] waits for a wakeup at most: with `-B`, WAKEUP_WAIT_MS, after which
/// it takes what the ring holds, signalled or not; without, until a wakeup (or the deadline).
pub fn wakeup_wait_ms(batched: bool) -> Option<i32> {
    batched.then_some(WAKEUP_WAIT_MS)
}

/// Prints `header` (the ready signal), then hands every ring-buffer record to `print` until
/// `stop`, flushing stdout after each batch. It waits in poll(2) for a wakeup, at most
/// `wait_ms` if given (`-B`: records come without wakeups until a quarter of the ring waits),
/// and after every return takes whatever the ring holds. On stop it detaches and unloads the
/// programs, drains what was already submitted, and returns the number of records read and the
/// drops counter.
pub fn stream_events(
    mut ebpf: Ebpf,
    header: &str,
    stop: &Stop,
    wait_ms: Option<i32>,
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
                wait_ms.map_or_else(|| stop.timeout_ms(), |ms| stop.timeout_ms_within(ms)),
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

/// Stdout for [`read_until_stopped`] and [`drain`]: one 64 KiB buffer, flushed after each batch.
pub fn stdout_buffer() -> Out<'static> {
    BufWriter::with_capacity(STDOUT_BUFFER, io::stdout().lock())
}

/// flood's event loop: prints `header` (the ready signal), then hands every record waiting to
/// `print` ([`drain`]: `RingBuf::next` until it gives none) and waits in epoll_wait(2) on the
/// ring buffer's fd and the signalfd, at most `tick_ms` (records below a quarter of the ring come
/// without a wakeup) or until the deadline; until SIGINT, SIGTERM or the deadline of `stop`.
/// Returns the number of records read; what is submitted after the last look is the caller's
/// to [`drain`].
///
/// epoll, not the poll(2) of [`stream_events`]: poll(2) adds itself to the ring's wait queue and
/// removes itself again at every call, two writes under the queue's lock, which shares a cache
/// line with the ring's `mask` (struct bpf_ringbuf), read by every reservation of the producer.
/// With a reader close behind the kernel's producer, poll(2) cost it 77-111 ns per 16-byte
/// record in A/B runs here, 64-91 with epoll, whose instance is on the wait queue once, from
/// `epoll_ctl` on.
pub fn read_until_stopped(
    ring: &mut RingBuf<MapData>,
    out: &mut Out<'_>,
    header: &str,
    stop: &Stop,
    tick_ms: i32,
    print: &mut impl FnMut(&mut Out<'_>, &[u8]) -> io::Result<()>,
) -> Result<u64> {
    const SIGNALS: u64 = 1;
    // SAFETY: a plain libc call; the fd is ours to own.
    let epoll = unsafe {
        let fd = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error()).context("epoll_create1");
        }
        OwnedFd::from_raw_fd(fd)
    };
    let watch = |fd: RawFd, tag: u64| {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: tag,
        };
        // SAFETY: both fds are live, `event` a live epoll_event.
        if unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
            return Err(io::Error::last_os_error()).context("epoll_ctl");
        }
        Ok(())
    };
    watch(ring.as_raw_fd(), 0)?;
    watch(stop.signals.as_raw_fd(), SIGNALS)?;

    writeln!(out, "{header}").context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 2];
    let mut count = 0u64;
    let mut signalled = false;
    loop {
        count += drain(ring, out, print)?;
        if signalled || stop.deadline_passed() {
            return Ok(count);
        }
        // SAFETY: `events` is a live array of two epoll_event.
        let ready = unsafe {
            libc::epoll_wait(
                epoll.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as i32,
                stop.timeout_ms_within(tick_ms),
            )
        };
        if ready < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err).context("polling the ring buffer");
            }
        }
        let ready = events
            .get(..usize::try_from(ready).unwrap_or(0))
            .unwrap_or_default();
        signalled = ready.iter().any(|event| {
            let tag = event.u64; // a copy: epoll_event is packed
            tag == SIGNALS
        });
    }
}

/// Prints every record waiting in the ring buffer, then flushes; returns how many there were.
pub fn drain(
    ring: &mut RingBuf<MapData>,
    out: &mut Out<'_>,
    print: &mut impl FnMut(&mut Out<'_>, &[u8]) -> io::Result<()>,
) -> Result<u64> {
    let mut count = 0;
    // `ref`: the record is read where `next` wrote it. Bound by value, the item was copied with
    // one 16-byte load over next's two 8-byte stores, a load the CPU cannot forward from its
    // store buffer: it waited there for the previous record's consumer-position store, itself
    // waiting for the cache line the kernel's producer reads at every reservation. In flood that
    // stall was most of the reader's time per record, and slowed the producer too.
    while let Some(ref record) = ring.next() {
        count += 1;
        print(out, record).context("printing an event")?;
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
    report_error(program, &err)
}

/// Prints `err` as the one line `PROGRAM: why` on stderr and gives the exit code, 1.
pub fn report_error(program: &str, err: &anyhow::Error) -> ExitCode {
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
