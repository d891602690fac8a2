"""The runner of "flood" programs (harness/programs.py): what a framework's ring-buffer reader
can take when the kernel, not a syscall workload, sets the pace.

One measured run of a variant's flood is one start of the executable per mode (silent: the
reader counts records; formatted, `-f`: it prints each as a line to stdout, as a tool does),
pinned to the variant's CPU like every run. Once the header is out, the harness's producer
(harness/produce.c, the same for every framework) runs each loaded program in turn by id
(flood_small's 16-byte records, then flood_large's 304) with one BPF_PROG_TEST_RUN of a large
repeat on the workload CPU; each run writes FLOOD_BATCH records, and the producer reads the
ring's producer and consumer positions from outside. The reader gets DRAIN_S to catch up after
each size; then SIGINT, and its summary `records=N bytes=M lost=L` must account for every
record made, its losses must be the ring's refusals (no gap in the sequence), and with -f it
must have printed a line per record. Figures per size and mode: records/s read (the consumer
position over the producer's time), written (the producer position), the reader's CPU ns per
record (its threads' CPU time over the producer's window, over the records it took), records
the ring refused, and the producer's ns per record. Nothing may stay loaded (the leak check)."""
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
from .run import Child, _kernel_view, await_header, code_figures, scratch_root, settle, usage_figures

SIZES = {"16": "flood_small", "304": "flood_large"}   # record bytes -> program name
MODES = {"silent": (), "formatted": ("-f",)}
SECONDS = 0.1       # the producer's least time per case (one call of REPEAT runs takes longer)
# Runs per BPF_PROG_TEST_RUN call (FLOOD_BATCH records each): each call costs ~17 ms of its
# own here, so one call carries the whole case (16,384 runs: 0.1-0.2 s, 262,144 records, 6 to
# 78 times what the ring holds). Smaller, and a fast reader's case is over before it is timed;
# larger, and the flood's share of the benchmark outgrows its two minutes.
REPEAT = 16_384
DRAIN_S = 0.1       # enough for the slowest reader to empty a full ring (~1 MiB at ~1 M records/s)
SUMMARY = re.compile(rb"records=(\d+) bytes=(\d+) lost=(\d+)")
PRODUCED = re.compile(r"runs=(\d+) wall_ns=(\d+) kernel_ns=(\d+) produced=(\d+) consumed=(-?\d+) unit=(bytes|records)")
BATCH = 16          # FLOOD_BATCH of bpf/flood.h


def case_key(size: str, mode: str) -> str:
    """The suffix of a case's figures in harness/metrics.py: flood_rate_16_silent..."""
    return f"{size}_{mode}"


@dataclass(frozen=True)
class Produced:
    runs: int           # BPF_PROG_TEST_RUN runs, FLOOD_BATCH records each
    wall_s: float
    kernel_ns: float    # per run, the kernel's own account
    produced: int       # what the ring's producer position moved while the producer ran (unit)
    consumed: int       # what its consumer position moved: the reader's pace, seen from outside
    unit: str           # "bytes" (a ring buffer), or "records" (a perf buffer: consumed unknown)

    def written(self, size: str) -> int:
        """Records the program got its buffer to take."""
        return self.produced // stride(size) if self.unit == "bytes" else self.produced

    def taken(self, size: str) -> int:
        """Records the reader took while the producer ran. A perf buffer's reader position
        cannot be read from outside: what the buffer took is what the reader made room for,
        less at most one buffer's worth still waiting at the end (docs/results.md)."""
        return self.consumed // stride(size) if self.unit == "bytes" else self.produced


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
    runs, wall_ns, kernel_ns, produced, consumed = (int(x) for x in m.groups()[:5])
    return Produced(runs, wall_ns / 1e9, kernel_ns / runs if runs else 0.0, produced, consumed, m.group(6))


def _mode(s: Sample, executable: Path, mode: str, placement: Placement, scratch: Path,
          ids: dict[str, set[int]]) -> None:
    """One start of the reader in one mode; the producer runs each size in turn."""
    child = Child([str(executable), *MODES[mode]], stdout_path=scratch / mode, cpu=placement.variant)
    made = {}
    try:
        s.error = await_header(child)
        if s.error:
            return
        if "ready_ms" not in s.figures:
            s.figures["ready_ms"] = child.ready_ms
            s.figures.update(code_figures(child.pid))
        programs, s.maps, found = _kernel_view(child.pid)
        s.programs = programs
        for kind, got in found.items():
            ids.setdefault(kind, set()).update(got)
        for size, name in SIZES.items():
            prog_id = next((p["prog_id"] for p in programs if p.get("name") == name), None)
            if prog_id is None:
                s.error = f"no program {name} loaded by the variant"
                return
            cpu0 = kernel.task_cpu_ns(child.pid)
            p = produce(prog_id, SECONDS, REPEAT, placement.workload)
            cpu1 = kernel.task_cpu_ns(child.pid)
            time.sleep(DRAIN_S)   # the reader catches up before the next size
            made[size] = p
            key = case_key(size, mode)
            # The reader's pace while the producer ran, from the ring's own consumer position;
            # what the ring refused, from its producer position.
            written, taken = p.written(size), p.taken(size)
            s.figures[f"flood_rate_{key}"] = taken / p.wall_s
            s.figures[f"flood_written_{key}"] = written / p.wall_s
            s.figures[f"flood_lost_{key}"] = p.runs * BATCH - written
            s.figures[f"flood_producer_ns_{key}"] = p.kernel_ns / BATCH
            if taken and cpu0 is not None and cpu1 is not None:
                s.figures[f"flood_cpu_ns_{key}"] = (cpu1 - cpu0) / taken
    finally:
        hang = child.stop()
        s.hang = s.hang or hang
    if hang:
        s.error = "hang: still running after SIGINT, killed"
        return
    if child.status != 0:
        s.error = f"{mode}: exit status {child.status} after SIGINT: {child.error_line()}"
        return
    m = SUMMARY.search(child.stderr)
    if not m:
        s.error = f"{mode}: no records=N bytes=M lost=L summary: {child.error_line()}"
        return
    records, _, lost = (int(x) for x in m.groups())
    total = sum(p.runs * BATCH for p in made.values())
    if records + lost != total:
        s.error = f"{mode}: read {records} and lost {lost} of the {total} records the producer made"
        return
    refused = sum(s.figures[f"flood_lost_{case_key(size, mode)}"] for size in made)
    if lost != refused:
        s.error = f"{mode}: {lost - refused} records missing from the sequence (lost {lost}, the ring refused {refused})"
        return
    if mode == "formatted":
        lines = sum(1 for _ in open(scratch / mode, "rb")) - 1
        if lines != records:
            s.error = f"{mode}: {lines} lines printed for {records} records"
            return
    usage = usage_figures(child)
    s.figures["peak_rss_kib"] = max(s.figures.get("peak_rss_kib") or 0, usage.get("peak_rss_kib") or 0) or None


def run_flood(executable: Path, placement: Placement, round_: int = 0) -> Sample:
    s = Sample(round=round_)
    scratch = Path(tempfile.mkdtemp(prefix="flood-", dir=scratch_root()))
    ids: dict[str, set[int]] = {}
    try:
        for mode in MODES:
            _mode(s, executable, mode, placement, scratch, ids)
            if s.error:
                break
    except (OSError, RuntimeError, subprocess.TimeoutExpired, helpers.HelperError) as e:
        s.error = s.error or str(e)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return settle(s, ids)
