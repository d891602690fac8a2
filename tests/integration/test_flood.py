"""flood, the fourth program, in every variant that has it (variant.yaml `programs: flood:`):
the harness's producer test-runs its loaded programs by id and its reader must take every record,
in order, silently or printing each; its command line and ending are the contract's
(docs/programs.md, "flood")."""
import re
import subprocess

import pytest

from harness import flood as floodrun
from harness import kernel
from harness.programs import SPECS
from harness.run import Child, _kernel_view, leaked

from .conftest import READY_S, require_built

HEADER = SPECS["flood"].header.encode()
SUMMARY = re.compile(r"^records=(\d+) bytes=(\d+) lost=(\d+)$")


@pytest.fixture
def flood_exe(variant):
    if "flood" not in variant.programs:
        pytest.skip(f"{variant.name} has no flood (variant.yaml): {variant.lacks.get('flood')}")
    require_built(variant)
    return variant.dir / variant.programs["flood"].executable


def _start(exe, *args) -> Child:
    child = Child([str(exe), *args])
    assert child.wait_for(lambda: child.header is not None or child.exited(), READY_S), child.error_line()
    assert child.header == HEADER, child.header
    return child


def _programs(child: Child) -> dict[str, int]:
    programs, _, _ = _kernel_view(child.pid)
    return {p["name"]: p["prog_id"] for p in programs}


@pytest.mark.parametrize("mode", ["silent", "formatted"])
def test_every_record_the_producer_makes_is_read_in_order(flood_exe, mode):
    child = _start(flood_exe, *(["-f"] if mode == "formatted" else []))
    progs = _programs(child)
    assert set(progs) >= {"flood_small", "flood_large"}, progs
    produced = []
    try:
        # A low rate no reader can miss: 4 calls of 64 runs, 16 records each, per program.
        for name in ("flood_small", "flood_large"):
            p = floodrun.produce(progs[name], 0.05, 64, None)
            produced.append((name, p.runs * floodrun.BATCH))
            assert p.written("16" if name == "flood_small" else "304") == p.runs * floodrun.BATCH
    finally:
        ids = kernel.bpf_ids(kernel.bpf_fds(child.pid))
        child.stop()
    assert child.status == 0, child.error_line()
    total = sum(n for _, n in produced)
    lines = [line for line in child.stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and SUMMARY.match(lines[0]), child.stderr
    records, size, lost = (int(x) for x in SUMMARY.match(lines[0]).groups())
    assert (records, lost) == (total, 0)
    small = produced[0][1]
    assert size == small * 16 + (total - small) * 304
    out = [line.rstrip(b"\n").split(b"\t") for line in child.lines]
    if mode == "silent":
        assert out == []
    else:
        assert [int(f[0]) for f in out] == list(range(total)), "seq must run 0, 1, 2... with no gap"
        assert [int(f[2]) for f in out] == [16] * small + [304] * (total - small)
        ts = [int(f[1]) for f in out]
        assert ts == sorted(ts) and ts[0] > 0
    assert leaked(ids) == []


def test_a_full_ring_counts_lost_records(flood_exe):
    """Written faster than anything reads, with the reader stopped: what the ring cannot hold is
    counted as lost, and what it holds is still read at exit."""
    child = _start(flood_exe)
    progs = _programs(child)
    try:
        child.send(__import__("signal").SIGSTOP)
        # The ring holds 1 MiB: 3,361 large records; 8,192 are written.
        p = floodrun.produce(progs["flood_large"], 0.01, 512, None)
        child.send(__import__("signal").SIGCONT)
    finally:
        child.stop()
    assert child.status == 0, child.error_line()
    records, _, lost = (int(x) for x in SUMMARY.match(child.stderr.decode().strip()).groups())
    assert lost > 0 and records > 0 and records + lost == p.runs * floodrun.BATCH


@pytest.mark.parametrize("argv, status", [
    (["-h"], 0), (["-d", "0"], 2), (["-d", "x"], 2), (["-z"], 2), (["foo"], 2), (["-f", "-f", "-d"], 2),
    (["-d1"], 2),
])
def test_command_line(flood_exe, argv, status):
    r = subprocess.run([str(flood_exe), *argv], capture_output=True, text=True, timeout=30)
    assert r.returncode == status, r.stderr
    if status == 0:
        assert r.stdout.startswith("usage: flood") and r.stderr == ""
    else:
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and r.stderr.startswith("flood: ")


def test_duration_ends_cleanly(flood_exe):
    r = subprocess.run([str(flood_exe), "-d", "0.5"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == SPECS["flood"].header + "\n"
    assert SUMMARY.match(r.stderr.strip()) and r.stderr.strip() == "records=0 bytes=0 lost=0"
