//! The command line of `hello` and `opensnoop`, the one every variant accepts (docs/programs.md).
//! rust-libbpf-rs and rust-aya carry this same file, parsed with lexopt; `xdp`'s and `flood`'s,
//! at the end, are this variant's own.
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

// ----------------------------------------------------------------------------------------------
// xdp: `xdp --test | --bench [N] | --attach IFACE [-d SECONDS] | -h`, the mode word first, then
// its operand, then options, with the messages of c-libbpf's xdp (docs/programs.md, "xdp").

const XDP_USAGE: &str = "usage: xdp --test | --bench [N] | --attach IFACE [-d SECONDS] | -h
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
const XDP_DEFAULT_REPEAT: u32 = 1_000_000;

/// The kernel's test-run repeat count is a C `int` in libbpf's options.
const XDP_REPEAT_MAX: u64 = i32::MAX as u64;

/// `IF_NAMESIZE`, the terminating NUL included.
const IF_NAMESIZE: usize = 16;

/// What `xdp`'s command line asks for.
pub enum XdpMode {
    Test,
    Bench {
        repeat: u32,
    },
    /// `duration` `None`: until SIGINT or SIGTERM.
    Attach {
        iface: OsString,
        duration: Option<Duration>,
    },
}

/// Parses the process's arguments for `xdp`. Exits with 0 after printing the usage for `-h`,
/// with 2 after one line on stderr for a bad command line; the line quotes the argument as it
/// was given, bytes and all.
pub fn parse_xdp() -> XdpMode {
    match parse_xdp_from(std::env::args_os().skip(1)) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            print!("{XDP_USAGE}");
            process::exit(0);
        }
        Err(why) => {
            let mut line = b"xdp: ".to_vec();
            line.extend_from_slice(why.as_bytes());
            line.push(b'\n');
            let _ = std::io::Write::write_all(&mut std::io::stderr(), &line);
            process::exit(2);
        }
    }
}

/// `what` followed by the argument, as the error line shows it.
fn quoting(what: &str, arg: &OsStr) -> OsString {
    let mut why = OsString::from(what);
    why.push(arg);
    why
}

/// `Ok(None)` when `-h` asks for the usage.
fn parse_xdp_from(args: impl Iterator<Item = OsString>) -> Result<Option<XdpMode>, OsString> {
    let mut args = args.peekable();
    // The mode word, only as the first argument; anything else there is left to the options.
    let word = args.peek().map(|arg| arg.as_bytes().to_vec());
    let mode = match word.as_deref() {
        Some(b"--test") => Some(XdpMode::Test),
        Some(b"--bench") => Some(XdpMode::Bench {
            repeat: XDP_DEFAULT_REPEAT,
        }),
        Some(b"--attach") => Some(XdpMode::Attach {
            iface: OsString::new(),
            duration: None,
        }),
        Some(w) if w.starts_with(b"--") => {
            return Err(quoting("unknown mode: ", args.peek().expect("peeked")));
        }
        _ => None,
    };
    if mode.is_some() {
        args.next();
    }
    // An operand is the next argument unless it looks like an option ("" is an operand).
    let operand = |arg: Option<&OsString>| arg.is_some_and(|a| !a.as_bytes().starts_with(b"-"));
    let mut mode = mode;
    match &mut mode {
        Some(XdpMode::Bench { repeat }) if operand(args.peek()) => {
            *repeat = repeat_count(&args.next().expect("peeked"))?;
        }
        Some(XdpMode::Attach { iface, .. }) => {
            if !operand(args.peek()) {
                return Err(OsString::from("missing interface after --attach"));
            }
            *iface = args.next().expect("peeked");
            if iface.len() >= IF_NAMESIZE {
                return Err(quoting("invalid interface name: ", iface));
            }
        }
        _ => {}
    }

    let letters = if matches!(mode, Some(XdpMode::Attach { .. })) {
        "hd"
    } else {
        "h"
    };
    let mut parser = Parser::from_args(args);
    loop {
        // The whole argument, for the messages: lexopt hands out `-zh` one letter at a time.
        let raw = parser
            .try_raw_args()
            .and_then(|raw| raw.peek().map(OsStr::to_owned));
        // lexopt takes `--` as the end of the options; the contract has no such thing.
        if raw.as_deref() == Some(OsStr::new("--")) {
            return Err(OsString::from("unexpected argument: --"));
        }
        let arg = match parser.next() {
            Ok(None) => break,
            Ok(Some(arg)) => arg,
            Err(err) => return Err(OsString::from(err.to_string())),
        };
        let raw = raw.unwrap_or_default();
        let letter = match arg {
            Arg::Short(letter) if letters.contains(letter) => letter,
            Arg::Short(_) | Arg::Long(_) => return Err(quoting("unknown option: ", &raw)),
            Arg::Value(value) => return Err(quoting("unexpected argument: ", &value)),
        };
        // lexopt would take `-hd` as two options and `-d1` as an option and its value.
        if raw.as_bytes() != [b'-', letter as u8] {
            return Err(quoting("options and values are separate arguments: ", &raw));
        }
        match letter {
            'h' => return Ok(None),
            'd' => {
                // The next argument, whatever it looks like: `-d -1` is a bad duration.
                let text = parser
                    .value()
                    .map_err(|_| OsString::from("missing value for -d"))?;
                let seconds = duration(&text).map_err(|_| quoting("invalid duration: ", &text))?;
                if let Some(XdpMode::Attach { duration, .. }) = &mut mode {
                    *duration = Some(seconds);
                }
            }
            _ => unreachable!("every letter of `letters` has an arm"),
        }
    }
    mode.map(Some)
        .ok_or_else(|| OsString::from("missing mode: --test, --bench [N] or --attach IFACE"))
}

/// A repeat count: decimal digits only, at most ten of them, within `1..=i32::MAX`.
fn repeat_count(text: &OsStr) -> Result<u32, OsString> {
    let digits = text.as_bytes();
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(quoting("invalid repeat count: ", text));
    }
    let count: u64 = text.to_str().and_then(|t| t.parse().ok()).unwrap_or(0);
    match u32::try_from(count) {
        Ok(count) if (1..=XDP_REPEAT_MAX).contains(&u64::from(count)) => Ok(count),
        _ => Err(quoting("invalid repeat count: ", text)),
    }
}

// ----------------------------------------------------------------------------------------------
// flood: `flood [-h] [-f] [-d SECONDS]`, with the messages of c-libbpf's flood (its getopt
// rules: docs/programs.md, "flood").

const FLOOD_USAGE: &str = "usage: flood [-h] [-f] [-d SECONDS]
Loads flood_small and flood_large (not attached) and reads the records they write when
test-run: SEQ, TS_NS, BYTES.
  -h          print this help and exit
  -f          print every record as a line (default: count them only)
  -d SECONDS  stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM
";

/// What `flood`'s command line asks for.
#[derive(Default)]
pub struct FloodArgs {
    /// `-f`: print every record; without, only count them.
    pub format: bool,
    /// `None`: until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
}

/// Parses the process's arguments for `flood`. Exits with 0 after printing the usage for `-h`,
/// with 2 after one line on stderr for a bad command line, quoting the argument as given.
pub fn parse_flood() -> FloodArgs {
    match parse_flood_from(std::env::args_os().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{FLOOD_USAGE}");
            process::exit(0);
        }
        Err(why) => {
            let mut line = b"flood: ".to_vec();
            line.extend_from_slice(why.as_bytes());
            line.push(b'\n');
            let _ = std::io::Write::write_all(&mut std::io::stderr(), &line);
            process::exit(2);
        }
    }
}

/// `Ok(None)` when `-h` asks for the usage.
fn parse_flood_from(args: impl Iterator<Item = OsString>) -> Result<Option<FloodArgs>, OsString> {
    let mut flood = FloodArgs::default();
    let mut parser = Parser::from_args(args);
    loop {
        // The whole argument, for the messages: lexopt hands out `-zh` one letter at a time.
        let raw = parser
            .try_raw_args()
            .and_then(|raw| raw.peek().map(OsStr::to_owned));
        // lexopt takes `--` as the end of the options; the contract has no such thing.
        if raw.as_deref() == Some(OsStr::new("--")) {
            return Err(OsString::from("unexpected argument: --"));
        }
        let arg = match parser.next() {
            Ok(None) => return Ok(Some(flood)),
            Ok(Some(arg)) => arg,
            Err(err) => return Err(OsString::from(err.to_string())),
        };
        let raw = raw.unwrap_or_default();
        let letter = match arg {
            Arg::Short(letter) if "hfd".contains(letter) => letter,
            Arg::Short(_) | Arg::Long(_) => return Err(quoting("unknown option: ", &raw)),
            Arg::Value(value) => return Err(quoting("unexpected argument: ", &value)),
        };
        // lexopt would take `-fd` as two options and `-d1` as an option and its value.
        if raw.as_bytes() != [b'-', letter as u8] {
            return Err(quoting("options and values are separate arguments: ", &raw));
        }
        match letter {
            'h' => return Ok(None),
            'f' => flood.format = true,
            'd' => {
                // The next argument, whatever it looks like: `-d -1` is a bad duration.
                let text = parser
                    .value()
                    .map_err(|_| OsString::from("missing value for -d"))?;
                flood.duration = flood_seconds(&text)?;
            }
            _ => unreachable!("every letter of \"hfd\" has an arm"),
        }
    }
}

/// c-libbpf's `parse_seconds`: digits with at most one decimal point, above zero. A number of
/// seconds too small for a nanosecond is a deadline already past, one too large for a
/// `Duration` no deadline at all: both are valid, as they are there.
fn flood_seconds(text: &OsStr) -> Result<Option<Duration>, OsString> {
    let invalid = || quoting("invalid duration: ", text);
    let text_str = text.to_str().ok_or_else(invalid)?;
    let decimal = text_str.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text_str.matches('.').count() <= 1;
    let seconds: f64 = match text_str.parse() {
        Ok(seconds) if decimal && seconds > 0.0 => seconds,
        _ => return Err(invalid()),
    };
    Ok(Duration::try_from_secs_f64(seconds).ok())
}
