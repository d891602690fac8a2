"""results.json -> the Markdown tables, the plots and results/README.md. Nothing is computed twice:
every figure shown here is read from the document."""
from __future__ import annotations

from pathlib import Path

from tabulate import tabulate

from .results import write_atomic

PROGRAMS = ("hello", "opensnoop")


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def cell(stat: dict | None, scale: float = 1.0, digits: int = 1, why: str = "not measured") -> str:
    """median (IQR; min-max), with a warning mark when the spread is wide."""
    if not stat:
        return why
    s = scale
    text = f"{fmt(stat['median'] * s, digits)} (IQR {fmt(stat['iqr'] * s, digits)}; {fmt(stat['min'] * s, digits)}–{fmt(stat['max'] * s, digits)})"
    return text + (" ⚠" if stat.get("unstable") else "")


def relative(values: dict[str, float | None], exclude: set[str] = frozenset()) -> dict[str, str]:
    """hyperfine's Relative column: each median against the best (lowest) one. References
    (bpftrace, the floor) get a figure too but are not the yardstick unless nothing else is."""
    present = {k: v for k, v in values.items() if v is not None and v > 0}
    if not present:
        return {k: "-" for k in values}
    best = min(v for k, v in present.items() if k not in exclude) if set(present) - exclude else min(present.values())
    return {k: f"{v / best:.2f}" if k in present else "-" for k, v in values.items()}


def _name(v: dict) -> str:
    return f"{v['name']} *(reference)*" if v.get("role") == "reference" else v["name"]


def _not_ok(v: dict) -> str:
    return f"{v['status']}: {v.get('reason') or 'no reason recorded'}"


def _md(headers: list[str], rows: list[list]) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True) + "\n"


EVENT_FIGURES = {"first_event_ms", "received", "drops", "cpu_ns_per_event", "storm_ms"}


def _why_unmeasured(v: dict, key: str, runs_ok: bool) -> str:
    if not runs_ok:
        return "not measured"  # the Status column says why
    if not v.get("emits_events", True) and key in EVENT_FIGURES:
        return "not measured: no events by design"
    if key == "drops":
        return "not measured: no summary line"
    return "not measured"


def _runtime_table(doc: dict, title: str, columns: list[tuple[str, str, float, int]], rel_key: str) -> str:
    """One table per program: a column per figure (header, key, scale, digits), plus Relative on rel_key."""
    out = [f"# {title}\n"]
    for prog in PROGRAMS:
        rows, rel_in, references = [], {}, set()
        for v in doc["variants"]:
            rt = (v.get("runtime") or {}).get(prog)
            if not rt:
                rows.append([_name(v)] + ["-"] * len(columns) + ["-", "not run" if v["status"] == "ok" else _not_ok(v)])
                continue
            summ = rt["summary"]
            rel_in[v["name"]] = (summ.get(rel_key) or {}).get("median")
            if v.get("role") == "reference":
                references.add(v["name"])
            row = [_name(v)] + [cell(summ.get(key), scale, digits, _why_unmeasured(v, key, rt["status"] == "ok")) for _, key, scale, digits in columns]
            rows.append(row + [None, "ok" if rt["status"] == "ok" else f"{rt['status']}: {rt['reason']}"])
        rel = relative(rel_in, exclude=references)
        for row, v in zip(rows, doc["variants"]):
            if row[-2] is None:
                row[-2] = rel.get(v["name"], "-")
        out.append(f"## {prog}\n")
        out.append(_md(["Variant"] + [h for h, *_ in columns] + ["Relative", "Status"], rows))
    return "\n".join(out)


def startup_table(doc: dict) -> str:
    return _runtime_table(doc, "Startup", [
        ("exec → header (ms)", "ready_ms", 1, 1),
        ("exec → first event (ms)", "first_event_ms", 1, 1),
    ], "first_event_ms")


def memory_table(doc: dict) -> str:
    return _runtime_table(doc, "Memory", [
        ("Peak RSS (MiB)", "peak_rss_kib", 1 / 1024, 1),
        ("Steady RSS after the load (MiB)", "steady_rss_kib", 1 / 1024, 1),
        ("User CPU, whole run (ms)", "user_cpu_ms", 1, 1),
        ("System CPU, whole run (ms)", "sys_cpu_ms", 1, 1),
    ], "peak_rss_kib")


def throughput_table(doc: dict) -> str:
    opens = doc.get("config", {}).get("opens")
    return _runtime_table(doc, f"Throughput: a storm of {opens:,} events per run" if opens else "Throughput", [
        ("Events received (events)", "received", 1, 0),
        ("Drops (events)", "drops", 1, 0),
        ("Userspace CPU per event (ns)", "cpu_ns_per_event", 1, 0),
        ("Kernel per event (ns)", "kernel_ns_per_event", 1, 0),
        ("Storm → last event (ms)", "storm_ms", 1, 1),
    ], "kernel_ns_per_event")


def kernel_table(doc: dict) -> str:
    out = ["# Kernel: per BPF program\n",
           "run_time_ns / run_cnt of each program while `kernel.bpf_stats_enabled` was 1, and what "
           "`/proc/PID/fdinfo` and `bpftool prog show` report for its fd.\n"]
    rows = []
    for v in doc["variants"]:
        rt = v.get("runtime") or {}
        if not rt:
            rows.append([_name(v), "-", "-", "-", "-", "-", "-", "-", _not_ok(v)])
            continue
        for prog in PROGRAMS:
            r = rt.get(prog)
            if not r:
                continue
            progs = r["summary"].get("programs") or {}
            maps = r["summary"].get("maps_memlock_bytes")
            if not progs:
                rows.append([_name(v), prog, "-", "-", "-", "-", "-", cell(maps, digits=0), f"{r['status']}: {r['reason']}"])
            for bpf_name, p in progs.items():
                rows.append([
                    _name(v), prog, bpf_name,
                    cell(p.get("ns_per_run"), digits=0, why="never ran"),
                    fmt((p.get("verified_insns") or {}).get("median"), 0),
                    fmt((p.get("jited_bytes") or {}).get("median"), 0),
                    fmt((p.get("memlock") or {}).get("median"), 0),
                    cell(maps, digits=0),
                    "ok" if r["status"] == "ok" else f"{r['status']}: {r['reason']}",
                ])
    out.append(_md(["Variant", "Program", "BPF program", "Kernel time per run (ns)", "Verified insns (count)",
                    "JITed size (bytes)", "Program memlock (bytes)", "Maps memlock, all maps (bytes)", "Status"], rows))
    return "\n".join(out)


def build_table(doc: dict) -> str:
    rows = []
    for v in doc["variants"]:
        b = v.get("build") or {}
        deps = b.get("dependencies") or {}
        fw = v.get("framework") or {}
        rows.append([
            _name(v), v.get("language", "-"), f"{fw.get('name', '-')} {fw.get('version', '')}".strip(),
            v.get("libbpf") or "none",
            fmt(b.get("clean_build_s")), fmt(b.get("incremental_build_s"), 2),
            str(deps["count"]) if deps.get("count") is not None else "-",
            "ok" if v["status"] == "ok" else _not_ok(v),
        ])
    tc = doc.get("toolchains") or {}
    tc_rows = [[n, t["version"] or f"absent: {t['reason']}"] for n, t in sorted(tc.items())]
    return ("# Build\n\n"
            "*Clean build*: the manifest's clean command, then its build command, wall clock. Every compiled "
            "artifact is rebuilt (the Go variants keep their build cache in their own build/ folder, as Cargo "
            "keeps target/); downloaded sources (Go module cache, Cargo registry) are kept. *No-change build*: "
            "the build command again right after. *Dependencies*: third-party packages in the lock file.\n\n"
            + _md(["Variant", "Language", "Framework", "libbpf linked", "Clean build (s)",
                                 "No-change build (s)", "Dependencies (count)", "Status"], rows)
            + "\n## Toolchains\n\n" + _md(["Toolchain", "Version"], tc_rows))


def size_table(doc: dict) -> str:
    out = ["# Size\n"]
    for prog in PROGRAMS:
        rows, sizes = [], {}
        for v in doc["variants"]:
            e = ((v.get("elf") or {}).get(prog) or {}).get("executable")
            if not e or "error" in e:
                rows.append([_name(v), "-", "-", "-", "-", "-", (e or {}).get("error") or _not_ok(v)])
                continue
            sizes[v["name"]] = e.get("stripped_bytes")
            emb = e.get("embedded_bpf") or []
            where = ", ".join(f"{x.get('section') or '?'} ({x.get('endianness')}, {x.get('size_bytes'):,} B)" for x in emb) or "not embedded"
            rows.append([_name(v), fmt(e["size_bytes"] / 1024, 0), fmt(e["stripped_bytes"] / 1024, 0) if e.get("stripped_bytes") else "-",
                         None, ", ".join(e.get("needed") or []) or "none (static)", where, "ok"])
        rel = relative(sizes)
        for row, v in zip(rows, doc["variants"]):
            if row[3] is None:
                row[3] = rel.get(v["name"], "-")
        out.append(f"## {prog}\n")
        out.append(_md(["Variant", "Executable (KiB)", "Stripped (KiB)", "Relative (stripped)", "Shared libraries (DT_NEEDED)",
                        "Embedded BPF object", "Status"], rows))
    return "\n".join(out)


def _across_variants(doc: dict, prog: str) -> str:
    """The same program from every compiler and framework: instruction counts side by side."""
    firsts = []
    for v in doc["variants"]:
        objs = [o for o in ((v.get("elf") or {}).get(prog) or {}).get("objects") or [] if "error" not in o]
        if objs:
            firsts.append((v, objs[0]))
    if not firsts:
        return ""
    names = list(dict.fromkeys(p["name"] for _, o in firsts for p in o.get("programs", [])))
    rows = []
    for v, o in firsts:
        insns = {p["name"]: p["insns"] for p in o.get("programs", [])}
        kinds = sorted({m.get("kind", "?") for m in o.get("maps", [])})
        rows.append([_name(v)] + [fmt(insns.get(n), 0) for n in names] + [
            fmt(o.get("text_insns"), 0), ", ".join(kinds) or "none", fmt(o.get("btf_bytes"), 0),
            fmt(o.get("btf_ext_bytes"), 0), fmt(o.get("core_relocs"), 0), fmt(o.get("size_bytes"), 0)])
    return (f"### {prog}: the same program across variants (first object of each)\n\n"
            + _md(["Variant"] + [f"{n} (insns)" for n in names]
                  + [".text (insns)", "Map definitions", "BTF (bytes)", "BTF.ext (bytes)", "CO-RE relocations (count)",
                     "Object (bytes)"], rows))


def elf_table(doc: dict) -> str:
    out = ["# ELF: the BPF objects\n"]
    for prog in PROGRAMS:
        rows = []
        for v in doc["variants"]:
            for o in ((v.get("elf") or {}).get(prog) or {}).get("objects") or []:
                if "error" in o:
                    rows.append([_name(v), o["path"], o["error"]] + ["-"] * 7)
                    continue
                progs = "; ".join(f"{p['name']} ({p['section']}, {p['type']}): {p['insns']}" for p in o.get("programs", []))
                maps = ", ".join(f"{m['name']} ({m['type']}, {m.get('kind', '?')})" for m in o.get("maps", []))
                globs = ", ".join(f"{g['section']} {g['size_bytes']} B" for g in o.get("global_data", []))
                rows.append([_name(v), o["path"], o.get("endianness"), progs, maps or "none", globs or "none",
                             o.get("license") or "-", fmt(o.get("btf_bytes"), 0), fmt(o.get("btf_ext_bytes"), 0),
                             fmt(o.get("core_relocs"), 0)])
        out.append(f"## {prog}\n")
        out.append(_md(["Variant", "Object", "Endianness", "Programs (section, type): instructions", "Maps (type, definition)",
                        "Global data", "License", "BTF (bytes)", "BTF.ext (bytes)", "CO-RE relocations (count)"], rows))
        out.append(_across_variants(doc, prog))
        cmp_rows = []
        for v in doc["variants"]:
            c = ((v.get("elf") or {}).get(prog) or {}).get("comparison")
            if c:
                cmp_rows.append([_name(v), ", ".join(c.get("endianness", [])), "yes" if c.get("same_programs") else "no",
                                 "yes" if c.get("same_insns") else "no", "; ".join(c.get("differences", [])) or "none"])
        if cmp_rows:
            out.append(f"### {prog}: objects of one variant compared (bpf2go's bpfel and bpfeb)\n")
            out.append(_md(["Variant", "Byte orders", "Same programs", "Same instruction counts", "Differences"], cmp_rows))
    return "\n".join(out)


TABLES = {
    "build.md": build_table,
    "size.md": size_table,
    "elf.md": elf_table,
    "kernel.md": kernel_table,
    "startup.md": startup_table,
    "memory.md": memory_table,
    "throughput.md": throughput_table,
}


def render_tables(doc: dict) -> dict[str, str]:
    return {name: fn(doc) for name, fn in TABLES.items()}


def render_plots(doc: dict) -> dict[str, bytes]:
    """Bars at the median, IQR as the thick error bar, min-max as the thin one."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {
        "startup.png": ("first_event_ms", 1, "exec → first event (ms)"),
        "memory.png": ("peak_rss_kib", 1 / 1024, "peak RSS (MiB)"),
        "kernel_ns.png": ("kernel_ns_per_event", 1, "kernel time per event (ns)"),
    }
    out = {}
    for fname, (key, scale, label) in figures.items():
        fig, axes = plt.subplots(1, len(PROGRAMS), figsize=(11, 4.2))
        for ax, prog in zip(axes, PROGRAMS):
            names, med, lo, hi, mn, mx = [], [], [], [], [], []
            for v in doc["variants"]:
                st = (((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get(key)
                if not st:
                    continue
                names.append(v["name"])
                med.append(st["median"] * scale)
                lo.append((st["median"] - st["q1"]) * scale)
                hi.append((st["q3"] - st["median"]) * scale)
                mn.append((st["median"] - st["min"]) * scale)
                mx.append((st["max"] - st["median"]) * scale)
            y = range(len(names))
            ax.barh(y, med, color="#4c72b0")
            ax.errorbar(med, y, xerr=[mn, mx], fmt="none", ecolor="#999999", elinewidth=1, capsize=3)
            ax.errorbar(med, y, xerr=[lo, hi], fmt="none", ecolor="black", elinewidth=3)
            ax.set_yticks(list(y), names)
            ax.invert_yaxis()
            ax.set_title(prog)
            ax.set_xlabel(label)
            if not names:
                ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        fig.suptitle(f"{label}: median, IQR (black), min–max (grey)")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        out[fname] = buf.getvalue()
    return out


def headline_table(doc: dict) -> str:
    """opensnoop at a glance: the medians of the figures a reader compares first."""
    rows = []
    for v in doc["variants"]:
        rt = (v.get("runtime") or {}).get("opensnoop")
        summ = (rt or {}).get("summary") or {}
        exe = ((v.get("elf") or {}).get("opensnoop") or {}).get("executable") or {}

        def med(key, scale=1.0, digits=1):
            st = summ.get(key)
            return fmt(st["median"] * scale, digits) + (" ⚠" if st.get("unstable") else "") if st else "-"
        stripped = exe.get("stripped_bytes")
        rows.append([_name(v), med("first_event_ms"), med("peak_rss_kib", 1 / 1024), med("kernel_ns_per_event", digits=0),
                     med("cpu_ns_per_event", digits=0), med("received", digits=0), med("drops", digits=0),
                     fmt(stripped / 1024, 0) if stripped else "-", v["status"]])
    opens = (doc.get("config") or {}).get("opens")
    return _md(["Variant", "exec → first event (ms)", "Peak RSS (MiB)", "Kernel per event (ns)",
                "Userspace CPU per event (ns)", f"Events received of {opens:,}" if opens else "Events received",
                "Drops (events)", "Stripped executable (KiB)", "Status"], rows)


def render_readme(doc: dict) -> str:
    m = doc.get("machine") or {}
    cfg = doc.get("config") or {}
    status = [[_name(v), v["status"], v.get("reason") or ""] for v in doc["variants"]]
    return f"""# Results

The reference run of `nox -s benchmark` on the project's own machine. Every table here is
rendered from `results.json` (the raw samples are in it); `python -m harness report` renders
them again.

## The machine

| | |
|---|---|
| Kernel | {m.get('kernel')} ({m.get('arch')}) |
| CPU | {m.get('cpu')}, {m.get('cores')} cores |
| Memory | {m.get('memory_gib')} GiB |
| Distribution | {m.get('distro')} |
| Date | {m.get('date')} |
| Harness commit | {m.get('harness_commit')} |

## opensnoop at a glance

Medians; the tables below give the spread of each and hello's figures.

{headline_table(doc)}
## Variants

{_md(["Variant", "Status", "Reason"], status)}
## How to read the tables

- [build.md](build.md): clean and no-change build time, toolchain versions, the libbpf each
  variant links, third-party packages in its lock file.
- [size.md](size.md): executable size as built and stripped, shared libraries (DT_NEEDED), and
  where the BPF object sits inside the executable.
- [elf.md](elf.md): the BPF objects: programs, sections, instruction counts, maps and how they are
  defined (BTF `.maps` or legacy `maps`), global data, BTF and BTF.ext sizes, CO-RE relocations;
  bpf2go's little- and big-endian objects side by side.
- [kernel.md](kernel.md): per loaded program: kernel time per run, verified instructions, JITed
  size, memlock.
- [startup.md](startup.md), [memory.md](memory.md), [throughput.md](throughput.md): the runtime
  figures; plots in `startup.png`, `memory.png`, `kernel_ns.png`.

A cell reads `median (IQR q3−q1; min–max)` over {cfg.get('runs')} measured runs per figure, after
{cfg.get('warmup')} discarded warm-up round(s). ⚠ marks a figure whose IQR is wider than 10% of its
median: read it as noisy, not as a difference between frameworks. `Relative` divides each median
by the best (lowest) one. A figure that could not be measured says so; it is never shown as 0.

## Method

- Runs are interleaved: each round runs every variant once (rotating the order), so a slow
  period of the machine spreads over all variants instead of landing on one.
- Each run starts the executable as its own child and reads its stdout live.
  **exec → header** is the time to the header line, printed once every program is attached.
  **exec → first event**: from the exec on, a compiled helper opens a unique missing path (hello:
  makes a failing `execve` under a unique comm) every millisecond; the time is when the first line
  carrying that marker is read.
- **Throughput**: the compiled load generator (`harness/loadgen.c`) then makes {cfg.get('opens'):,}
  opens of a unique file (hello: {cfg.get('opens'):,} failing `execve` calls) as fast as it can.
  *Events received* counts the lines for that file; *drops* is the BPF-side counter of failed
  ring-buffer reservations from the variant's summary line (not measured when a variant prints
  none). *Userspace CPU per event* is the CPU time of all the variant's threads during the storm
  (`/proc/PID/task/*/schedstat`) divided by the events received.
- **Kernel**: `kernel.bpf_stats_enabled` is set to 1 for the benchmark and restored afterwards.
  *Kernel per event* sums run_time_ns over the variant's programs and divides by the largest
  run_cnt among them (one open = one enter and one exit program run), read from
  `/proc/PID/fdinfo` just before the variant is stopped. The counts include every process's opens
  during the run, not just the load generator's. It includes what `bpf_ringbuf_submit` spends
  waking a consumer asleep in epoll: a userspace that keeps up (and so sleeps between events) can
  cost more kernel time per event than one that lags behind and drops. Read it next to *Drops*.
- **Memory**: peak RSS is `ru_maxrss` from `wait4` of that child alone. The child is forked by
  a small C launcher (`harness/spawn.c`), not by Python: Linux folds the forked image's RSS into
  `ru_maxrss` at exec, so a child forked from the harness would report the harness's ~30 MiB as
  its floor. Steady RSS is `VmRSS` right after the storm; the kernel updates the high-water mark
  lazily, so a peak can read a little below a steady sample.
- Each run ends with SIGINT (SIGKILL after 10 s, reported as a hang) and then checks that none of
  the programs, maps or links the variant held is still loaded; a leak fails the run.
"""


def write_report(doc: dict, out: Path) -> list[Path]:
    """Write every table, plot and the README; the caller wraps this in no_interrupt()."""
    written = []
    for name, text in render_tables(doc).items():
        write_atomic(out / name, text)
        written.append(out / name)
    for name, data in render_plots(doc).items():
        write_atomic(out / name, data)
        written.append(out / name)
    write_atomic(out / "README.md", render_readme(doc))
    written.append(out / "README.md")
    return written
