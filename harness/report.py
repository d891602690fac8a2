"""results.json -> the Markdown tables, the plots and results/README.md. Nothing is computed twice:
every figure shown here is read from the document."""
from __future__ import annotations

from pathlib import Path

from .tables import figure, fmt, markdown

from .metrics import ALIKE, BY_KEY, HEADLINE, METRICS, Metric, agree, is_bound
from .noise import BUSY_OTHER_PCT, BUSY_STEAL_PCT
from .programs import PROGRAMS, REQUIRED, SPECS, of_kind
from .results import write_atomic

TRACE = of_kind("trace")


def present(doc: dict, programs: tuple[str, ...] = PROGRAMS) -> tuple[str, ...]:
    """The programs this document has anything of (a run or an inspected object): the tables
    show a section for these only, so that a document without xdp renders as before."""
    return tuple(p for p in programs if p in REQUIRED or any(
        p in (v.get("runtime") or {}) or p in (v.get("elf") or {}) for v in doc["variants"]))


def metrics_for(prog: str, table: str | None = None) -> list[Metric]:
    return [m for m in METRICS if m.applies(prog) and (table is None or m.table == table)]


def _lacks(v: dict, prog: str) -> str | None:
    """Why a variant has no such program (its manifest says), or None."""
    why = (v.get("lacks") or {}).get(prog)
    return f"no {prog}: {why}" if why else None


def cell(stat: dict | None, scale: float = 1.0, digits: int = 1, why: str = "not measured") -> str:
    """median (IQR; min–max), with a warning mark when the spread is wide."""
    return figure(stat, scale, digits, "full") if stat else why


def relative(values: dict[str, float | None], exclude: set[str] = frozenset(), better: str = "lower") -> dict[str, str]:
    """hyperfine's Relative column: each median against the best one (the lowest, or the highest
    for a figure where higher is better). References (bpftrace, the floor) get a figure too but
    are not the yardstick unless nothing else is."""
    present = {k: v for k, v in values.items() if v is not None and v > 0}
    if not present:
        return {k: "-" for k in values}
    pool = [v for k, v in present.items() if k not in exclude] or list(present.values())
    best = min(pool) if better == "lower" else max(pool)
    return {k: f"{v / best:.2f}" if k in present else "-" for k, v in values.items()}


def _name(v: dict) -> str:
    return f"{v['name']} *(reference)*" if v.get("role") == "reference" else v["name"]


def _not_ok(v: dict) -> str:
    if v.get("known_unavailable"):
        return f"cannot run here: {v.get('reason') or 'no reason recorded'}"
    return f"{v['status']}: {v.get('reason') or 'no reason recorded'}"


def _md(headers: list[str], rows: list[list]) -> str:
    return markdown(headers, rows)


def _why_unmeasured(v: dict, m: Metric, runs_ok: bool) -> str:
    if not runs_ok:
        return "not measured"  # the Status column says why
    if not v.get("emits_events", True) and m.needs_events:
        return "not measured: no events by design"
    if m.derived and m.derived.yardstick == "floor" and not v.get("emits_events", True):
        return "- (the floor itself)"
    return f"not measured: {m.unmeasured}" if m.unmeasured else "not measured"


def metric_cell(m: Metric, summ: dict, why: str) -> str:
    text = cell(summ.get(m.key), m.scale, m.digits, why)
    return "≥ " + text if is_bound(m, summ) else text


def _relative_cells(doc: dict, prog: str, m: Metric) -> dict[str, str]:
    """Relative to the best, and '≈' where the spread of the two overlaps: not a difference."""
    stats, references = {}, set()
    for v in doc["variants"]:
        rt = (v.get("runtime") or {}).get(prog)
        if rt and rt["status"] == "ok":
            stats[v["name"]] = rt["summary"].get(m.key)
            if v.get("role") == "reference":
                references.add(v["name"])
    rel = relative({k: (st or {}).get("median") for k, st in stats.items()}, references, m.better)
    pool = {k: st for k, st in stats.items() if st and st["median"] > 0 and k not in references} or \
        {k: st for k, st in stats.items() if st and st["median"] > 0}
    if not pool:
        return rel
    pick = min if m.better == "lower" else max
    best = pool[pick(pool, key=lambda k: pool[k]["median"])]
    for k, st in stats.items():
        if st and rel.get(k, "-") != "-" and st is not best and agree(st, best):
            rel[k] += " ≈"
    return rel


def _runtime_table(doc: dict, table: str, title: str, intro: str = "",
                   programs: tuple[str, ...] | None = None) -> str:
    """One section per program that has figures in this table: a column per registered metric
    of this table and the program's kind, plus Relative on the first headline metric (or the
    first metric)."""
    out = [f"# {title}\n"] + ([intro] if intro else []) + ([_busy_warning(doc)] if _busy_warning(doc) else [])
    for prog in present(doc, programs or PROGRAMS):
        metrics = metrics_for(prog, table)
        if not metrics:
            continue
        rel_metric = next((m for m in metrics if m.headline), metrics[0])
        rows = []
        rel = _relative_cells(doc, prog, rel_metric)
        for v in doc["variants"]:
            rt = (v.get("runtime") or {}).get(prog)
            if not rt:
                rows.append([_name(v)] + ["-"] * len(metrics) + [
                    "-", _lacks(v, prog) or ("not run" if v["status"] == "ok" else _not_ok(v))])
                continue
            ok = rt["status"] == "ok"
            summ = rt["summary"]
            rows.append([_name(v)] + [metric_cell(m, summ, _why_unmeasured(v, m, ok)) for m in metrics]
                        + [rel.get(v["name"], "-"), "ok" if ok else f"{rt['status']}: {rt['reason']}"])
        out.append(f"## {prog}\n")
        out.append(_md(["Variant"] + [m.header for m in metrics] + [f"Relative ({rel_metric.label})", "Status"], rows))
    out.append(_method(table, {SPECS[p].kind for p in present(doc, programs or PROGRAMS)}))
    if _deviations(doc):
        out.append(_deviations(doc))
    return "\n".join(out)


def _deviations(doc: dict) -> str:
    """What a variant declares it does differently from docs/programs.md: read its figures with it."""
    lines = [f"- {v['name']}: {d}" for v in doc["variants"] for d in v.get("deviations") or ()]
    return "Declared deviations from the contract (variant.yaml):\n\n" + "\n".join(lines) + "\n" if lines else ""


def _busy_warning(doc: dict) -> str:
    n = doc.get("noise") or {}
    busy, runs = n.get("busy_runs") or 0, n.get("runs") or 0
    if runs and busy * 10 > runs:
        return (f"> **Taken on a busy machine**: in {busy} of {runs} runs other processes used more than "
                f"{BUSY_OTHER_PCT:.0f}% of a CPU or the hypervisor stole more than {BUSY_STEAL_PCT:.0f}% "
                "(see README.md). Read small differences with care.\n")
    return ""


def _method(table: str, kinds: set[str] = frozenset({"trace"})) -> str:
    lines = [f"- *{m.label}*{'' if 'trace' in m.kinds else ' (' + ', '.join(p for k in m.kinds for p in of_kind(k)) + ')'}: {m.method}."
             for m in METRICS if m.table == table and m.method and kinds & set(m.kinds)]
    return "How each figure was taken:\n\n" + "\n".join(lines) + "\n" if lines else ""


def startup_table(doc: dict) -> str:
    return _runtime_table(doc, "startup.md", "Startup")


def memory_table(doc: dict) -> str:
    return _runtime_table(doc, "memory.md", "Memory")


def overhead_table(doc: dict) -> str:
    base = doc.get("baseline_summary") or {}
    rows = [[p, cell((base.get(p) or {}).get("ns_per_op"), digits=0), cell((base.get(p) or {}).get("rate"), digits=0)]
            for p in TRACE if p in base]
    ops = (doc.get("config") or {}).get("opens")
    intro = ("What tracing costs the traced workload: the same compiled workload "
             f"({ops:,} open+close of one file for opensnoop, {ops:,} failing execve for hello), " if ops else
             "What tracing costs the traced workload: the same compiled workload, ")
    intro += ("timed by itself, unpaced, with nothing attached and with each variant attached, in the same "
              "rounds. The floor attaches programs that do nothing: its row is the cost of the tracepoints "
              "themselves.\n\nNothing attached:\n\n"
              + (_md(["Program", "Workload per operation (ns)", "Operations per second (events/s)"], rows) if rows
                 else "not measured\n") + "\n")
    return _runtime_table(doc, "overhead.md", "Overhead on the traced workload", intro)


def throughput_table(doc: dict) -> str:
    cfg = doc.get("config") or {}
    intro = ("How many events per second a variant delivers before it loses any. The unpaced storm "
             f"({cfg.get('opens', 0):,} operations as fast as the workload goes) comes first; then a paced "
             f"sweep: {cfg.get('kernel_rate', 0):,} events/s for {cfg.get('kernel_step_s')} s, then doubling "
             f"rates ({cfg.get('step_s')} s each) up to the first rate that loses events (at most "
             f"{cfg.get('max_rate', 0):,}/s, never past the unpaced rate), then {cfg.get('bisect')} bisection "
             "steps between the last rate without loss and the first with.\n\n")
    text = _runtime_table(doc, "throughput.md", "Throughput", intro)
    return text + "\n" + sweep_table(doc)


def sweep_table(doc: dict) -> str:
    out = ["## The sweep: delivered share at each offered rate (median over runs)\n"]
    for prog in TRACE:
        rates = sorted({p["offered_rate"] for v in doc["variants"]
                        for p in (((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get("sweep") or []})
        if not rates:
            continue
        rows = []
        for v in doc["variants"]:
            summ = ((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}
            if not v.get("emits_events", True) or not summ.get("sweep"):
                continue
            pts = {p["offered_rate"]: p for p in summ["sweep"]}
            rows.append([_name(v)] + [
                f"{pts[r]['delivered_frac']['median'] * 100:.1f}%" + (f" (n={pts[r]['n']})" if pts[r]["n"] < (summ.get("ready_ms") or {}).get("n", 0) else "")
                if r in pts and pts[r]["delivered_frac"] else "-" for r in rates])
        out.append(f"### {prog}\n")
        out.append(_md(["Variant"] + [f"{r:,}/s" for r in rates], rows))
    out.append("A rate a run did not reach (it lost events at a lower one, or the workload could not go that "
               "fast) is left out of that rate's median; n says how many runs it has when fewer than all.\n")
    return "\n".join(out)


def identical_objects(doc: dict, prog: str) -> list[list[str]]:
    """Groups of variants whose loaded programs have the same names and verified instruction
    counts: the same object as far as the kernel can tell, so a kernel-time difference between
    them is not the object's."""
    groups: dict[tuple, list[str]] = {}
    for v in doc["variants"]:
        progs = ((((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get("programs")) or {}
        sig = tuple(sorted((n, (p.get("verified_insns") or {}).get("median")) for n, p in progs.items()))
        if sig and all(c is not None for _, c in sig):
            groups.setdefault(sig, []).append(v["name"])
    return [names for names in groups.values() if len(names) > 1]


def kernel_table(doc: dict) -> str:
    cfg = doc.get("config") or {}
    rate = cfg.get("kernel_rate")
    intro = (f"Kernel time per event, taken in one stated regime: a paced load of {rate:,} events/s for "
             f"{cfg.get('kernel_step_s')} s, a rate every variant keeps up with, with `kernel.bpf_stats_enabled` "
             "set to 1 for the benchmark (restored afterwards). It includes what `bpf_ringbuf_submit` spends "
             "waking a consumer asleep in epoll: at this rate every variant's consumer sleeps between events, "
             "so every variant pays that wake-up. The floor row (empty programs on the same tracepoints) is "
             "subtracted, round by round, in the second column.\n\n" if rate else "")
    text = _runtime_table(doc, "kernel.md", "Kernel: time per event", intro, programs=TRACE)
    same = []
    for prog in TRACE:
        for names in identical_objects(doc, prog):
            same.append(f"- {prog}: {', '.join(names)} load the same programs with the same verified instruction "
                        "counts: a difference between them is not their BPF code.")
    if same:
        text += "\nIdentical objects:\n\n" + "\n".join(same) + "\n"
    rows = []
    for v in doc["variants"]:
        rt = v.get("runtime") or {}
        if not rt:
            rows.append([_name(v), "-", "-", "-", "-", "-", "-", "-", _not_ok(v)])
            continue
        for prog in TRACE:
            r = rt.get(prog)
            if not r:
                continue
            progs = r["summary"].get("programs") or {}
            maps = r["summary"].get("maps_memlock_bytes")
            status = "ok" if r["status"] == "ok" else f"{r['status']}: {r['reason']}"
            if not progs:
                rows.append([_name(v), prog, "-", "-", "-", "-", "-", cell(maps, digits=0), status])
            for bpf_name, p in progs.items():
                rows.append([
                    _name(v), prog, bpf_name,
                    cell(p.get("ns_per_run"), digits=0, why="never ran"),
                    fmt((p.get("verified_insns") or {}).get("median"), 0),
                    fmt((p.get("jited_bytes") or {}).get("median"), 0),
                    fmt((p.get("memlock") or {}).get("median"), 0),
                    cell(maps, digits=0), status,
                ])
    text += ("\n## Per BPF program\n\nrun_time_ns / run_cnt of each program during the same fixed-rate step, "
             "and what `/proc/PID/fdinfo` and `bpftool prog show` report for its fd. A program that never ran had "
             "no call of its syscall during the step (nothing on the machine used open(2)).\n\n")
    text += _md(["Variant", "Program", "BPF program", "Kernel time per run (ns)", "Verified insns (count)",
                 "JITed size (bytes)", "Program memlock (bytes)", "Maps memlock, all maps (bytes)", "Status"], rows)
    for prog in present(doc, of_kind("testrun")):
        text += "\n" + testrun_section(doc, prog)
    return text


def _compiler(v: dict) -> str:
    """What compiled the variant's kernel side, from the toolchains its manifest names."""
    tcs = v.get("toolchains") or ()
    if "bpf-linker" in tcs:
        return "rustc + bpf-linker"
    if "bcc" in tcs:
        return "libbcc (clang at run time)"
    return "clang" if any(t.startswith("clang") for t in tcs) else "-"


def _identical_note(doc: dict, prog: str) -> str:
    """Variants that load the same program: the test run times the kernel running it, so
    between them any difference is the measurement's own noise, whatever the framework."""
    groups = identical_objects(doc, prog)
    if not groups:
        return ""
    return ("\nThe same program, loaded: " + "; ".join(", ".join(g) for g in groups)
            + " load the same object as far as the kernel can tell (same verified instruction count). "
              "BPF_PROG_TEST_RUN times the kernel running it, not the framework that asked, so between "
              "these rows a difference is this machine's noise, and the size of that noise.\n")


def testrun_section(doc: dict, prog: str) -> str:
    """A testrun program (xdp): the kernel's ns per run through each framework's test-run API,
    what the framework offers for it, and what the kernel loaded: clang's and rustc's code side
    by side."""
    cfg = doc.get("config") or {}
    frames: list[str] = []
    for v in doc["variants"]:
        for f in ((((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get("frames") or {}):
            if f not in frames:
                frames.append(f)
    m = BY_KEY["testrun_ns"]
    rel = _relative_cells(doc, prog, m)
    rows, code_rows = [], []
    for v in doc["variants"]:
        rt = (v.get("runtime") or {}).get(prog)
        api = (v.get("test_run") or {}).get(prog) or "-"
        fw = v.get("framework") or {}
        fw_name = f"{fw.get('name', '-')} {fw.get('version', '')}".strip()
        if not rt:
            why = _lacks(v, prog) or ("not run" if v["status"] == "ok" else _not_ok(v))
            rows.append([_name(v), fw_name, api, "-"] + ["-"] * len(frames) + ["-", "-", "-", why])
            continue
        ok = rt["status"] == "ok"
        summ = rt.get("summary") or {}
        fs = summ.get("frames") or {}
        modes = sorted({s.get("attach_mode") for s in rt.get("samples") or [] if s.get("attach_mode")})
        rows.append([_name(v), fw_name, api, metric_cell(m, summ, "not measured")]
                    + [fmt((fs.get(f) or {}).get("median"), 0) for f in frames]
                    + [rel.get(v["name"], "-"),
                       cell(summ.get("attached_ns_per_packet"), digits=0),
                       ", ".join(modes) or "-",
                       "ok" if ok else f"{rt['status']}: {rt['reason']}"])
        objs = [o for o in ((v.get("elf") or {}).get(prog) or {}).get("objects") or [] if "error" not in o]
        obj_insns = {p["name"]: p["insns"] for p in (objs[0].get("programs") or [])} if objs else {}
        progs = summ.get("programs") or {}
        if not progs:
            code_rows.append([_name(v), _compiler(v), "-", fmt(sum(obj_insns.values()) if obj_insns else None, 0)]
                             + ["-"] * 4 + [cell(summ.get("maps_memlock_bytes"), digits=0)])
        for name, p in progs.items():
            med = lambda key, p=p: fmt((p.get(key) or {}).get("median"), 0)  # noqa: E731
            code_rows.append([_name(v), _compiler(v), name, fmt(obj_insns.get(name), 0), med("verified_insns"),
                              med("xlated_bytes"), med("jited_bytes"), med("memlock"),
                              fmt((summ.get("maps_memlock_bytes") or {}).get("median"), 0)])
    spec = SPECS[prog]
    repeat = cfg.get("testrun_repeat")
    return (f"## {prog}: {spec.what}\n\n"
            "Timed with `BPF_PROG_TEST_RUN`, the kernel running the program on frames the caller gives it, "
            f"through each framework's own test-run API: `{prog} --bench {repeat or 'N'}` runs each of the five "
            f"built-in frames {f'{repeat:,}' if repeat else 'N'} times in one call and prints the kernel's own "
            "average ns per run (docs/programs.md). `kernel.bpf_stats_enabled` is set to 0 for this call: its "
            "accounting would add two clock reads to every run (about 70 ns here, three times the program). "
            f"Before that, in the same run, `{prog} --test` must pass (verdicts, unchanged frames, counters read "
            "back), and the program is attached once to the host end of a veth pair of the harness's own while "
            "200 UDP datagrams go through it: *Attached, per packet* is run_time_ns / run_cnt over them "
            "(bpf_stats on), *Hook* the XDP hook the kernel used. Every run's figure is the mean over the frames; "
            "the cell is the median over runs (IQR; min–max), the frame columns medians.\n\n"
            + _md(["Variant", "Framework", "Test-run API", f"{m.header}"] + [f"{f} (ns)" for f in frames]
                  + [f"Relative ({m.label})", "Attached, per packet (ns)", "Hook", "Status"], rows)
            + _identical_note(doc, prog)
            + f"\n### {prog}: what the kernel loaded, by compiler\n\n"
              "The same program from the shared C source (clang) and from Aya's Rust (rustc, linked by "
              "bpf-linker): instructions in the object, instructions the verifier walked, translated and JITed "
              "sizes and memlock, as `/proc/PID/fdinfo` and `bpftool prog show` report them once attached.\n\n"
            + _md(["Variant", "Compiled by", "BPF program", "Object (insns)", "Verified insns (count)",
                   "Translated (bytes)", "JITed (bytes)", "Program memlock (bytes)", "Maps memlock (bytes)"],
                  code_rows))


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
    for prog in present(doc):
        rows, sizes = [], {}
        for v in doc["variants"]:
            e = ((v.get("elf") or {}).get(prog) or {}).get("executable")
            if not e or "error" in e:
                rows.append([_name(v), "-", "-", "-", "-", "-", (e or {}).get("error") or _lacks(v, prog) or _not_ok(v)])
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
    for prog in present(doc):
        rows = []
        for v in doc["variants"]:
            entry = (v.get("elf") or {}).get(prog)
            if entry is not None and not entry.get("objects"):
                rows.append([_name(v), "none on disk", "-", "compiled at run time: what the kernel loaded is in "
                             "kernel.md (per BPF program)"] + ["-"] * 6)
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


SOURCE_CATEGORIES = ("userspace", "kernel", "build", "generated")
_CATEGORY_LABEL = {"userspace": "userspace", "kernel": "kernel side", "build": "build", "generated": "generated"}


def _lines_cell(cats: dict, cat: str) -> str:
    d = cats.get(cat)
    if d is None:
        return "none"
    if d.get("code_lines") is not None:
        return f"{d['code_lines']:,}"
    if d.get("missing"):
        return "missing"
    return "not built" if d.get("not_built") else "not counted"


def _complexity_cell(cats: dict, cat: str) -> str:
    d = cats.get(cat)
    if d is None:
        return "none"
    if d.get("complexity_sum") is None:
        return "-"
    return f"{d['complexity_sum']} / {d['complexity_max'] if d.get('complexity_max') is not None else '-'}"


def _source_notes(entry: dict, cats: dict) -> str:
    notes = []
    for cat in SOURCE_CATEGORIES:
        d = cats.get(cat) or {}
        label = _CATEGORY_LABEL[cat]
        notes += [f"{label}: no file matches {g} (variant.yaml)" for g in d.get("missing") or ()]
        notes += [f"{label}: not built: {g}" for g in d.get("not_built") or ()]
        notes += [f"{f['path']}: {f['error']}" for f in d.get("files") or () if f.get("error")]
    if entry.get("unavailable"):
        notes.append("cannot build or run here (variant.yaml)")
    return "; ".join(notes) or "ok"


def source_table(doc: dict) -> str:
    """What each framework costs to write: the `source` block (harness/source.py)."""
    src = doc.get("source") or {}
    entries = src.get("variants") or {}
    if not entries:
        return ("# Source: what each framework costs to write\n\nnot counted in this run: "
                "`python -m harness source` counts it into results.json\n")
    out = ["# Source: what each framework costs to write\n"]
    for prog in PROGRAMS:
        if prog not in TRACE and not any(prog in (e.get("programs") or {}) for e in entries.values()):
            continue
        rows, written, references = [], {}, set()
        for name, e in entries.items():
            if e.get("role") == "reference":
                references.add(name)
            cats = (e.get("programs") or {}).get(prog)
            if not e.get("declared") or cats is None:
                rows.append([name, e.get("language") or "-"] + ["-"] * 8
                            + [e.get("error") or ("not declared in variant.yaml" if prog in TRACE or not e.get("declared")
                                                  else f"no {prog}")])
                continue
            us, k = ((cats.get(c) or {}).get("code_lines") for c in ("userspace", "kernel"))
            written[name] = us + k if us is not None and k is not None else None
            rows.append([name, e.get("language") or "-", _lines_cell(cats, "userspace"), _lines_cell(cats, "kernel"),
                         f"{written[name]:,}" if written[name] is not None else "-", None,
                         _lines_cell(cats, "build"), _lines_cell(cats, "generated"),
                         _complexity_cell(cats, "userspace"), _complexity_cell(cats, "kernel"),
                         _source_notes(e, cats)])
        rel = relative(written, references)
        for row in rows:
            if row[5] is None:
                row[5] = rel.get(row[0], "-")
            if row[0] in references:
                row[0] = f"{row[0]} *(reference)*"
        out.append(f"## {prog}\n")
        out.append(_md(["Variant", "Language", "Userspace (lines)", "Kernel side (lines)", "Userspace + kernel (lines)",
                        "Relative (userspace + kernel)", "Build (lines)", "Generated (lines, apart)",
                        "Userspace complexity (sum / max)", "Kernel complexity (sum / max)", "Notes"], rows))
    tools = src.get("tools") or {}
    out.append(
        f"How it was counted: with pygount {tools.get('pygount', '?')} and lizard {tools.get('lizard', '?')}, "
        f"on {src.get('date') or 'an unrecorded date'} at commit {src.get('commit') or 'unrecorded'}, the files "
        "each variant.yaml declares under `source` (variants/README.md). *Userspace*: the program's own file "
        "and the variant's module(s) shared by both programs. *Kernel side*: the BPF program (C, Rust, a "
        "bpftrace script) and the event types it shares with userspace (bpf/events.h, probes-common). "
        "*Build*: the build plumbing (Makefile, Cargo.toml, build.rs, go.mod, go:generate lines). "
        "*Generated*: what a tool writes (bpftool skeletons, which embed the BPF object as string lines; "
        "bpf2go's Go files; libbpf-cargo's skeletons; Aya's task_struct bindings; bpf/vmlinux.h), counted "
        "apart and never in Relative; *not built* means a file that exists only after the build was absent "
        "when counted. A file both programs use is counted in each program's figures. *Lines*: pygount's "
        "source lines (code and string lines): comments, blank lines and lines of only brackets and "
        "punctuation are not counted; pygount's own guess at generated files is off, the manifest says. "
        "Pygments has no lexer for bpftrace (read with the C lexer: same comments) nor go.mod (the Go "
        "lexer), and scripts without a suffix are read by their #! interpreter. *Complexity*: lizard's "
        "cyclomatic complexity, summed over a category's functions / the largest of one function; lizard "
        "reads C, Go, Rust and Python, not shell, bpftrace, Makefiles or TOML (`-`). *Relative*: userspace "
        "+ kernel lines against the fewest of a framework variant (references are not the yardstick). "
        "*none*: the manifest declares no such file.\n")
    files = []
    for name, e in entries.items():
        seen = set()
        for prog, cats in (e.get("programs") or {}).items():
            for cat in SOURCE_CATEGORIES:
                for f in (cats.get(cat) or {}).get("files") or ():
                    key = (cat, f["path"], "both" if f.get("shared") else prog)
                    if key in seen:
                        continue
                    seen.add(key)
                    cx = f"{f['complexity_sum']} / {f['complexity_max'] if f.get('complexity_max') is not None else '-'}" \
                        if f.get("complexity_sum") is not None else "-"
                    files.append([name, key[2], _CATEGORY_LABEL[cat], f["path"], f.get("language") or "-",
                                  f"{f['code_lines']:,}" if f.get("code_lines") is not None else f.get("error", "-"),
                                  cx, str(f["functions"]) if f.get("functions") is not None else "-"])
    if files:
        out.append("## Files counted\n")
        out.append(_md(["Variant", "Program", "Category", "File", "Language", "Lines", "Complexity (sum / max)",
                        "Functions"], files))
    return "\n".join(out)


def flood_table(doc: dict) -> str:
    """Reader capacity: per record size and mode, what each variant's reader took while the
    harness's producer flooded its ring, against the floor's library-free reader."""
    progs = present(doc, of_kind("flood"))
    out = ["# Reader capacity: the flood\n"]
    if not progs:
        return out[0] + "\nflood was not run.\n"
    out.append("What a framework's ring-buffer reader can take when the kernel sets the pace: the harness's "
               "producer (harness/produce.c, the same for every variant) test-runs the variant's loaded flood "
               "program by id, 16 records a run, on the workload CPU, while the variant reads on its own CPU. "
               "The floor's row is a reader with no library (the ring's pages mapped by hand): the ceiling "
               "this machine allows; *vs floor* is a variant's rate over the floor's, in the same rounds. "
               "A reader that lost nothing kept up with the producer: its rate is the producer's, marked ≥ "
               "(a lower bound of the reader's), and what tells such readers apart is *Reader CPU per "
               "record*. The producer submits with wakeups batched (one wakeup as the backlog crosses a "
               "quarter of the ring, docs/programs.md): a wakeup per record would cost the producer ~10 µs "
               "each here and measure the kernel, not the reader.\n")
    if _busy_warning(doc):
        out.append(_busy_warning(doc))
    cases = [m.key.removeprefix("flood_rate_") for m in METRICS if m.key.startswith("flood_rate_")]
    for prog in progs:
        for case in cases:
            ms = [BY_KEY[f"flood_{what}_{case}"] for what in ("rate", "written", "cpu_ns", "lost", "producer_ns")]
            floor_summ = next((summ for v in doc["variants"] if v.get("role") == "reference"
                               and (summ := (((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}))
                               .get(ms[0].key)), {})
            floor, floor_bound = floor_summ.get(ms[0].key), is_bound(ms[0], floor_summ)
            rows = []
            for v in doc["variants"]:
                rt = (v.get("runtime") or {}).get(prog)
                if not rt:
                    continue
                ok, summ = rt["status"] == "ok", rt["summary"]
                st = summ.get(ms[0].key)
                # Two bounds (both kept up with the producer) have no ratio worth printing.
                both_bound = is_bound(ms[0], summ) and floor_bound
                vs = "-" if both_bound or not (st and floor and floor["median"]) else f"{st['median'] / floor['median']:.2f}"
                rows.append([_name(v)] + [metric_cell(m, summ, _why_unmeasured(v, m, ok)) for m in ms]
                            + [vs, "ok" if ok else f"{rt['status']}: {rt['reason']}"])
            not_run = [_name(v) for v in doc["variants"] if not (v.get("runtime") or {}).get(prog)]
            out.append(f"## {ms[0].label.removeprefix('Read, ')}\n")
            out.append(_md(["Variant"] + [m.header for m in ms] + ["vs floor", "Status"], rows))
            if not_run and case == cases[-1]:
                out.append(f"Not run: {', '.join(not_run)} (each says why in results/README.md).\n")
    readers = [f"- {v['name']}: {(v.get('reader') or {}).get(prog)}" for prog in progs for v in doc["variants"]
               if (v.get("reader") or {}).get(prog)]
    if readers:
        out.append("The reader each variant uses (variant.yaml):\n\n" + "\n".join(readers) + "\n")
    out.append(_method("flood.md", {"flood"}))
    return "\n".join(out)


TABLES = {
    "overhead.md": overhead_table,
    "build.md": build_table,
    "size.md": size_table,
    "elf.md": elf_table,
    "kernel.md": kernel_table,
    "startup.md": startup_table,
    "memory.md": memory_table,
    "throughput.md": throughput_table,
    "source.md": source_table,
    "flood.md": flood_table,
}


def render_tables(doc: dict) -> dict[str, str]:
    return {name: fn(doc) for name, fn in TABLES.items()}


def render_plots(doc: dict) -> dict[str, bytes]:
    """One bar plot per registered metric that names a plot (median, IQR thick, min-max thin),
    and the sweep: delivered against offered rate, one line per variant."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(fig) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        plt.close(fig)
        return buf.getvalue()

    def bars(ax, m: Metric, prog: str, title: str) -> None:
        """One bar per variant: median, IQR (black), min–max (grey)."""
        names, med, lo, hi, mn, mx = [], [], [], [], [], []
        for v in doc["variants"]:
            st = (((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get(m.key)
            if not st:
                continue
            names.append(v["name"])
            med.append(st["median"] * m.scale)
            lo.append((st["median"] - st["q1"]) * m.scale)
            hi.append((st["q3"] - st["median"]) * m.scale)
            mn.append((st["median"] - st["min"]) * m.scale)
            mx.append((st["max"] - st["median"]) * m.scale)
        y = range(len(names))
        ax.barh(y, med, color="#4c72b0")
        ax.errorbar(med, y, xerr=[mn, mx], fmt="none", ecolor="#999999", elinewidth=1, capsize=3)
        ax.errorbar(med, y, xerr=[lo, hi], fmt="none", ecolor="black", elinewidth=3)
        ax.set_yticks(list(y), names)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel(f"{m.shown_unit or m.unit}")
        if not names:
            ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)

    out = {}
    for prog in present(doc, of_kind("flood")):
        rates = [m for m in METRICS if m.applies(prog) and m.key.startswith("flood_rate_")]
        fig, axes = plt.subplots(1, len(rates), figsize=(4.4 * len(rates), 4.2), squeeze=False)
        for ax, m in zip(axes[0], rates):
            bars(ax, m, prog, m.label.removeprefix("Read, "))
        fig.suptitle("flood: records/s the reader took, median, IQR (black), min–max (grey)")
        fig.tight_layout()
        out[f"{prog}.png"] = save(fig)
    for m in (m for m in METRICS if m.plot):
        progs = [p for p in present(doc) if m.applies(p)]
        if not progs:
            continue
        fig, axes = plt.subplots(1, len(progs), figsize=(5.5 * len(progs), 4.2), squeeze=False)
        for ax, prog in zip(axes[0], progs):
            bars(ax, m, prog, prog)
            ax.set_xlabel(m.header)
        fig.suptitle(f"{m.header}: median, IQR (black), min–max (grey)")
        fig.tight_layout()
        out[m.plot] = save(fig)

    fig, axes = plt.subplots(1, len(TRACE), figsize=(11, 4.6))
    for ax, prog in zip(axes, TRACE):
        drawn = False
        for v in doc["variants"]:
            sweep = ((((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get("sweep")) or []
            # Against the rate the workload reached, not the one asked for: past its own limit the
            # workload falls short of the offered rate, and that is not a loss of the variant's.
            pts = [(p["achieved_rate"]["median"], p["delivered_rate"]["median"]) for p in sweep
                   if p.get("delivered_rate") and p.get("achieved_rate")]
            if pts and v.get("emits_events", True):
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=v["name"])
                drawn = True
        if drawn:
            ax.set_xscale("log")
            ax.set_yscale("log")
            lim = ax.get_xlim()
            ax.plot(lim, lim, color="#bbbbbb", linestyle="--", linewidth=1, label="all delivered")
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "not measured", ha="center", transform=ax.transAxes)
        ax.set_title(prog)
        ax.set_xlabel("offered, as the workload reached it (events/s)")
        ax.set_ylabel("delivered (events/s)")
    fig.suptitle("Delivered against offered rate (median over runs)")
    fig.tight_layout()
    out["rates.png"] = save(fig)
    return out


def headline_table(doc: dict, prog: str) -> str:
    """The headline figures of one program: median [IQR], with the stripped executable size."""
    heads = [m for m in HEADLINE if m.applies(prog)]
    rows = []
    for v in doc["variants"]:
        rt = (v.get("runtime") or {}).get(prog)
        summ = (rt or {}).get("summary") or {}
        exe = ((v.get("elf") or {}).get(prog) or {}).get("executable") or {}
        ok = bool(rt) and rt["status"] == "ok"
        cells = []
        for m in heads:
            st = summ.get(m.key)
            if not st:
                cells.append("-" if not ok or (m.needs_events and not v.get("emits_events", True)) else "not measured")
                continue
            cells.append(figure(st, m.scale, m.digits, "range", bound=is_bound(m, summ)))
        stripped = exe.get("stripped_bytes")
        rows.append([_name(v)] + cells + [fmt(stripped / 1024, 0) if stripped else "-",
                                          "ok" if ok else (rt or {}).get("status") or _lacks(v, prog) or v["status"]])
    return _md(["Variant"] + [m.header for m in heads] + ["Stripped executable (KiB)", "Status"], rows)


BCC_KEYS = ("first_event_ms", "peak_rss_kib", "code_mapped_kib", "code_files", "added_ns_per_op",
            "max_sustainable_rate")


def bcc_section(doc: dict) -> str:
    """The BCC-based variants (toolchain `bcc`: the kernel side compiled at run time by libbcc's
    in-process clang/LLVM) side by side with c-libbpf: the figures the advice "libbpf tools beat
    BCC" is about. Empty when the run has no BCC variant."""
    bcc = [v for v in doc["variants"] if "bcc" in (v.get("toolchains") or ())]
    ref = [v for v in doc["variants"] if v["name"] == "c-libbpf"]
    if not bcc:
        return ""
    out = ["## BCC and libbpf\n",
           "BCC compiles the kernel side from C at every start, with the clang and LLVM libraries inside libbcc, "
           "against the kernel's headers; a libbpf tool loads an object compiled once, at build time. So a BCC "
           "tool's start-up includes a compile, its RSS the compiler, and what it maps the compiler's "
           "libraries. Same programs, same tracepoints, same rounds as every other row.\n"]
    base = {}
    if ref:
        for prog in TRACE:
            rt = (ref[0].get("runtime") or {}).get(prog) or {}
            base[prog] = (rt.get("summary") or {}) if rt.get("status") == "ok" else {}
    for prog in TRACE:
        rows = []
        for v in ref + bcc:
            rt = (v.get("runtime") or {}).get(prog)
            summ = (rt or {}).get("summary") or {}
            if not rt or rt["status"] != "ok":
                rows.append([_name(v)] + ["-"] * len(BCC_KEYS) + [_not_ok(v) if v["status"] != "ok" else
                                                                    f"{(rt or {}).get('status', 'not run')}: {(rt or {}).get('reason') or ''}"])
                continue
            cells = []
            for key in BCC_KEYS:
                m, st = BY_KEY[key], summ.get(key)
                c = metric_cell(m, summ, "not measured").split(" (IQR")[0] if st else "not measured"
                b = (base.get(prog) or {}).get(key)
                if st and b and b["median"] and v is not ref[0] and key != "code_files":
                    ratio = st["median"] / b["median"]
                    c += f" ({'≈' if agree(st, b) else f'×{ratio:.1f}'})"
                cells.append(c)
            rows.append([_name(v)] + cells + ["ok"])
        out.append(f"### {prog}\n")
        out.append(_md(["Variant"] + [BY_KEY[k].header for k in BCC_KEYS] + ["Status"], rows))
    out.append("Medians; in brackets, against c-libbpf (`≈`: inside the spread). Full spreads in "
               "[startup.md](startup.md), [memory.md](memory.md), [overhead.md](overhead.md) and "
               "[throughput.md](throughput.md).\n")
    return "\n".join(out)


def halves_table(doc: dict) -> str:
    rows = []
    for v in doc["variants"]:
        for prog, rt in sorted((v.get("runtime") or {}).items()):
            for key, h in (rt["summary"].get("halves") or {}).items():
                m = BY_KEY[key]
                rows.append([_name(v), prog, m.header, fmt(h["first"] * m.scale, m.digits),
                             fmt(h["second"] * m.scale, m.digits), f"{h['ratio']:.2f}" if h["ratio"] else "-",
                             "yes" if h["agree"] else "**no**"])
    if not rows:
        return "not measured: fewer than two measured rounds\n"
    return _md(["Variant", "Program", "Figure", "First half (median)", "Second half (median)", "Ratio", "Agree"], rows)


def _noise_text(doc: dict) -> str:
    n = doc.get("noise") or {}
    other, steal = n.get("other_cpu_pct"), n.get("steal_pct")
    busy, runs = n.get("busy_runs"), n.get("runs")
    if not runs:
        return "not measured\n"
    verdict = (f"**A busy machine**: {busy} of {runs} runs had other processes above {BUSY_OTHER_PCT:.0f}% of a "
               f"CPU or steal above {BUSY_STEAL_PCT:.0f}%; read small differences with care."
               if busy and busy * 10 > runs else
               f"A quiet machine: {busy or 0} of {runs} runs had other processes above {BUSY_OTHER_PCT:.0f}% of a "
               f"CPU or steal above {BUSY_STEAL_PCT:.0f}%.")
    before, after = n.get("before") or {}, n.get("after") or {}
    return (f"{verdict}\n\n| | |\n|---|---|\n"
            f"| CPU time of other processes during a measured run (% of one CPU) | {cell(other)} |\n"
            f"| CPU steal during a measured run (% of all CPUs) | {cell(steal, digits=2)} |\n"
            f"| Load average, before → after | {before.get('load_average')} → {after.get('load_average')} |\n"
            f"| CPU MHz, before | {', '.join(f'{x:.0f}' for x in before.get('cpu_mhz') or []) or 'not readable'} |\n")


def render_readme(doc: dict) -> str:
    m = doc.get("machine") or {}
    cfg = doc.get("config") or {}
    pl = doc.get("placement") or {}
    status = [[_name(v), v["status"], v.get("reason") or ""] for v in doc["variants"]]
    headlines = "\n".join(f"### {prog}\n\n{headline_table(doc, prog)}" for prog in present(doc))
    kinds = {SPECS[p].kind for p in present(doc)}
    method = "\n".join(f"- **{x.header}**: {x.method}." for x in METRICS if x.method and kinds & set(x.kinds))
    migrated = (f"\n> This document was migrated from schema version {doc['migrated_from']}: figures that version "
                "did not take are shown as not measured.\n" if doc.get("migrated_from") else "")
    return f"""# Results

The reference run of `nox -s benchmark` on the project's own machine. Every table here is
rendered from `results.json` (the raw samples are in it); `python -m harness report` renders
them again, and `python -m harness compare A.json B.json` compares two runs.
{migrated}
{summary_text(doc)}
{tracing_cost_text(doc)}## Headline figures

Median [IQR q1–q3] over {cfg.get('runs')} measured runs after {cfg.get('warmup')} discarded warm-up
round(s). ⚠ marks a figure whose IQR is wider than 10% of its median. In the tables, `≈` next to a
Relative figure means its spread overlaps the best one's: not a difference between frameworks.

{headlines}
{bcc_section(doc)}
## Does the run reproduce itself?

Each headline figure over the first and the second half of the rounds. They agree when the
medians are within 10% of each other or the difference is inside the spread (the IQRs overlap).

{halves_table(doc)}
## The machine

| | |
|---|---|
| Host | {m.get('hostname')} |
| Kernel | {m.get('kernel')} ({m.get('arch')}) |
| CPU | {m.get('cpu')}, {m.get('cores')} cores |
| Memory | {m.get('memory_gib')} GiB |
| Distribution | {m.get('distro')} |
| Date | {m.get('date')} |
| Harness commit | {m.get('harness_commit')} |
| CPU placement | {pl.get('note') or 'not recorded'} |

### What else it was doing

{_noise_text(doc)}
## Variants

{_md(["Variant", "Status", "Reason"], status)}
## The tables

- [overhead.md](overhead.md): what tracing costs the traced workload, per operation and in %.
- [throughput.md](throughput.md): the unpaced storm, the maximum sustainable rate, the paced sweep
  (plot: `rates.png`).
- [kernel.md](kernel.md): kernel time per event at a fixed rate, raw and with the floor
  subtracted; per loaded program: time per run, verified instructions, JITed size, memlock;
  xdp: ns per BPF_PROG_TEST_RUN run through each framework's test-run API, which API that is,
  and the program clang and rustc each produced.
- [startup.md](startup.md), [memory.md](memory.md): start-up latency, peak and steady RSS, CPU.
- [build.md](build.md), [size.md](size.md), [elf.md](elf.md): build time, dependencies,
  executable sizes, shared libraries, the BPF objects down to instruction counts.
- [source.md](source.md): what each framework costs to write: lines of code and cyclomatic
  complexity of the userspace and kernel sides, build plumbing and generated code apart.
- [kernels.md](kernels.md), when present: the conformance suite with these binaries on several
  kernels, hello's PPID checked on each (`nox -s matrix`); [kernels-xdp/kernels.md](kernels-xdp/kernels.md),
  when present: xdp's self-test and veth attach on the same kernels.
- [reproducibility.md](reproducibility.md), when present: this run compared with a second one
  taken right after it (`python -m harness compare`).

A cell reads `median (IQR q3−q1; min–max)`. `Relative` divides each median by the best one. A
figure that could not be measured says so and why; it is never shown as 0.

## Method

- **Placement**: {pl.get('note') or 'not recorded'}. On the variant's CPU nothing else of ours runs;
  its stdout goes to a file on tmpfs, which the harness reads only before the load (to time the
  header and the first event, polling every 0.2 ms) and after it (to count the load's lines): no
  per-line work competes with a variant during a storm. Pinned to one CPU, a Go runtime sizes
  GOMAXPROCS to 1, as it would under taskset.
- **Rounds**: each round runs every variant once, and the baseline (the workload with nothing
  attached) takes its turn in the same rotation, so a slow period spreads over all of them; a
  figure that subtracts a yardstick (the baseline, the floor) subtracts the same round's.
- **Stopping**: SIGINT, SIGKILL after 10 s (reported as a hang); then none of the programs, maps
  or links the variant held may still be loaded, or the run fails as a leak.
{time_taken_text(doc)}{method}
"""


def time_taken_text(doc: dict) -> str:
    """How long each program's runs took in the measured rounds (the warm-up, the baseline and
    the clean builds aside): what a program costs the benchmark."""
    totals: dict[str, float] = {}
    for v in doc["variants"]:
        for prog, r in (v.get("runtime") or {}).items():
            for s in r.get("samples") or []:
                if s.get("wall_s"):
                    totals[prog] = totals.get(prog, 0.0) + s["wall_s"]
    if not totals:
        return ""
    parts = [f"{p} {totals[p] / 60:.1f} min" for p in PROGRAMS if p in totals]
    return (f"- **Time taken** by the measured rounds' runs, per program (every variant, warm-up, baseline "
            f"and builds aside): {', '.join(parts)}; {sum(totals.values()) / 60:.1f} min in all.\n")


def tracing_cost_text(doc: dict) -> str:
    """In words, from the figures: what tracing adds to each traced operation in each wakeup
    mode, what of it the floor (the tracepoints and empty programs) costs, and so what the rest
    (the event, the ring buffer, its wakeups, the framework's reader) costs."""
    out = []
    for prog in present(doc, TRACE):
        spec = SPECS[prog]
        rows = {v["name"]: v for v in doc["variants"]}
        added = {n: (((v.get("runtime") or {}).get(prog) or {}).get("summary") or {}).get("added_ns_per_op")
                 for n, v in rows.items()}
        added = {n: a["median"] for n, a in added.items() if a}
        floor = next((added[n] for n, v in rows.items() if not v.get("emits_events", True) and n in added), None)
        fw = {n: a for n, a in added.items() if rows[n].get("role") != "reference"}
        if not fw:
            continue
        lo, hi = min(fw.values()), max(fw.values())
        op = "exec" if spec.workload == "exec" else "open"
        mode = "with `-B` (batched wakeups)" if spec.of else "in the default mode (a wakeup per record that finds its reader waiting)"
        line = (f"- **{prog}**, {mode}: the frameworks add {fmt(lo, 0)}–{fmt(hi, 0)} ns to each traced {op} "
                f"({len(fw)} frameworks, medians)")
        if floor is not None:
            line += (f"; the floor's empty programs add {fmt(floor, 0)} ns, the tracepoints' own cost. The rest, "
                     f"{fmt(lo - floor, 0)}–{fmt(hi - floor, 0)} ns, is the event: building and submitting it, "
                     "the ring buffer's wakeups, and a reader competing for the machine")
        if floor:
            over = sorted(n for n, a in fw.items() if a > 2 * floor)
            line += (f"; {len(fw) - len(over)} of {len(fw)} within twice the floor"
                     + (f" (not: {', '.join(over)})" if over else ""))
        refs = [f"{n} {fmt(a, 0)} ns" for n, a in added.items() if rows[n].get("role") == "reference"
                and rows[n].get("emits_events", True)]
        if refs:
            line += f". Reference rows: {', '.join(refs)}"
        out.append(line + ".")
    if not out:
        return ""
    return ("## What tracing costs the traced program\n\nAdded time per traced operation (the workload's time "
            "with the variant attached less its time with nothing attached, same round; overhead.md):\n\n"
            + "\n".join(out) + "\n\nA framework's userspace runs on another CPU than the workload, so it shows "
            "here only through the wakeups its waiting causes and the machine it shares: a reader that is always "
            "behind is never woken and adds least.\n\n")


def summary_text(doc: dict) -> str:
    """What differs between the frameworks and what does not, from the figures themselves."""
    lines = ["## In a minute\n"]
    fw = [v for v in doc["variants"] if v.get("role") != "reference" and v["status"] == "ok"]
    if not fw:
        return "## In a minute\n\nNo framework variant was measured in this run.\n"
    for prog in present(doc):
        for m in HEADLINE:
            key = m.key
            if not m.applies(prog):
                continue
            summ = {v["name"]: ((v.get("runtime") or {}).get(prog) or {}).get("summary", {}) for v in fw}
            stats = {k: sm.get(key) for k, sm in summ.items() if sm.get(key)}
            if len(stats) < 2:
                continue
            unit = m.shown_unit or m.unit
            # A bound says the workload's ceiling, not the variant's: shown, never ranked.
            bounds = sorted(k for k in stats if is_bound(m, summ[k]))
            if bounds:
                lo, hi = (min(stats[k]["median"] for k in bounds) * m.scale, max(stats[k]["median"] for k in bounds) * m.scale)
                span = fmt(lo, m.digits) if lo == hi else f"{fmt(lo, m.digits)}–{fmt(hi, m.digits)}"
                who = "every variant" if len(bounds) == len(stats) else ", ".join(bounds)
                why = m.bound_why or "the workload, not the variant, was the limit"
                lines.append(f"- {prog}, {m.label[:1].lower() + m.label[1:]}: **not ranked** for {who}: ≥ {span} {unit}, a lower bound "
                             f"({why}).")
                stats = {k: st for k, st in stats.items() if k not in bounds}
                if len(stats) < 2:
                    continue
            order = sorted(stats, key=lambda k: stats[k]["median"], reverse=m.better == "higher")
            best, worst = stats[order[0]], stats[order[-1]]
            tied = [k for k in order if agree(stats[k], best)]
            def val(k, m=m, stats=stats):
                return fmt(stats[k]["median"] * m.scale, m.digits)
            spread = max(worst["median"], best["median"]) / min(worst["median"], best["median"]) \
                if best["median"] and worst["median"] else None
            if len(tied) == len(order):
                lines.append(f"- {prog}, {m.label[:1].lower() + m.label[1:]}: **no difference** beyond the spread "
                             f"({val(order[0])}–{val(order[-1])} {unit}).")
            elif m.alike and spread and spread <= ALIKE and not bounds:
                lines.append(f"- {prog}, {m.label[:1].lower() + m.label[1:]}: **about the same for every framework** "
                             f"({val(order[-1] if m.better == 'higher' else order[0])}–"
                             f"{val(order[0] if m.better == 'higher' else order[-1])} {unit}, ×{spread:.2f}): {m.alike}.")
            else:
                rest = [k for k in order if k not in tied]
                among = "of the others (limited by themselves), " if bounds else ""
                lines.append(f"- {prog}, {m.label[:1].lower() + m.label[1:]}: {among}best {', '.join(tied)} ({val(order[0])} {unit}); "
                             f"{', '.join(f'{k} {val(k)}' for k in rest)}"
                             + (f" (×{max(worst['median'], best['median']) / min(worst['median'], best['median']):.1f} "
                                f"between the best and the far end)." if best["median"] and worst["median"] else "."))
    return "\n".join(lines) + "\n"


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
