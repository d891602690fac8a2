# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What hello, opensnoop and flood share: the command line of docs/programs.md, signals and -d,
the BCC set-up with libbcc's messages kept off stderr, the ring-buffer loop with batched output,
the summary line and the one-line errors.

Nothing here imports bcc: the programs import it once their command line is parsed, so -h and
usage errors neither load libbcc nor compile anything.
"""
import argparse
import contextlib
import ctypes as ct
import math
import os
import re
import signal
import sys
import time
from pathlib import Path

# The repository root, from this file's own place (variants/bcc-python/common.py), so the tools
# run from any directory.
REPO_ROOT = Path(__file__).resolve().parents[2]
BPF_SRC = REPO_ROOT / "bpf"

# bpf/events.h
TASK_COMM_LEN = 16
HELLO_MSG_LEN = 12
FNAME_LEN = 256

CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF = 21, 38, 39  # linux/capability.h

POLL_MS = 100  # the ring-buffer poll timeout: how soon SIGINT, SIGTERM and -d are seen

# -B, batched wakeups (docs/programs.md, "Wakeups"; bpf/events.h): the backlog that wakes the
# reader (WAKEUP_BYTES of the compile) and the longest the reader waits before it takes what the
# ring holds anyway.
WAKEUP_BATCH_BYTES = 256 * 1024 // 4
WAKEUP_WAIT_MS = 50
BATCHED_HELP = "batched wakeups: woken once 64 KiB wait, reads every 50 ms at the latest"


# ---------------------------------------------------------------------------- command line

class _Formatter(argparse.HelpFormatter):
    """argparse's help, but -B's line is never wrapped: the contract gives it whole, whatever
    the terminal's width."""

    def _split_lines(self, text, width):
        return [text] if text == BATCHED_HELP else super()._split_lines(text, width)


class Parser(argparse.ArgumentParser):
    """argparse held to the contract's command line: one letter per option, each option and
    each value an argument of its own, -h on stdout with exit 0, every mistake one line
    `prog: why` on stderr with exit 2.

    argparse alone is more lenient: it takes `-d1.5`, `-xd 1`, `-d=1.5`, `--`, and its
    errors are two lines (usage, then the message). Each argument is checked against the
    options defined here before argparse sees them; argparse then pairs options with values,
    converts the values (the type functions below) and writes the usage.
    """

    def __init__(self, prog, description, usage=None):
        """usage: the exact text of c-libbpf's -h for this program (flood's is held to it byte
        for byte). Given, the command line is c-libbpf's (getopt's) in what it says too: -h
        prints that text as it is; the mistakes are worded as c-libbpf's (`invalid duration: 0`,
        not argparse's `argument -d: invalid duration: 0`; `missing value for -d`, not
        `argument -d: expected one argument`); a value is the next argument even when it
        starts with '-' (`-d -f`: invalid duration: -f); and the arguments are taken in order,
        so the first of -h and the mistakes is the one that counts (`-h -z` prints the usage,
        `-d x -z` says invalid duration). hello and opensnoop pass none and keep argparse's
        help and wording."""
        super().__init__(prog=prog, description=description, add_help=False, allow_abbrev=False,
                         formatter_class=_Formatter)
        self.usage_text = usage
        self.add_argument("-h", action="help", help="print this help and exit")

    def format_help(self):
        return self.usage_text if self.usage_text is not None else super().format_help()

    def error(self, message):
        if self.usage_text is not None:
            message = re.sub(r"^argument -\w: ", "", message)
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)

    def parse_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        options = {s: a for a in self._actions for s in a.option_strings}
        given = []  # what argparse is given: args, or with usage each option's value joined, -d=VALUE
        exact = self.usage_text is not None

        def refuse(message):
            if exact:
                # What comes before it first, as getopt would: -h, or a value refused.
                super(Parser, self).parse_args(given)
            self.error(message)

        i = 0
        while i < len(args):
            arg = args[i]
            action = options.get(arg)
            if action is not None:
                # A value is the next argument, whatever it looks like; if there is none,
                # argparse says so (or, with usage, this does, in c-libbpf's words).
                if action.nargs == 0:
                    given.append(arg)
                elif not exact:
                    given += args[i:i + 2]
                elif i + 1 == len(args):
                    refuse(f"missing value for {arg}")
                else:
                    given.append(f"{arg}={args[i + 1]}")
                i += 1 if action.nargs == 0 else 2
            elif arg[:2] in options:
                refuse(f"options and values are separate arguments: {arg}")
            elif arg.startswith("-") and arg not in ("-", "--"):
                refuse(f"unknown option: {arg}")
            else:
                refuse(f"unexpected argument: {arg}")
        return super().parse_args(given, namespace)

    def add_batched(self):
        """-B, batched wakeups (hello and opensnoop; after -h in the usage)."""
        self.add_argument("-B", action="store_true", help=BATCHED_HELP)

    def add_duration(self):
        self.add_argument("-d", metavar="SECONDS", type=seconds,
                          help="stop after SECONDS (decimals allowed); default: until SIGINT or SIGTERM")


def seconds(arg):
    """-d: a positive decimal number, digits with an optional fraction (float() alone would
    also take 1e3, inf, nan, ' 1', '1_0')."""
    if not re.fullmatch(r"[0-9]+\.?[0-9]*|\.[0-9]+", arg) or not 0 < float(arg) < math.inf:
        raise argparse.ArgumentTypeError(f"invalid duration: {arg}")
    return float(arg)


def _digits(arg, what, low, high):
    # int() alone would also take '+5', ' 5', '1_0' and other scripts' digits.
    if not re.fullmatch(r"[0-9]+", arg) or not low <= int(arg) <= high:
        raise argparse.ArgumentTypeError(f"invalid {what}: {arg}")
    return int(arg)


def pid(arg):
    """-p: a process id, 1..2^31-1 (pid_t is a signed 32-bit integer)."""
    return _digits(arg, "PID", 1, 2**31 - 1)


def uid(arg):
    """-u: a user id, 0..2^32-2; (uid_t)-1 is "no uid", which the BPF side takes as every user."""
    return _digits(arg, "UID", 0, 2**32 - 2)


def name(arg):
    """-n: a non-empty part of the command name, as bytes (comm need not be UTF-8)."""
    if not arg:
        raise argparse.ArgumentTypeError("invalid name: (empty)")
    return os.fsencode(arg)


# ---------------------------------------------------------------------------- the run

class Tool:
    """One run of a tool: its name for messages, the stop flag, the count of events and the
    lines of the current batch."""

    def __init__(self, prog):
        self.prog = prog
        self.exiting = False
        self.events = 0
        self.out = []  # the lines of one batch, bytes, written together after the poll
        # stdout as bytes (comm and paths need not be UTF-8), buffered whatever
        # PYTHONUNBUFFERED says: a buffered writer finishes a write a signal cut short.
        self.stdout = open(sys.stdout.fileno(), "wb", buffering=1 << 16, closefd=False)
        # Set before anything is loaded, so a signal during the compile still ends cleanly.
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        # Python ignores SIGPIPE; a closed stdout then ends the tool as it ends a C one.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    def require_privileges(self):
        """Fails early, with the cause, where loading cannot work: without CAP_SYS_ADMIN, or
        CAP_BPF and CAP_PERFMON, libbcc would spend its compile and then fail on whatever it
        meets first (a map it may not create, a tracepoint format it may not read)."""
        with open("/proc/self/status") as f:
            caps = next(int(ln.split()[1], 16) for ln in f if ln.startswith("CapEff:"))
        if not (caps >> CAP_SYS_ADMIN & 1 or caps >> CAP_BPF & 1 and caps >> CAP_PERFMON & 1):
            sys.stderr.write(f"{self.prog}: loading BPF programs needs root, or CAP_BPF and CAP_PERFMON\n")
            sys.exit(1)

    def _stop(self, signum, frame):
        self.exiting = True

    def fail(self, step, detail):
        """A runtime failure: one line naming the cause, exit 1."""
        hint = ""
        if os.geteuid() != 0 and re.search(r"not permitted|permission denied|super-user", detail, re.I):
            hint = " (need root or CAP_BPF and CAP_PERFMON)"
        sys.stderr.write(f"{self.prog}: {step} failed: {detail}{hint}\n")
        sys.exit(1)

    @contextlib.contextmanager
    def step(self, what):
        """Runs one set-up step (compile, load, attach) with fd 2 pointed at a memfd: libbcc
        writes its diagnostics (clang's errors, the verifier's log, "could not open bpf map")
        straight to fd 2, and stderr carries one line at most. If the step raises, the first
        line of those diagnostics naming an error joins BCC's exception in the one error line.
        BCC_VERBOSE=1 lets them through."""
        if os.environ.get("BCC_VERBOSE"):
            try:
                yield
            except Exception as e:
                self.fail(what, str(e))
            return
        sys.stderr.flush()
        saved = os.dup(2)
        capture = os.memfd_create("libbcc-stderr")
        os.dup2(capture, 2)
        try:
            yield
        except Exception as e:
            os.dup2(saved, 2)
            os.lseek(capture, 0, os.SEEK_SET)
            text = os.read(capture, 1 << 20).decode(errors="replace")
            said = [ln.strip() for ln in text.splitlines()
                    if re.search(r"error|fail|could not|cannot|denied|not permitted", ln, re.I)]
            self.fail(what, f"{e} (libbcc: {said[0]})" if said else str(e))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(capture)

    def _flush(self):
        if self.out:
            self.stdout.write(b"".join(self.out))
            self.out.clear()
        self.stdout.flush()

    def read(self, b, header, duration, batched=False):
        """Prints the header (the ready signal: everything is loaded and attached), polls the
        ring buffer until SIGINT, SIGTERM or `duration` seconds (None: no limit), writing each
        batch's lines at once, then drains what the ring still holds.

        batched (-B): the kernel wakes the reader only as the backlog crosses WAKEUP_BYTES, so
        the poll waits at most WAKEUP_WAIT_MS and, woken or not, ring_buffer_consume() then takes
        whatever the ring holds (libbpf's ring_buffer__consume: no epoll wait, it reads every
        record committed so far)."""
        self.stdout.write(header.encode() + b"\n")
        self._flush()
        deadline = time.monotonic() + duration if duration else None
        while not self.exiting and (deadline is None or time.monotonic() < deadline):
            if batched:
                b.ring_buffer_poll(WAKEUP_WAIT_MS)
                b.ring_buffer_consume()
            else:
                b.ring_buffer_poll(POLL_MS)
            self._flush()
        b.ring_buffer_consume()
        self._flush()

    def run(self, b, header, duration, batched=False):
        """hello's and opensnoop's run: with -B puts the ring's fd into event_rings first (the
        kernel side queries the backlog through it, bpf/bcc/wakeup.h), reads (above), then reads
        drops, frees the BPF module and prints the summary."""
        if batched:
            with self.step("putting events into event_rings"):
                b["event_rings"][ct.c_int(0)] = ct.c_int(b["events"].get_fd())
        self.read(b, header, duration, batched)
        drops = b["drops"][0].value
        b.cleanup()  # detaches the tracepoints, closes programs and maps, frees the ring buffer
        sys.stderr.write(f"events={self.events} drops={drops}\n")
        return 0


def cflags(*defines):
    """The flags of libbcc's run-time compile: events.h from bpf/, no warnings (the kernel
    headers make clang print some, and stderr carries only the summary), then the -D filters."""
    return [f"-I{BPF_SRC}", "-w", *(f"-D{d}" for d in defines)]


def wakeup_defines(batched):
    """-B's define for bpf/bcc/wakeup.h: WAKEUP_BYTES, the backlog that wakes the reader."""
    return [f"WAKEUP_BYTES={WAKEUP_BATCH_BYTES}"] if batched else []


def source(program):
    """The shared BCC C of a program, bpf/bcc/<program>.c."""
    return str(BPF_SRC / "bcc" / f"{program}.c")


def event(data, kind):
    """A ring-buffer sample as the ctypes mirror `kind`, in place."""
    return ct.cast(data, ct.POINTER(kind)).contents
