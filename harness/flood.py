"""The runner of "flood" programs (harness/programs.py): what a framework's ring-buffer reader
can take when the kernel, not a syscall workload, sets the pace.

One measured run of a variant's flood is one start of the executable per case, pinned to the
variant's CPU like every run. A case is a record size (flood_small's 16 bytes or flood_large's
304) and a mode (silent: the reader counts records; formatted, `-f`: it prints each as a line to
stdout, as a tool does). For each: once the header is out, the harness's producer
(harness/produce.c, the same for every framework) runs the variant's loaded program by id with
BPF_PROG_TEST_RUN and a large repeat on the workload CPU for SECONDS; each run writes
FLOOD_BATCH records. Then the reader gets DRAIN_S to catch up, SIGINT, and its summary
`records=N bytes=M lost=L` is read. Figures per case: records/s read (records over the
producer's time), the reader's CPU ns per record (its threads' CPU time over the producer's
window and the drain, over the records), records lost (the ring was full, or a gap in the
sequence), and the producer's ns per record written. Nothing may stay loaded (the leak check)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import helpers, kernel
from .env import tool_env
from .noise import Placement
from .results import Sample
from .run import READY_TIMEOUT_S, Child, _kernel_view, code_figures, leaked, scratch_root, usage_figures

SIZES = {"16": "flood_small", "304": "flood_large"}   # record bytes -> program name
MODES = {"silent": (), "formatted": ("-f",)}
SECONDS = 0.5       # the producer's time per case
# Runs per BPF_PROG_TEST_RUN call (FLOOD_BATCH records each): each call costs ~17 ms of its
# own here, so one call carries the whole case (65,536 runs: 0.4-0.7 s).
REPEAT = 65_536
DRAIN_S = 0.2
SUMMARY = re.compile(rb"records=(\d+) bytes=(\d+) lost=(\d+)")
PRODUCED = re.compile(r"runs=(\d+) wall_ns=(\d+) kernel_ns=(\d+) produced=(\d+) consumed=(\d+)")
BATCH = 16          # FLOOD_BATCH of bpf/flood.h


@dataclass(frozen=True)
class Case:
    size: str
    mode: str

    @property
    def key(self) -> str:
        return f"{self.size}_{self.mode}"


CASES = tuple(Case(size, mode) for mode in MODES for size in SIZES)


def figure_keys() -> list[str]:
    """Every figure a flood sample may hold (harness/metrics.py registers them)."""
    return [f"flood_{what}_{c.key}" for c in CASES for what in ("rate", "written", "cpu_ns", "lost", "producer_ns")]


@dataclass(frozen=True)
class Produced:
    runs: int           # BPF_PROG_TEST_RUN runs, FLOOD_BATCH records each
    wall_s: float
    kernel_ns: float    # per run, the kernel's own account
    produced: int       # bytes the ring's producer position moved while the producer ran
    consumed: int       # bytes its consumer position moved: the reader's pace, seen from outside


def stride(size: str) -> int:
    """Ring bytes per record: an 8-byte header, the record, rounded up to 8."""
    return (int(size) + 8 + 7) // 8 * 8


def produce(prog_id: int, seconds: float, repeat: int, cpu: int | None) -> Produced:
    """Run the producer on prog_id, pinned to cpu."""
    argv = [str(helpers.path("produce")), str(prog_id), str(seconds), str(repeat)]
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    r = subprocess.run(argv, capture_output=True, text=True, env=tool_env(), timeout=seconds + 60, preexec_fn=pin)
    m = PRODUCED.search(r.stdout)
    if r.returncode or not m:
        raise RuntimeError(f"producer: {(r.stderr.strip() or r.stdout.strip() or f'exit {r.returncode}')[:200]}")
    runs, wall_ns, kernel_ns, produced, consumed = (int(x) for x in m.groups())
    return Produced(runs, wall_ns / 1e9, kernel_ns / runs if runs else 0.0, produced, consumed)


def _case(s: Sample, executable: Path, case: Case, placement: Placement, scratch: Path,
          ids: dict[str, set[int]]) -> None:
    child = Child([str(executable), *MODES[case.mode]], stdout_path=scratch / case.key, cpu=placement.variant)
    try:
        child.wait_for(lambda: child.header_ns is not None or child.exited(), READY_TIMEOUT_S)
        if child.header_ns is None:
            child.stop()
            s.error = ("exited before ready: " + child.error_line()) if child.status is not None \
                else f"no header within {READY_TIMEOUT_S:.0f} s"
            return
        if "ready_ms" not in s.figures:
            s.figures["ready_ms"] = child.ready_ms
            s.figures.update(code_figures(child.pid))
        programs, s.maps, found = _kernel_view(child.pid)
        s.programs = programs
        for kind, got in found.items():
            ids.setdefault(kind, set()).update(got)
        prog_id = next((p["prog_id"] for p in programs if p.get("name") == SIZES[case.size]), None)
        if prog_id is None:
            s.error = f"no program {SIZES[case.size]} loaded by the variant"
            return
        cpu0 = kernel.task_cpu_ns(child.pid)
        p = produce(prog_id, SECONDS, REPEAT, placement.workload)
        cpu1 = kernel.task_cpu_ns(child.pid)
        time.sleep(DRAIN_S)
    finally:
        hang = child.stop()
        s.hang = s.hang or hang
    if hang:
        s.error = "hang: still running after SIGINT, killed"
        return
    if child.status != 0:
        s.error = f"{case.key}: exit status {child.status} after SIGINT: {child.error_line()}"
        return
    m = SUMMARY.search(child.stderr)
    if not m:
        s.error = f"{case.key}: no records=N bytes=M lost=L summary: {child.error_line()}"
        return
    records, _, lost = (int(x) for x in m.groups())
    if records + lost != p.runs * BATCH:
        s.error = f"{case.key}: read {records} and lost {lost} of the {p.runs * BATCH} records the producer made"
        return
    if case.mode == "formatted":
        lines = sum(1 for _ in open(scratch / case.key, "rb")) - 1
        if lines != records:
            s.error = f"{case.key}: {lines} lines printed for {records} records"
            return
    # The reader's pace while the producer ran, from the ring's own consumer position.
    taken = p.consumed // stride(case.size)
    s.figures[f"flood_rate_{case.key}"] = taken / p.wall_s
    s.figures[f"flood_written_{case.key}"] = p.produced // stride(case.size) / p.wall_s
    s.figures[f"flood_lost_{case.key}"] = lost
    s.figures[f"flood_producer_ns_{case.key}"] = p.kernel_ns / BATCH
    if taken and cpu0 is not None and cpu1 is not None:
        s.figures[f"flood_cpu_ns_{case.key}"] = (cpu1 - cpu0) / taken
    usage = usage_figures(child)
    s.figures["peak_rss_kib"] = max(s.figures.get("peak_rss_kib", 0), usage.get("peak_rss_kib", 0)) or None


def run_flood(executable: Path, placement: Placement, round_: int = 0) -> Sample:
    s = Sample(round=round_)
    scratch = Path(tempfile.mkdtemp(prefix="flood-", dir=scratch_root()))
    ids: dict[str, set[int]] = {}
    try:
        for case in CASES:
            _case(s, executable, case, placement, scratch, ids)
            if s.error:
                break
    except (OSError, RuntimeError, subprocess.TimeoutExpired, helpers.HelperError) as e:
        s.error = s.error or str(e)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    s.leaked = leaked(ids)
    if not s.error and s.leaked:
        s.error = "leak: still loaded after exit: " + ", ".join(s.leaked)
    s.ok = s.error is None
    return s
