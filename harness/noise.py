"""What else the machine was doing: CPU placement of the run, and the noise around each
measured window (other processes' CPU time, steal, load average, CPU frequency)."""
from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

_TICK_NS = 1e9 / os.sysconf("SC_CLK_TCK")
BUSY_OTHER_PCT = 10.0  # other processes took more than 10% of one CPU: a busy machine
BUSY_STEAL_PCT = 5.0   # the hypervisor took more than 5% of the CPUs' time


@dataclass(frozen=True)
class Placement:
    """Which CPU runs what. On two or more CPUs the variant gets a CPU of its own; the workload
    and the harness share another, and the harness sleeps while the workload runs."""
    workload: int | None
    variant: int | None
    harness: int | None
    cpus: tuple[int, ...]

    @classmethod
    def choose(cls) -> "Placement":
        cpus = tuple(sorted(os.sched_getaffinity(0)))
        if len(cpus) < 2:
            return cls(None, None, None, cpus)
        return cls(workload=cpus[0], variant=cpus[1], harness=cpus[0], cpus=cpus)

    def apply_to_harness(self) -> None:
        if self.harness is not None:
            os.sched_setaffinity(0, {self.harness})

    def to_json(self) -> dict:
        if self.variant is None:
            note = (f"one CPU ({self.cpus[0] if self.cpus else '?'}): the workload, the variant and the "
                    "harness share it; overhead and rates include their competition")
        else:
            note = (f"workload and harness on CPU {self.workload}, the variant alone on CPU {self.variant}; "
                    "the harness sleeps while the workload runs")
        return {"workload_cpu": self.workload, "variant_cpu": self.variant, "harness_cpu": self.harness,
                "cpus": list(self.cpus), "note": note}


def _cpu_ticks() -> tuple[float, float, float]:
    """(busy, steal, total) ns of all CPUs since boot, from /proc/stat's first line."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy * _TICK_NS, steal * _TICK_NS, (busy + idle + iowait + steal) * _TICK_NS


def _self_cpu_ns() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e9


def load_average() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cpu_mhz() -> list[float]:
    """Current frequency of each CPU, where the kernel tells it (cpufreq, else /proc/cpuinfo)."""
    out = []
    for cpu in sorted(Path("/sys/devices/system/cpu").glob("cpu[0-9]*")):
        f = cpu / "cpufreq" / "scaling_cur_freq"
        try:
            out.append(int(f.read_text()) / 1000)
        except (OSError, ValueError):
            pass
    if out:
        return out
    try:
        return [float(line.split(":")[1]) for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("cpu MHz")]
    except (OSError, ValueError, IndexError):
        return []


class Window:
    """CPU time the rest of the machine used while a run was measured: all CPUs' busy time
    minus the variant's, the workload's and the harness's own. /proc/stat counts in ticks, so
    the figure is an estimate to a few ms; it is for flagging a busy machine, not a result."""

    def __init__(self):
        self.t0 = time.monotonic_ns()
        self.busy0, self.steal0, self.total0 = _cpu_ticks()
        self.self0 = _self_cpu_ns()
        self.load = load_average()

    def close(self, variant_cpu_ns: float, workload_cpu_ns: float) -> dict:
        wall = time.monotonic_ns() - self.t0
        busy, steal, total = _cpu_ticks()
        harness = _self_cpu_ns() - self.self0
        other = max(0.0, (busy - self.busy0) - variant_cpu_ns - workload_cpu_ns - harness)
        span = max(total - self.total0, 1.0)
        return {
            "window_s": round(wall / 1e9, 3),
            "other_cpu_pct": round(100.0 * other / max(wall, 1), 1),   # of one CPU
            "steal_pct": round(100.0 * (steal - self.steal0) / span, 2),  # of all CPUs' time
            "harness_cpu_ms": round(harness / 1e6, 1),
            "load_average": self.load,
            "cpu_mhz": cpu_mhz(),
        }


def busy(noise: dict) -> bool:
    return (noise.get("other_cpu_pct") or 0) > BUSY_OTHER_PCT or (noise.get("steal_pct") or 0) > BUSY_STEAL_PCT
