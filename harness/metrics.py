"""Median, spread and the instability flag of repeated measurements."""
from __future__ import annotations

import statistics

SPREAD_LIMIT = 0.10  # IQR wider than 10% of the median is flagged (pyperf warns at 10% too)


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


# The per-run figures summarised for every program, with their units.
FIGURES = {
    "ready_ms": "ms",
    "first_event_ms": "ms",
    "peak_rss_kib": "KiB",
    "steady_rss_kib": "KiB",
    "user_cpu_ms": "ms",
    "sys_cpu_ms": "ms",
    "received": "events",
    "drops": "events",
    "cpu_ns_per_event": "ns",
    "kernel_ns_per_event": "ns",
    "storm_ms": "ms",
}


def summarize_samples(samples: list[dict]) -> dict:
    """Every figure over the samples that succeeded, plus per kernel program."""
    good = [s for s in samples if s.get("ok")]
    out = {name: summarize([s.get(name) for s in good]) for name in FIGURES}
    per_prog: dict[str, dict[str, list]] = {}
    for s in good:
        for p in s.get("programs", []):
            acc = per_prog.setdefault(p.get("name") or f"id{p.get('prog_id')}", {})
            for key in ("ns_per_run", "run_cnt", "verified_insns", "jited_bytes", "xlated_bytes", "memlock"):
                acc.setdefault(key, []).append(p.get(key))
    out["programs"] = {name: {k: summarize(v) for k, v in acc.items()} for name, acc in sorted(per_prog.items())}
    maps_memlock = [sum(m.get("memlock", 0) for m in s.get("maps", [])) for s in good if s.get("maps")]
    out["maps_memlock_bytes"] = summarize(maps_memlock)
    return out
