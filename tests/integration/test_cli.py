"""The command line of docs/programs.md, held by one table against every variant and both programs."""
import re
import subprocess
import time

import pytest

from harness.programs import SPECS

from .conftest import require, supports

SUMMARY = re.compile(r"events=\d+ drops=\d+")
HEADERS = {p: SPECS[p].header for p in ("hello", "opensnoop")}
# Without privileges and capabilities: whatever needs root fails with exit 1, so exit 0 or 2
# here shows that -h and usage errors are settled before any BPF work.
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]

USAGE, ERROR, RUN = "usage on stdout", "one line on stderr", "header, then the summary"

# (program, argv, exit status, what the streams hold)
TABLE = [
    ("hello", ["-h"], 0, USAGE),
    ("opensnoop", ["-h"], 0, USAGE),
    ("hello", ["-d", "0.5"], 0, RUN),
    ("opensnoop", ["-d", "0.5"], 0, RUN),
    ("opensnoop", ["-p", "2147483647", "-u", "4294967294", "-x", "-n", "x", "-d", "0.5"], 0, RUN),
    ("opensnoop", ["-p", "1", "-u", "0", "-d", "0.5"], 0, RUN),
    ("hello", ["-B", "-d", "0.5"], 0, RUN),
    ("opensnoop", ["-B", "-p", "1", "-d", "0.5"], 0, RUN),
    ("opensnoop", ["-x", "-B", "-d", "0.5"], 0, RUN),
    *[(program, argv, 2, ERROR) for program in ("hello", "opensnoop") for argv in (
        ["-d", "0"], ["-d", "-1"], ["-d", "x"], ["-d", ""], ["-d"],
        ["-z"], ["-v"], ["foo"],
        ["-d1.5"],
    )],
    *[("opensnoop", argv, 2, ERROR) for argv in (
        ["-p", "0"], ["-p", "x"], ["-p", "-1"], ["-p", "+5"], ["-p", "2147483648"], ["-p"],
        ["-u", "-1"], ["-u", "x"], ["-u", "4294967295"], ["-u"],
        ["-n", ""], ["-n"],
        ["-x", "-d"], ["-xd", "1"], ["-p1"],
    )],
    ("hello", ["-p", "1"], 2, ERROR),
    ("hello", ["-x"], 2, ERROR),
    ("hello", ["-Bd", "1"], 2, ERROR),
    ("opensnoop", ["-B", "-d"], 2, ERROR),
]


def _unreadable_by_nobody(variant, program: str) -> str | None:
    """Why nobody cannot run this program from this checkout, or None. A compiled program is
    found by exec before the user changes (setpriv keeps root's creds until exec), but a script's
    interpreter opens it as nobody: a checkout under a 0700 folder such as /root cannot be read."""
    exe = variant.dir / variant.programs[program].executable
    with open(exe, "rb") as f:
        if f.read(2) != b"#!":
            return None
    for folder in exe.resolve().parents:
        if not folder.stat().st_mode & 0o001:
            return f"{exe.name} is a script and {folder} is not searchable by others (mode {folder.stat().st_mode & 0o777:o})"
    return None


def _as_nobody(variant, program: str):
    why = _unreadable_by_nobody(variant, program)
    if why:
        pytest.skip(f"cannot run as nobody: {why}; clone outside it to test unprivileged runs")


def _id(row) -> str:
    program, argv, _, _ = row
    return " ".join([program, *(a if a else '""' for a in argv)])


def _run(variant, program: str, argv: list[str], prefix: list[str] = ()) -> tuple[subprocess.CompletedProcess, float]:
    exe = variant.dir / variant.programs[program].executable
    t0 = time.monotonic()
    out = subprocess.run([*prefix, str(exe), *argv], capture_output=True, text=True, timeout=60)
    return out, time.monotonic() - t0


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _assert_header_and_summary(variant, program: str, out: subprocess.CompletedProcess):
    assert out.stdout.split("\n", 1)[0] == HEADERS[program], out.stdout[:300]
    if supports(variant, "summary"):
        summary = [line for line in _lines(out.stderr) if line.startswith("events=")]
        assert len(summary) == 1 and SUMMARY.fullmatch(summary[0]), out.stderr


@pytest.mark.parametrize("row", TABLE, ids=[_id(r) for r in TABLE])
def test_command_line(variant, row):
    program, argv, status, streams = row
    require(variant, "cli")
    if streams == RUN:
        if "-B" in argv and f"{program}-batched" not in variant.programs:
            # Its executable takes -B and fails at run time, saying why (docs/programs.md, "Wakeups").
            out, _ = _run(variant, program, argv)
            lines = out.stderr.splitlines()
            assert out.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"{program}: "), out.stderr
            return
        out, _ = _run(variant, program, argv)
        assert out.returncode == status, out.stderr
        _assert_header_and_summary(variant, program, out)
        return
    for prefix in ([], NOBODY):
        if prefix:
            _as_nobody(variant, program)
        out, _ = _run(variant, program, argv, prefix)
        who = "as nobody" if prefix else "as root"
        assert out.returncode == status, f"{who}: {out.stderr[:300]!r}"
        if streams == USAGE:
            assert out.stdout.startswith(f"usage: {program}"), f"{who}: {out.stdout[:300]!r}"
            assert out.stderr == "", f"{who}: {out.stderr[:300]!r}"
        else:
            assert out.stdout == "", f"{who}: {out.stdout[:300]!r}"
            lines = out.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"{program}: "), f"{who}: {out.stderr[:300]!r}"


@pytest.mark.parametrize("program", ["hello", "opensnoop"])
def test_duration_ends_cleanly(variant, program):
    require(variant, "cli")
    out, seconds = _run(variant, program, ["-d", "1.5"])
    assert out.returncode == 0, out.stderr
    _assert_header_and_summary(variant, program, out)
    # Loose on purpose: -d ends the run, it is not a timing instrument.
    assert 1.0 <= seconds <= 20.0, f"-d 1.5 took {seconds:.2f} s"


@pytest.mark.parametrize("program", ["hello", "opensnoop"])
def test_not_root_is_exit_1_and_one_line(variant, program):
    require(variant, "cli")
    _as_nobody(variant, program)
    out, _ = _run(variant, program, ["-d", "1"], NOBODY)
    assert out.returncode == 1, out.stderr
    assert out.stdout == ""
    lines = _lines(out.stderr)
    assert len(lines) == 1, out.stderr
