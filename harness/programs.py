"""The programs every variant writes, as data: what each is, how the harness drives it, which
figures it has. A new program is one entry here (and its runner in run.py for a new kind), not
an `if program == ...` branch across the harness.

Two kinds:
- "trace": a tracepoint program that runs until stopped and reports events on stdout; the
  harness stimulates it with a compiled workload (harness/loadgen.c) and measures start-up,
  memory, overhead on the workload, delivery under paced load and kernel ns per event.
- "testrun": a program the kernel runs on input the caller gives it (BPF_PROG_TEST_RUN); the
  harness times it with the framework's own test-run API (`--bench N`) and attaches it once to
  a veth pair of its own to take start-up, memory and what the kernel loaded.
- "flood": programs loaded and never attached, which the harness's own producer test-runs by id
  (harness/produce.c) so that they write records into a ring buffer faster than any reader
  takes them; the variant only reads, and the figures are what its reader can take.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("trace", "testrun", "flood")


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    kind: str
    required: bool      # every variant must write it (an optional one may be declared unavailable)
    header: str         # the ready line: printed once every program is loaded and attached
    what: str           # one line for the tables
    stimulus: str       # how the harness makes it run, for the method text
    # trace programs: which operation of harness/loadgen.c makes it fire ("exec": failing execve()s
    # under a unique comm, the lines told apart by comm; "open": opens of a unique path, by path)
    workload: str | None = None
    # the integration tests that hold every variant's executable to docs/programs.md for it
    # (the kernel matrix runs these on every kernel)
    tests: str = "tests/integration/test_conformance.py"
    # A mode of another program: the same executable, run with these arguments (a variant's
    # variant.yaml says whether it has the mode; docs/programs.md, "Wakeups").
    of: str | None = None
    args: tuple[str, ...] = ()


SPECS: dict[str, ProgramSpec] = {
    s.name: s for s in (
        ProgramSpec("hello", "trace", True, "PID\tPPID\tUID\tCOMM\tMESSAGE",
                    "one event per execve (tracepoint syscalls/sys_enter_execve)",
                    "a compiled helper doing failing execve()s under a unique comm", workload="exec"),
        ProgramSpec("hello-batched", "trace", False, "PID\tPPID\tUID\tCOMM\tMESSAGE",
                    "hello with batched wakeups (`-B`): woken once 64 KiB wait, read every 50 ms at the latest",
                    "a compiled helper doing failing execve()s under a unique comm", workload="exec",
                    of="hello", args=("-B",)),
        ProgramSpec("opensnoop", "trace", True, "PID\tCOMM\tFD\tERR\tPATH",
                    "one event per open()/openat() (enter and exit tracepoints)",
                    "a compiled helper opening and closing a unique path", workload="open"),
        ProgramSpec("opensnoop-batched", "trace", False, "PID\tCOMM\tFD\tERR\tPATH",
                    "opensnoop with batched wakeups (`-B`): woken once 64 KiB wait, read every 50 ms at the latest",
                    "a compiled helper opening and closing a unique path", workload="open",
                    of="opensnoop", args=("-B",)),
        ProgramSpec("xdp", "testrun", False, "PROTO\tPACKETS\tBYTES",
                    "packets and bytes per L4 protocol at XDP, always XDP_PASS",
                    "BPF_PROG_TEST_RUN on five built-in frames through the framework's API "
                    "(`xdp --bench N`); attached once to a veth pair with packets sent through it",
                    tests="tests/integration/test_xdp.py"),
        ProgramSpec("flood", "flood", False, "SEQ\tTS_NS\tBYTES",
                    "records into a ring buffer as fast as the kernel writes them (16 and 304 bytes)",
                    "the harness's producer test-runs the loaded program by id, 16 records a run, while the "
                    "variant reads", tests="tests/integration/test_flood.py"),
    )
}
PROGRAMS: tuple[str, ...] = tuple(SPECS)
# The programs with files of their own (a mode runs another program's executable).
BASE: tuple[str, ...] = tuple(n for n, s in SPECS.items() if s.of is None)
REQUIRED: tuple[str, ...] = tuple(n for n, s in SPECS.items() if s.required)


def of_kind(kind: str) -> tuple[str, ...]:
    return tuple(n for n, s in SPECS.items() if s.kind == kind)
