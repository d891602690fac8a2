//! What hello and opensnoop share: the command line, load and attach, the ring-buffer loop, and
//! the exit summary.

use std::{
    ffi::OsString,
    io::{self, BufWriter, StdoutLock, Write as _},
    mem,
    os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd},
    ptr,
    time::{Duration, Instant},
};

use anyhow::{Context as _, anyhow, bail};
use aya::{
    Ebpf, EbpfLoader,
    maps::{Array, MapData, RingBuf},
    programs::TracePoint,
};

pub type Out<'a> = BufWriter<StdoutLock<'a>>;

/// The bytes of a fixed-size C string up to its first NUL.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// Reads a `#[repr(C)]` event from a ring-buffer record.
pub fn read_event<T: Copy>(record: &[u8]) -> anyhow::Result<T> {
    if record.len() < size_of::<T>() {
        bail!(
            "ring-buffer record of {} bytes, expected {}",
            record.len(),
            size_of::<T>()
        );
    }
    // SAFETY: the record holds at least size_of::<T>() bytes; T is a plain #[repr(C)] struct
    // of integers and byte arrays, valid for any bit pattern.
    Ok(unsafe { ptr::read_unaligned(record.as_ptr().cast::<T>()) })
}

/// A bad command line: reported like any error, but with exit status 2.
#[derive(Debug)]
pub struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

macro_rules! usage {
    ($($arg:tt)*) => { anyhow::Error::new(Usage(format!($($arg)*))) };
}

/// Command-line arguments, getopt style: `-p 1` or `-p1`; `-h` prints usage.
pub struct Args {
    tool: &'static str,
    usage: &'static str,
    args: std::vec::IntoIter<OsString>,
}

impl Args {
    pub fn new(tool: &'static str, usage: &'static str) -> Self {
        let args: Vec<_> = std::env::args_os().skip(1).collect();
        Self {
            tool,
            usage,
            args: args.into_iter(),
        }
    }

    /// The next option letter and, when `takes_value(letter)`, its value.
    pub fn next(
        &mut self,
        takes_value: impl Fn(char) -> bool,
    ) -> anyhow::Result<Option<(char, String)>> {
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        let arg = arg
            .into_string()
            .map_err(|a| usage!("invalid argument {a:?}; {}", self.usage))?;
        let mut chars = arg.chars();
        let (Some('-'), Some(opt)) = (chars.next(), chars.next()) else {
            return Err(usage!("unexpected argument '{arg}'; {}", self.usage));
        };
        if opt == 'h' {
            println!("{}", self.usage);
            std::process::exit(0);
        }
        let rest = chars.as_str();
        if !takes_value(opt) {
            if !rest.is_empty() {
                return Err(usage!("unknown option '{arg}'; {}", self.usage));
            }
            return Ok(Some((opt, String::new())));
        }
        let value = if rest.is_empty() {
            let value = self
                .args
                .next()
                .ok_or_else(|| usage!("-{opt} needs a value; {}", self.usage))?;
            value
                .into_string()
                .map_err(|v| usage!("-{opt}: invalid value {v:?}"))?
        } else {
            rest.to_owned()
        };
        Ok(Some((opt, value)))
    }

    pub fn unknown(&self, opt: char) -> anyhow::Error {
        usage!("unknown option -{opt}; {}", self.usage)
    }

    pub fn tool(&self) -> &'static str {
        self.tool
    }
}

pub fn parse_value<T: std::str::FromStr>(opt: char, value: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|_| usage!("-{opt}: invalid value '{value}'"))
}

pub fn parse_seconds(value: &str) -> anyhow::Result<Duration> {
    let seconds: f64 = parse_value('d', value)?;
    Duration::try_from_secs_f64(seconds).map_err(|_| usage!("-d: invalid value '{value}'"))
}

/// SIGINT and SIGTERM, blocked and read from a signalfd so that poll(2) on the ring buffer
/// wakes for them; blocked from the start so that one arriving during load is not lost.
pub struct Signals(OwnedFd);

impl Signals {
    pub fn block() -> anyhow::Result<Self> {
        // SAFETY: plain libc calls on a zeroed sigset_t we own; no threads exist yet.
        unsafe {
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
            Ok(Self(OwnedFd::from_raw_fd(fd)))
        }
    }
}

/// Loads `object` through `loader` (its globals already set), then loads and attaches each
/// `(program, tracepoint)` of the syscalls category.
pub fn load(
    loader: &mut EbpfLoader<'_>,
    object: &[u8],
    programs: &[(&str, &str)],
) -> anyhow::Result<Ebpf> {
    let mut ebpf = loader.load(object).context("load BPF object")?;
    for &(name, tracepoint) in programs {
        let program: &mut TracePoint = ebpf
            .program_mut(name)
            .ok_or_else(|| anyhow!("no program {name} in the BPF object"))?
            .try_into()?;
        program
            .load()
            .with_context(|| format!("load program {name}"))?;
        program
            .attach("syscalls", tracepoint)
            .with_context(|| format!("attach {name} to tracepoint syscalls/{tracepoint}"))?;
    }
    Ok(ebpf)
}

/// Runs the attached programs until SIGINT, SIGTERM or `duration`: prints `header`, then hands
/// every ring-buffer record to `print`, flushing stdout after each batch. At the end detaches
/// everything and prints `events=N drops=M` on stderr.
pub fn run(
    mut ebpf: Ebpf,
    signals: Signals,
    duration: Option<Duration>,
    header: &str,
    mut print: impl FnMut(&[u8], &mut Out<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let events = ebpf
        .take_map("events")
        .ok_or_else(|| anyhow!("no map events in the BPF object"))?;
    let mut ring = RingBuf::try_from(events)?;
    let bss = ebpf
        .take_map(".bss")
        .ok_or_else(|| anyhow!("no .bss (drops) in the BPF object"))?;
    let bss: Array<MapData, u64> = Array::try_from(bss)?;

    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    writeln!(out, "{header}")?;
    out.flush()?;

    let deadline = duration.map(|d| Instant::now() + d);
    let mut fds = [
        libc::pollfd {
            fd: ring.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: signals.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let mut count = 0u64;
    loop {
        let timeout = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                i32::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
            }
            None => -1,
        };
        // SAFETY: fds is a live array of two pollfd.
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) } < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err).context("poll");
            }
        }
        count += drain(&mut ring, &mut out, &mut print)?;
        if fds[1].revents != 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }

    // Dropping the Ebpf detaches and unloads the programs; the maps taken above stay open for
    // the last records and the final drops count.
    drop(ebpf);
    count += drain(&mut ring, &mut out, &mut print)?;
    let drops = bss.get(&0, 0).context("read drops")?;
    eprintln!("events={count} drops={drops}");
    Ok(())
}

fn drain(
    ring: &mut RingBuf<aya::maps::MapData>,
    out: &mut Out<'_>,
    print: &mut impl FnMut(&[u8], &mut Out<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut count = 0;
    while let Some(record) = ring.next() {
        count += 1;
        print(&record, out)?;
    }
    out.flush().context("write stdout")?;
    Ok(count)
}

/// Exits 0 on success, else prints the error as one line on stderr and exits 1 (2 for a bad
/// command line).
pub fn exit(tool: &str, result: anyhow::Result<()>) -> ! {
    let Err(err) = result else {
        std::process::exit(0)
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
    eprintln!("{tool}: {line}");
    std::process::exit(if err.is::<Usage>() { 2 } else { 1 })
}
