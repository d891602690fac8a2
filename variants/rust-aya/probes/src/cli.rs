//! The command line of `hello` and `opensnoop`, the one every variant accepts (docs/programs.md).
//! rust-libbpf-rs and rust-aya carry this same part, parsed with lexopt. `xdp`'s and `flood`'s
//! command lines (`parse_xdp` and `parse_flood`, at the end) are read by hand, argument by
//! argument, to give the very messages of c-libbpf's xdp.c and flood.c, which read them with
//! getopt(3).
//!
//! Each option is an argument of its own and so is its value (`-d 1.5`, never `-d1.5` or
//! `-xd 1`). A bad command line is one line on stderr, `PROGRAM: why`, and exit code 2, before
//! anything is loaded; `-h` prints the usage on stdout and exits 0.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::process;
use std::time::Duration;

use lexopt::{Arg, Parser};

/// `pid_t` is a signed 32-bit integer and 0 is no process.
const PID_MAX: u64 = i32::MAX as u64;

/// `u32::MAX` is `(uid_t)-1`, which no user has: the BPF side uses it for "every user".
const UID_MAX: u64 = u32::MAX as u64 - 1;

#[derive(Clone, Copy)]
pub enum Program {
    Hello,
    Opensnoop,
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Self::Hello => "hello",
            Self::Opensnoop => "opensnoop",
        }
    }

    /// The option letters the program accepts.
    fn options(self) -> &'static str {
        match self {
            Self::Hello => "hBd",
            Self::Opensnoop => "hBpuxnd",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Self::Hello => {
                "usage: hello [-h] [-B] [-d SECONDS]
Prints one line per execve() until SIGINT or SIGTERM.
  -d SECONDS  stop after SECONDS (a positive number, decimals allowed)
  -h          print this help and exit
  -B          batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest
"
            }
            Self::Opensnoop => {
                "usage: opensnoop [-h] [-B] [-p PID] [-u UID] [-x] [-n NAME] [-d SECONDS]
Prints one line per open() and openat() until SIGINT or SIGTERM.
  -p PID      only the process PID
  -u UID      only the user UID
  -x          only the opens that failed
  -n NAME     only the commands whose name contains NAME
  -d SECONDS  stop after SECONDS (a positive number, decimals allowed)
  -h          print this help and exit
  -B          batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest
"
            }
        }
    }
}

/// What the command line asks for; `hello` only ever sets `duration` and `batched`.
#[derive(Default)]
pub struct Args {
    /// `None`: until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
    /// `-B`: batched wakeups (docs/programs.md, "Wakeups"); `false`: the kernel's wakeup per
    /// record.
    pub batched: bool,
    /// `None`: every process.
    pub pid: Option<u32>,
    /// `None`: every user.
    pub uid: Option<u32>,
    pub failed: bool,
    /// A substring of the command name (comm), as bytes: comm need not be UTF-8.
    pub name: Option<Vec<u8>>,
}

/// Parses the process's arguments for `program`. Exits with 0 after printing the usage for
/// `-h`, with 2 after one line on stderr for a bad command line.
pub fn parse(program: Program) -> Args {
    match parse_from(program, Parser::from_env()) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{}", program.usage());
            process::exit(0);
        }
        Err(why) => {
            eprintln!("{}: {why}", program.name());
            process::exit(2);
        }
    }
}

/// `Ok(None)` when `-h` asks for the usage.
fn parse_from(program: Program, mut parser: Parser) -> Result<Option<Args>, String> {
    let mut args = Args::default();
    loop {
        // lexopt takes `--` as the end of the options; the contract has no such thing.
        if parser
            .try_raw_args()
            .is_some_and(|raw| raw.peek() == Some(OsStr::new("--")))
        {
            return Err("unexpected argument: --".to_owned());
        }
        let Some(arg) = parser.next().map_err(|err| err.to_string())? else {
            return Ok(Some(args));
        };
        let letter = match arg {
            Arg::Short(letter) if program.options().contains(letter) => letter,
            Arg::Short(letter) => return Err(format!("unknown option: -{letter}")),
            Arg::Long(name) => return Err(format!("unknown option: --{name}")),
            Arg::Value(value) => {
                return Err(format!("unexpected argument: {}", value.to_string_lossy()));
            }
        };
        // lexopt would take `-xd` as two options and `-d1` or `-d=1` as an option and its value.
        if parser.optional_value().is_some() {
            return Err(format!(
                "-{letter}: each option and each value is an argument of its own"
            ));
        }
        match letter {
            'h' => return Ok(None),
            'B' => args.batched = true,
            'x' => args.failed = true,
            'd' => args.duration = Some(duration(&value(&mut parser, letter)?)?),
            'p' => args.pid = Some(id("PID", &value(&mut parser, letter)?, 1, PID_MAX)?),
            'u' => args.uid = Some(id("UID", &value(&mut parser, letter)?, 0, UID_MAX)?),
            'n' => args.name = Some(name(value(&mut parser, letter)?)?),
            _ => unreachable!("every letter of Program::options has an arm"),
        }
    }
}

/// The next argument, whatever it looks like: `-u -1` is a bad UID, not a missing one.
fn value(parser: &mut Parser, letter: char) -> Result<OsString, String> {
    parser
        .value()
        .map_err(|_| format!("option -{letter} needs a value"))
}

/// A positive decimal number of seconds: digits with at most one decimal point.
fn duration(text: &OsStr) -> Result<Duration, String> {
    let invalid = || format!("invalid duration: {}", text.to_string_lossy());
    let text = text.to_str().ok_or_else(invalid)?;
    let decimal = text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && text.contains(|c: char| c.is_ascii_digit());
    if !decimal {
        return Err(invalid());
    }
    let seconds: f64 = text.parse().map_err(|_| invalid())?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(invalid()),
    }
}

/// A process or user id: decimal digits only (no sign), within `min..=max`.
fn id(what: &str, text: &OsStr, min: u64, max: u64) -> Result<u32, String> {
    let invalid = || format!("invalid {what}: {}", text.to_string_lossy());
    let text = text.to_str().ok_or_else(invalid)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // Too many digits for a u64 is out of range as well.
    let id: u64 = text.parse().map_err(|_| invalid())?;
    if !(min..=max).contains(&id) {
        return Err(invalid());
    }
    u32::try_from(id).map_err(|_| invalid())
}

fn name(text: OsString) -> Result<Vec<u8>, String> {
    if text.is_empty() {
        return Err("invalid NAME: it must not be empty".to_owned());
    }
    Ok(text.into_vec())
}

// The end of the part every Rust variant shares (tests/unit/test_copies.py holds it equal).

/// What `xdp` is asked to do.
pub enum XdpCommand {
    /// `--test`: each built-in frame once, checked.
    Test,
    /// `--bench [N]`: each built-in frame `repeat` times.
    Bench { repeat: u32 },
    /// `--attach IFACE [-d SECONDS]`: count what `iface` receives.
    Attach {
        iface: OsString,
        duration: Option<Duration>,
    },
}

pub const XDP_USAGE: &str = "\
usage: xdp --test | --bench [N] | --attach IFACE [-d SECONDS] | -h
Packets and bytes per L4 protocol (tcp, udp, icmp, icmpv6, other IP, non-ip), counted at XDP.
  --test          run the program on built-in frames (BPF_PROG_TEST_RUN, nothing attached)
                  and check each verdict and the counters; exit 1 if a check fails
  --bench [N]     run each built-in frame N times (default 1000000):
                  FRAME, REPEAT, NS_PER_RUN as the kernel measured it
  --attach IFACE  count what IFACE receives until SIGINT or SIGTERM, then print
                  PROTO, PACKETS, BYTES and detach
  -d SECONDS      with --attach: stop after SECONDS (decimals allowed)
  -h              print this help and exit
";

/// `--bench` without N.
const XDP_REPEAT: u32 = 1_000_000;
/// `IF_NAMESIZE`, the terminating NUL included.
const IF_NAMESIZE: usize = 16;

/// Parses `xdp`'s arguments. Exits with 0 after printing the usage for `-h`, with 2 after one
/// line on stderr for a bad command line.
pub fn parse_xdp() -> XdpCommand {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match parse_xdp_from(&args) {
        Ok(Some(command)) => command,
        Ok(None) => {
            print!("{XDP_USAGE}");
            process::exit(0);
        }
        Err(why) => {
            eprintln!("xdp: {why}");
            process::exit(2);
        }
    }
}

/// xdp.c's main(): the mode word first, then its operand (`--bench`'s N unless it starts with
/// `-`, `--attach`'s interface), then options, each an argument of its own (`-h`, and `-d
/// SECONDS` with `--attach`). `Ok(None)` when `-h` asks for the usage.
fn parse_xdp_from(args: &[OsString]) -> Result<Option<XdpCommand>, String> {
    let text = |arg: &OsStr| arg.to_string_lossy().into_owned();
    let option_like = |arg: &OsString| arg.as_bytes().starts_with(b"-");
    let mut command = match args.first().map(|arg| arg.as_bytes()) {
        Some(b"--test") => Some(XdpCommand::Test),
        Some(b"--bench") => Some(XdpCommand::Bench { repeat: XDP_REPEAT }),
        Some(b"--attach") => Some(XdpCommand::Attach {
            iface: OsString::new(),
            duration: None,
        }),
        Some(mode) if mode.starts_with(b"--") => {
            return Err(format!("unknown mode: {}", text(&args[0])));
        }
        _ => None,
    };
    let mut next = usize::from(command.is_some());
    match &mut command {
        Some(XdpCommand::Bench { repeat }) => {
            if let Some(arg) = args.get(next).filter(|arg| !option_like(arg)) {
                *repeat = repeat_count(arg)?;
                next += 1;
            }
        }
        Some(XdpCommand::Attach { iface, .. }) => {
            let Some(arg) = args.get(next).filter(|arg| !option_like(arg)) else {
                return Err("missing interface after --attach".to_owned());
            };
            if arg.len() >= IF_NAMESIZE {
                return Err(format!("invalid interface name: {}", text(arg)));
            }
            iface.clone_from(arg);
            next += 1;
        }
        _ => {}
    }

    // getopt(3) with "+:h" (or "+:hd:" with --attach), then the checks of c-libbpf's
    // next_option(): no stray arguments, not even `--`, and no `-d1.5` nor `-hd 1`.
    let letters: &[u8] = match command {
        Some(XdpCommand::Attach { .. }) => b"hd",
        _ => b"h",
    };
    while let Some(arg) = args.get(next) {
        let bytes = arg.as_bytes();
        if bytes == b"--" || bytes.len() < 2 || bytes[0] != b'-' {
            return Err(format!("unexpected argument: {}", text(arg)));
        }
        if !letters.contains(&bytes[1]) {
            return Err(format!("unknown option: {}", text(arg)));
        }
        if bytes == b"-d" && next + 1 == args.len() {
            return Err(format!("missing value for {}", text(arg)));
        }
        if bytes.len() > 2 {
            return Err(format!(
                "options and values are separate arguments: {}",
                text(arg)
            ));
        }
        if bytes == b"-h" {
            return Ok(None);
        }
        if let Some(XdpCommand::Attach { duration: d, .. }) = &mut command {
            *d = Some(duration(&args[next + 1])?);
        }
        next += 2;
    }
    command
        .map(Some)
        .ok_or_else(|| "missing mode: --test, --bench [N] or --attach IFACE".to_owned())
}

/// `--bench`'s N: decimal digits only, 1 to 2^31 - 1.
fn repeat_count(text: &OsStr) -> Result<u32, String> {
    let invalid = || format!("invalid repeat count: {}", text.to_string_lossy());
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let repeat: u64 = text
        .to_str()
        .ok_or_else(invalid)?
        .parse()
        .map_err(|_| invalid())?;
    if !(1..=i32::MAX as u64).contains(&repeat) {
        return Err(invalid());
    }
    u32::try_from(repeat).map_err(|_| invalid())
}

// ------------------------------------------------------------------------------------------
// flood: `flood [-h] [-f] [-d SECONDS]`, with c-libbpf's usage and messages.

const FLOOD_USAGE: &str = "\
usage: flood [-h] [-f] [-d SECONDS]
Loads flood_small and flood_large (not attached) and reads the records they write when
test-run: SEQ, TS_NS, BYTES.
  -h          print this help and exit
  -f          print every record as a line (default: count them only)
  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM
";

/// What `flood`'s command line asks for.
#[derive(Default)]
pub struct FloodArgs {
    /// `-f`: print every record as a line; without, only count them.
    pub format: bool,
    /// `None`: until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
}

/// Parses `flood`'s arguments. Exits with 0 after printing the usage for `-h`, with 2 after one
/// line on stderr for a bad command line (quoting the argument byte for byte, as getopt's
/// caller in c-libbpf does).
pub fn parse_flood() -> FloodArgs {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match parse_flood_from(&args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{FLOOD_USAGE}");
            process::exit(0);
        }
        Err(why) => {
            let mut line = b"flood: ".to_vec();
            line.extend_from_slice(&why);
            line.push(b'\n');
            let _ = std::io::Write::write_all(&mut std::io::stderr(), &line);
            process::exit(2);
        }
    }
}

/// getopt(3) with "+:hfd:", then the checks of c-libbpf's next_option(): no stray arguments,
/// not even `--`, and no `-d1.5` nor `-fd 1`. `Ok(None)` when `-h` asks for the usage.
fn parse_flood_from(args: &[OsString]) -> Result<Option<FloodArgs>, Vec<u8>> {
    let quote = |what: &str, arg: &OsStr| [what.as_bytes(), arg.as_bytes()].concat();
    let mut flood = FloodArgs::default();
    let mut next = 0;
    while let Some(arg) = args.get(next) {
        let bytes = arg.as_bytes();
        if bytes == b"--" || bytes.len() < 2 || bytes[0] != b'-' {
            return Err(quote("unexpected argument: ", arg));
        }
        if !b"hfd".contains(&bytes[1]) {
            return Err(quote("unknown option: ", arg));
        }
        if bytes == b"-d" && next + 1 == args.len() {
            return Err(quote("missing value for ", arg));
        }
        if bytes.len() > 2 {
            return Err(quote("options and values are separate arguments: ", arg));
        }
        match bytes[1] {
            b'h' => return Ok(None),
            b'f' => flood.format = true,
            _ => {
                // The next argument, whatever it looks like: `-d -1` is a bad duration.
                next += 1;
                flood.duration = flood_seconds(&args[next])
                    .ok_or_else(|| quote("invalid duration: ", &args[next]))?;
            }
        }
        next += 1;
    }
    Ok(Some(flood))
}

/// c-libbpf's `parse_seconds`: digits with at most one decimal point, above zero, as the
/// deadline (`Some(None)`, no deadline, for a number too large for a `Duration`; a number too
/// small for a nanosecond is a deadline already past, both valid there too).
fn flood_seconds(text: &OsStr) -> Option<Option<Duration>> {
    let text = text.to_str()?;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || text == "." || text.is_empty() {
        return None;
    }
    let seconds: f64 = text.parse().ok()?;
    (seconds > 0.0).then(|| Duration::try_from_secs_f64(seconds).ok())
}
