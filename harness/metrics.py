"""The metric registry, and the median, spread and instability flag of repeated measurements.

Every runtime figure is declared once here: the runner fills it by key, the summaries, the
tables, the plots, the headline and the method text all read this registry, so a new figure is
one entry here and one collector that measures it."""
from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from .programs import SPECS

SPREAD_LIMIT = 0.10  # IQR wider than 10% of the median is flagged (pyperf warns at 10% too)
AGREE_LIMIT = 0.10   # two medians agree when within 10% of each other
ALIKE = 1.25         # every framework within x1.25 of the others: the figure is not the frameworks'


@dataclass(frozen=True)
class Derived:
    """A figure computed from another one and a yardstick measured in the same round."""
    source: str             # the measured figure (a key of METRICS) it starts from
    yardstick: str          # "baseline" (the workload with nothing attached) or "floor" (empty programs)
    percent: bool = False   # the difference as a percentage of the yardstick, not in the source's unit


@dataclass(frozen=True)
class Metric:
    key: str
    unit: str            # of the stored value
    label: str           # column header, without the unit
    table: str           # the results/*.md it belongs to
    better: str = "lower"
    scale: float = 1.0   # stored value x scale = shown value
    shown_unit: str = ""  # when scale changes the unit
    digits: int = 1
    headline: bool = False
    plot: str | None = None  # results/*.png drawn from it
    needs_events: bool = False  # not measurable for a variant that emits no events (the floor)
    method: str = ""
    kinds: tuple[str, ...] = ("trace",)  # the program kinds it is measured for (harness/programs.py)
    derived: Derived | None = None  # computed by the benchmark after the rounds, not by a runner
    unmeasured: str = ""    # why a run that succeeded can lack it, shown as "not measured: ..."
    # Given the figures' summaries of one variant's program: whether this figure is a lower bound
    # (shown ≥, never ranked), the workload rather than the variant having been the limit.
    bound: Callable[[dict], bool] | None = None
    bound_why: str = ""     # what a bound means for this figure, in the headline
    # Said in the headline when every framework's median is within ALIKE of the others: what a
    # figure that does not tell the frameworks apart measures instead.
    alike: str = ""

    def applies(self, program: str) -> bool:
        """Whether this figure is taken for that program (by the program's kind)."""
        return SPECS[program].kind in self.kinds

    @property
    def header(self) -> str:
        return f"{self.label} ({self.shown_unit or self.unit})"


METRICS: tuple[Metric, ...] = (
    Metric("ready_ms", "ms", "exec → header", "startup.md", kinds=("trace", "testrun", "flood"),
           method="from the exec to the header line, printed once every program is attached"),
    Metric("first_event_ms", "ms", "exec → first event", "startup.md", headline=True, plot="startup.png",
           needs_events=True,
           method="from the exec to the first line carrying the marker: a compiled helper opens a unique "
                  "path (hello: a failing execve under a unique comm) every millisecond from the exec on"),
    Metric("peak_rss_kib", "KiB", "Peak RSS", "memory.md", scale=1 / 1024, shown_unit="MiB", headline=True,
           plot="memory.png", kinds=("trace", "testrun", "flood"),
           method="ru_maxrss from wait4() of that child alone, forked by harness/spawn.c (a child forked by "
                  "Python would report the harness's own ~30 MiB as its floor)"),
    Metric("code_mapped_kib", "KiB", "Code mapped", "memory.md", scale=1 / 1024, shown_unit="MiB", digits=1,
           kinds=("trace", "testrun"),
           method="the on-disk size of every distinct file the process maps executable (its binary or "
                  "interpreter and every shared library: libbcc and LLVM for the BCC variants), read from "
                  "/proc/PID/maps once the header is out: the footprint a deployment ships"),
    Metric("code_files", "files", "Files mapped executable", "memory.md", digits=0, kinds=("trace", "testrun", "flood"),
           method="how many distinct files that is"),
    Metric("steady_rss_kib", "KiB", "RSS after the load", "memory.md", scale=1 / 1024, shown_unit="MiB",
           method="VmRSS right after the paced sweep"),
    Metric("user_cpu_ms", "ms", "User CPU, whole run", "memory.md", kinds=("trace", "testrun"),
           method="ru_utime from wait4()"),
    Metric("sys_cpu_ms", "ms", "System CPU, whole run", "memory.md", kinds=("trace", "testrun"),
           method="ru_stime from wait4()"),
    Metric("workload_ns_per_op", "ns", "Traced workload per operation", "overhead.md", digits=0,
           method="wall time of the compiled workload divided by its operations (open+close, or a failing "
                  "execve), timed by the workload itself, unpaced, with the variant attached"),
    Metric("added_ns_per_op", "ns", "Added per operation", "overhead.md", digits=0, headline=True,
           plot="overhead.png", derived=Derived("workload_ns_per_op", "baseline"),
           unmeasured="no baseline in this run",
           method="the same workload's time per operation minus its time with nothing attached, "
                  "measured in the same round"),
    Metric("slowdown_pct", "%", "Slowdown", "overhead.md", derived=Derived("workload_ns_per_op", "baseline", percent=True),
           unmeasured="no baseline in this run",
           method="added time per operation over the time with nothing attached"),
    Metric("storm_rate", "events/s", "Unpaced workload rate", "throughput.md", better="higher", digits=0,
           method="operations per second the workload reached, unpaced, with the variant attached"),
    Metric("delivered_pct", "%", "Delivered of the unpaced storm", "throughput.md", better="higher",
           needs_events=True, digits=2,
           method="lines the variant printed for the storm's operations, over the operations"),
    Metric("cpu_ns_per_event", "ns", "Userspace CPU per event", "throughput.md", digits=0, needs_events=True,
           method="CPU time of all the variant's threads (/proc/PID/task/*/schedstat) from the storm's start "
                  "until its last line was written, over the lines printed"),
    Metric("drops", "events", "Ring-buffer drops, whole run", "throughput.md", digits=0,
           unmeasured="no summary line",
           method="the BPF-side counter of failed reservations from the variant's summary line"),
    Metric("max_sustainable_rate", "events/s", "Max sustainable rate", "throughput.md", better="higher",
           digits=0, needs_events=True, plot="max_rate.png",
           unmeasured="lost events even at the lowest rate",
           bound=lambda summ: summ.get("max_rate_bound") == "workload",
           bound_why="the traced workload, slowed by the tracing, never outran the reader: the figure is the "
                     "workload's ceiling, not the framework's",
           method="the highest paced rate delivered with no event lost in the sweep; when even the unpaced "
                  "workload lost nothing, the unpaced rate, marked ≥ (the workload, not the variant, was "
                  "the limit)"),
    Metric("kernel_ns_per_event", "ns", "Kernel per event", "kernel.md", digits=0, headline=True,
           plot="kernel_ns.png",
           alike="the kernel's cost, not the framework's: every framework loads alike programs, and in the default "
                 "mode the figure is mostly the wakeup of a reader that waits (docs/programs.md, \"Wakeups\")",
           method="run_time_ns over run_cnt of the variant's programs (summed over the programs, divided by "
                  "the largest run_cnt) during the fixed-rate step of the sweep, from /proc/PID/fdinfo"),
    Metric("kernel_ns_storm", "ns", "Kernel per event, unpaced storm", "kernel.md", digits=0,
           method="the same figure over the unpaced storm: a reader that falls behind is found with data "
                  "waiting and is not woken per record, so this is below the fixed-rate figure wherever the "
                  "wakeups were the cost"),
    Metric("kernel_ns_net", "ns", "Kernel per event, floor subtracted", "kernel.md", digits=0,
           derived=Derived("kernel_ns_per_event", "floor"), unmeasured="no floor in this run",
           method="the same minus the floor's figure of the same round (empty programs on the same "
                  "tracepoints)"),
    Metric("testrun_ns", "ns", "Test run per frame", "kernel.md", digits=1, headline=True, kinds=("testrun",),
           method="the kernel's own time per run (BPF_PROG_TEST_RUN with repeat N, through the framework's "
                  "test-run API: `xdp --bench N`), averaged over the five built-in frames; the variant pinned "
                  "to its CPU"),
    Metric("attached_ns_per_packet", "ns", "Attached, per packet", "kernel.md", digits=0, kinds=("testrun",),
           method="run_time_ns over run_cnt from the variant's fdinfo while 200 UDP datagrams went through "
                  "the veth pair it was attached to (veth's own XDP hook, in the receive path of the host "
                  "end)"),
)


def _kept_up(case: str) -> Callable[[dict], bool]:
    """A flood reader that lost nothing kept up with the producer: its rate is the producer's."""
    def bound(summ: dict) -> bool:
        lost = summ.get(f"flood_lost_{case}")
        return bool(lost) and lost["median"] == 0
    return bound


def _flood_metrics() -> tuple[Metric, ...]:
    """The reader-capacity figures, one set per record size and mode (harness/flood.py)."""
    out = []
    for mode in ("silent", "formatted"):
        for size in ("16", "304"):
            case, label = f"{size}_{mode}", f"{size} B, {mode}"
            out += [
                Metric(f"flood_rate_{case}", "records/s", f"Read, {label}", "flood.md", better="higher", digits=0,
                       kinds=("flood",), headline=(mode == "silent"), bound=_kept_up(case),
                       bound_why="the producer never outran the reader, which lost nothing: the figure is the "
                                 "producer's pace",
                       method="records the reader took while the harness's producer test-ran the program (the "
                              "ring's consumer position, read by the producer from outside, over its time); "
                              + ("the reader counts records" if mode == "silent" else
                                 "the reader prints each record as a line (`-f`)")),
                Metric(f"flood_written_{case}", "records/s", f"Written, {label}", "flood.md", better="higher",
                       digits=0, kinds=("flood",),
                       method="records the producer got into the ring in that time (the ring's producer position): "
                              "above the read rate, the ring filled and the rest was lost"),
                Metric(f"flood_cpu_ns_{case}", "ns", f"Reader CPU per record, {label}", "flood.md", digits=0,
                       kinds=("flood",), headline=(mode == "silent"), method="the reader's threads' CPU time over the producer's window, over "
                                                "the records it took"),
                Metric(f"flood_lost_{case}", "records", f"Lost, {label}", "flood.md", digits=0, kinds=("flood",),
                       method="reservations the full ring refused plus gaps in the sequence, from the summary"),
                Metric(f"flood_producer_ns_{case}", "ns", f"Producer per record, {label}", "flood.md", digits=0,
                       kinds=("flood",), method="the kernel's own run time per record written (BPF_PROG_TEST_RUN's "
                                                "duration over the batch)"),
            ]
    return tuple(out)


METRICS = METRICS + _flood_metrics()


def is_bound(m: Metric, summ: dict) -> bool:
    """A lower bound (shown ≥): the workload, not the variant, was the limit. Never ranked."""
    return bool(summ.get(m.key)) and m.bound is not None and m.bound(summ)


BY_KEY = {m.key: m for m in METRICS}
HEADLINE = tuple(m for m in METRICS if m.headline)
DERIVED = tuple(m for m in METRICS if m.derived)
PER_PROGRAM = ("ns_per_run", "run_cnt", "verified_insns", "jited_bytes", "xlated_bytes", "memlock")


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(values: list[float | None]) -> dict | None:
    """Median, quartiles, IQR, min, max, n and the unstable flag; None when nothing was measured."""
    xs = sorted(float(v) for v in values if v is not None)
    if not xs:
        return None
    med = statistics.median(xs)
    q1, q3 = quantile(xs, 0.25), quantile(xs, 0.75)
    iqr = q3 - q1
    rel = iqr / abs(med) if med else (0.0 if iqr == 0 else float("inf"))
    return {
        "median": med,
        "q1": q1,
        "q3": q3,
        "iqr": iqr,
        "min": xs[0],
        "max": xs[-1],
        "stdev": statistics.stdev(xs) if len(xs) > 1 else 0.0,
        "n": len(xs),
        "unstable": len(xs) > 1 and rel > SPREAD_LIMIT,
    }


def agree(a: dict | None, b: dict | None) -> bool | None:
    """Two summaries of one figure agree when their medians are within AGREE_LIMIT of each other,
    or their difference is inside the spread (the IQRs overlap); None when one is missing."""
    if not a or not b:
        return None
    ma, mb = a["median"], b["median"]
    if ma == mb or (max(abs(ma), abs(mb)) and abs(ma - mb) / max(abs(ma), abs(mb)) <= AGREE_LIMIT):
        return True
    return a["q1"] <= b["q3"] and b["q1"] <= a["q3"]


def ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or not a["median"]:
        return None
    return b["median"] / a["median"]


def summarize_samples(samples: list[dict]) -> dict:
    """Every registered figure over the samples that succeeded, per kernel program, the sweep,
    and whether the first and second halves of the rounds agree on each headline figure."""
    good = [s for s in samples if s.get("ok")]
    out = {m.key: summarize([(s.get("figures") or {}).get(m.key) for s in good]) for m in METRICS}
    per_prog: dict[str, dict[str, list]] = {}
    for s in good:
        for p in s.get("programs", []):
            acc = per_prog.setdefault(p.get("name") or f"id{p.get('prog_id')}", {})
            for key in PER_PROGRAM:
                acc.setdefault(key, []).append(p.get(key))
    out["programs"] = {name: {k: summarize(v) for k, v in acc.items()} for name, acc in sorted(per_prog.items())}
    maps_memlock = [sum(m.get("memlock", 0) for m in s.get("maps", [])) for s in good if s.get("maps")]
    out["maps_memlock_bytes"] = summarize(maps_memlock)
    out["max_rate_bound"] = _rate_bound(good)
    out["sweep"] = summarize_sweep(good)
    out["halves"] = halves(good)
    frames: dict[str, list] = {}
    for s in good:
        for f in s.get("frames") or []:
            frames.setdefault(f["frame"], []).append(f.get("ns_per_run"))
    out["frames"] = {name: summarize(v) for name, v in frames.items()}
    return out


def _rate_bound(good: list[dict]) -> str | None:
    """'workload' when in most runs nothing was lost even unpaced: the rate is then a lower bound."""
    bounds = [s.get("max_rate_bound") for s in good if (s.get("figures") or {}).get("max_sustainable_rate")]
    if not bounds:
        return None
    return "workload" if sum(b == "workload" for b in bounds) * 2 > len(bounds) else "variant"


def summarize_sweep(good: list[dict]) -> list[dict]:
    """Per offered rate of the ladder (the rates every run tried), the median delivered fraction,
    delivered rate and userspace CPU per event."""
    by_rate: dict[int, list[dict]] = {}
    for s in good:
        for point in s.get("sweep") or []:
            if point.get("ladder"):
                by_rate.setdefault(point["offered_rate"], []).append(point)
    out = []
    for rate in sorted(by_rate):
        pts = by_rate[rate]
        out.append({
            "offered_rate": rate,
            "n": len(pts),
            "achieved_rate": summarize([p.get("achieved_rate") for p in pts]),
            "delivered_frac": summarize([p.get("delivered_frac") for p in pts]),
            "delivered_rate": summarize([p["achieved_rate"] * p["delivered_frac"] for p in pts
                                         if p.get("achieved_rate") is not None and p.get("delivered_frac") is not None]),
            "cpu_ns_per_event": summarize([p.get("cpu_ns_per_event") for p in pts]),
        })
    return out


def halves(good: list[dict]) -> dict[str, dict]:
    """Each headline figure over the first and the second half of the rounds (in round order)."""
    ordered = sorted(good, key=lambda s: s.get("round", 0))
    if len(ordered) < 2:
        return {}
    mid = len(ordered) // 2
    first, second = ordered[:mid], ordered[len(ordered) - mid:]
    out = {}
    for m in HEADLINE:
        a = summarize([(s.get("figures") or {}).get(m.key) for s in first])
        b = summarize([(s.get("figures") or {}).get(m.key) for s in second])
        if a and b:
            out[m.key] = {"first": a["median"], "second": b["median"], "ratio": ratio(a, b), "agree": agree(a, b)}
    return out
