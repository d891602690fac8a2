"""python -m harness COMMAND: the entry points the nox sessions call."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from . import bench, build, compare, doctor, elf, helpers, ledger, matrix, merge, report, results, source, toolchains
from .env import REPO, RESULTS, WORK, is_root, under_ci
from .manifest import discover
from .programs import PROGRAMS


def _die(msg: str, code: int = 1):
    print(f"harness: {msg}", file=sys.stderr)
    sys.exit(code)


def cmd_doctor(args) -> int:
    rows, ok = doctor.report()
    width = max(len(r[0]) for r in rows)
    for name, finding, good in rows:
        print(f"{'ok ' if good else '-- '} {name:<{width}}  {finding}")
    return 0 if ok else 1


def _wanted_toolchains(catalogue) -> list[str]:
    variants, _ = discover(REPO / "variants", set(catalogue))
    # cc builds the harness's helpers, bpftool reads the kernel's view, actionlint checks the CI
    # workflow, iproute2 makes the xdp tests' veth pair, qemu boots the matrix test's guest, git
    # names the commit results were taken at, base is the tools set-up and the tests call.
    return sorted({t for v in variants if not v.unavailable for t in v.toolchains}
                  | {"base", "cc", "bpftool", "actionlint", "iproute2", "qemu", "git"})


def cmd_setup(args) -> int:
    catalogue = toolchains.load_catalogue()
    try:
        absent = toolchains.setup(catalogue, _wanted_toolchains(catalogue))
        helpers.compile_all()
    except (toolchains.SetupError, helpers.HelperError) as e:
        _die(str(e))
    if absent:
        print(f"setup: absent: {', '.join(f'{k} ({v})' for k, v in absent.items())}")
        if under_ci():
            return 1
    return 0


def cmd_build(args) -> int:
    catalogue = toolchains.load_catalogue()
    absent = {n: s["reason"] for n, s in toolchains.probe_all(catalogue).items() if not s["version"]}
    variants, errors = discover(REPO / "variants", set(catalogue))
    bad = False
    if args.variants:
        unknown = sorted(set(args.variants) - {v.name for v in variants} - {e.path.parent.name for e in errors})
        if unknown:
            _die(f"no such variant: {', '.join(unknown)}", 2)
        errors = [e for e in errors if e.path.parent.name in args.variants]
        variants = [v for v in variants if v.name in args.variants]
    for e in errors:
        print(f"{e.path.parent.name}: failed: manifest: {e}")
        bad = True
    for v in variants:
        # A variant known to be unavailable is tried only when named: to see whether it still fails.
        r = build.build_variant(v, absent, clean=args.clean, force=bool(args.variants))
        if r.known:
            print(f"{v.name}: unavailable here (known, variant.yaml): {r.reason}")
        elif r.status == "ok":
            times = f"clean {r.clean_build_s:.1f} s, no-change {r.incremental_build_s:.2f} s" if args.clean else f"{r.build_s:.1f} s"
            print(f"{v.name}: ok ({times})")
        else:
            print(f"{v.name}: {r.status}: {r.reason}" + (f" (log: {r.log})" if r.log else ""))
            bad = bad or r.status == "failed" or under_ci()
    return 1 if bad else 0


def cmd_inspect(args) -> int:
    if args.paths:
        bad = False
        for p in args.paths:
            try:
                with open(p, "rb") as f:
                    is_bpf = f.read(20)[18:20] in (b"\xf7\x00", b"\x00\xf7")
                print(elf.describe(elf.inspect_bpf_object(Path(p)) if is_bpf else elf.inspect_executable(Path(p))))
            except (elf.InspectError, OSError) as e:
                print(f"harness: {p}: inspect failed: {e}", file=sys.stderr)
                bad = True
        return 1 if bad else 0
    catalogue = toolchains.load_catalogue()
    variants, errors = discover(REPO / "variants", set(catalogue))
    doc = {"variants": [], "toolchains": {}}
    for e in errors:
        doc["variants"].append({"name": e.path.parent.name, "status": "failed", "reason": f"manifest: {e}"})
    for v in variants:
        missing = build.missing_artifacts(v)
        entry = {"name": v.name, "role": v.role, "status": "ok", "reason": None}
        if v.unavailable:
            entry.update(status="unavailable", known_unavailable=True, reason=v.unavailable)
        elif missing:
            entry.update(status="unavailable", reason=f"not built: {', '.join(missing)}")
        else:
            entry["elf"] = bench.inspect_variant(v)
        doc["variants"].append(entry)
    out = Path(args.out)
    with results.no_interrupt():
        for name in ("elf.md", "size.md"):
            results.write_atomic(out / name, report.TABLES[name](doc))
    print((out / "elf.md").read_text())
    print(f"wrote {out / 'elf.md'} and {out / 'size.md'}")
    return 0


SCRATCH = WORK / "scratch-results"


def _out_dir(args) -> Path:
    """The reference run goes to results/; a subset or a quick run to a scratch folder unless
    --out says otherwise, so it never replaces the committed reference run."""
    if args.out:
        return Path(args.out)
    return SCRATCH if (args.variants or args.quick or getattr(args, "programs", None)) else RESULTS


def _save(res: results.Results, out: Path) -> list[Path]:
    """results.json and everything rendered from it; if out cannot be written after all, the
    measurements go to a fallback file named in the error, so nothing measured is lost."""
    text = results.dumps(res.to_json())

    def write(folder: Path) -> list[Path]:
        results.write_atomic(folder / "results.json", text)
        return report.write_report(res.view(), folder)
    try:
        with results.no_interrupt():
            return results.replace_folder(out, write)
    except OSError as e:
        fallback = Path(tempfile.gettempdir()) / f"ebpf-frameworks-results-{os.getpid()}.json"
        fallback.write_text(text)
        _die(f"writing {out} failed ({e.strerror or e}); the measurements are saved in {fallback}")


def cmd_bench(args) -> int:
    if args.variants:   # a usage error comes before anything else
        try:
            bench.select(*discover(REPO / "variants", set(toolchains.load_catalogue())), tuple(args.variants))
        except bench.UnknownVariant as e:
            _die(str(e), 2)
    if not is_root():
        _die("the benchmark loads BPF programs: run it as root")
    out = _out_dir(args)
    why = results.check_writable(out)
    if why:
        _die(f"results cannot be written: {why}")
    try:
        for name in helpers.HELPERS:
            helpers.path(name)
    except helpers.HelperError as e:
        _die(str(e))
    cfg = bench.Config.from_options(args.quick, args.runs, args.warmup, args.opens,
                                    clean_build=not args.no_clean_build, only=tuple(args.variants),
                                    programs=tuple(args.programs or ()))
    try:
        res, healthy = bench.benchmark(cfg)
    except KeyboardInterrupt:
        _die("interrupted: previous results left as they were", 130)
    res.machine = results.machine()
    try:
        written = _save(res, out)
    except KeyboardInterrupt:
        _die("interrupted while writing results", 130)
    print(f"wrote {out / 'results.json'} and {len(written)} tables and plots")
    for v in res.variants:
        print(f"  {v.name}: {v.status}" + (f": {v.reason}" if v.reason else ""))
    halves = [(v["name"], p, k, h) for v in res.view()["variants"] for p, r in (v.get("runtime") or {}).items()
              for k, h in r["summary"]["halves"].items()]
    split = [f"{n} {p} {k} ({h['ratio']:.2f})" for n, p, k, h in halves if not h["agree"]]
    print(f"first vs second half of the rounds: {len(halves) - len(split)} of {len(halves)} headline figures agree"
          + (f"; not: {', '.join(split)}" if split else ""))
    return 0 if healthy else 1


def cmd_report(args) -> int:
    out = Path(args.out or RESULTS)
    src = out / "results.json"
    try:
        res = results.load(src)
    except OSError as e:
        _die(f"cannot read results: {src}: {e.strerror}")
    except ValueError as e:
        _die(f"cannot read results: {e}")
    def write(folder: Path) -> list[Path]:
        written = report.write_report(res.view(), folder)
        if (folder / "kernels.json").is_file():
            results.write_atomic(folder / "kernels.md", _render_kernels(json.loads((folder / "kernels.json").read_text())))
            written.append(folder / "kernels.md")
        return written
    with results.no_interrupt():
        written = results.replace_folder(out, write)
    print(f"rendered {len(written)} files from {src}")
    return 0


def cmd_compare(args) -> int:
    docs = []
    for p in (args.a, args.b):
        try:
            docs.append(results.load(Path(p)))
        except OSError as e:
            _die(f"cannot read {p}: {e.strerror}")
        except ValueError as e:
            _die(str(e))
    text, all_agree = compare.compare(docs[0], docs[1], args.a, args.b)
    print(text, end="")
    return 0 if all_agree else 1


def _render_kernels(doc: dict) -> str:
    """kernels.md from a matrix document, with every variant folder's row (known-unavailable ones too)."""
    variants, _ = discover(REPO / "variants", set(toolchains.load_catalogue()))
    return matrix.render(doc, [{"name": v.name, "role": v.role, "unavailable": v.unavailable} for v in variants])


def cmd_matrix(args) -> int:
    if not is_root():
        _die("the matrix loads BPF programs and boots kernels: run it as root")
    wanted = [k.strip() for k in args.kernels.split(",") if k.strip()]
    kernels = []
    guests = []
    if any(k != "host" for k in wanted):
        catalogue = toolchains.load_catalogue()
        try:
            absent = toolchains.setup(catalogue, ["qemu"], log=lambda line: None)
            if absent:
                _die(f"qemu: {absent['qemu']}")
            guests = matrix.guest_kernels()
        except (toolchains.SetupError, matrix.MatrixError) as e:
            _die(str(e))
    for k in wanted:
        if k == "host":
            kernels.append(matrix.host_kernel())
            continue
        found = [g for g in guests if g.release == k or g.release.startswith(k + ".") or g.release.startswith(k + "-")]
        if not found:
            _die(f"no guest kernel {k!r}; have: host, {', '.join(g.release for g in guests)}", 2)
        kernels.append(found[0])
    if any(k.image for k in kernels) and not matrix.have_vng():
        _die("vng (virtme-ng, from PyPI) is not on PATH: run it through `nox -s matrix`")
    full = args.k is None and set(wanted) >= {"host", "6.1", "6.12"}
    out = Path(args.out) if args.out else (RESULTS if full else SCRATCH)
    why = results.check_writable(out)
    if why:
        _die(f"results cannot be written: {why}")
    doc = matrix.run(kernels, WORK / "matrix", args.k)
    def write(folder: Path) -> list[Path]:
        results.write_atomic(folder / "kernels.json", results.dumps(doc))
        results.write_atomic(folder / "kernels.md", _render_kernels(doc))
        return [folder / "kernels.json", folder / "kernels.md"]
    with results.no_interrupt():
        results.replace_folder(out, write)
    print(f"wrote {out / 'kernels.md'} and {out / 'kernels.json'}")
    host_fail = [f"{n} ({', '.join(o.failures[:1])})" for r in doc["kernels"] if r["where"] == "host"
                 for n, o in ((n, matrix.VariantOutcome(**o)) for n, o in (r.get("variants") or {}).items())
                 if o.status == "fail"]
    not_run = [f"{r['release']}: {r['reason']}" for r in doc["kernels"] if r["status"] != "ok"]
    for line in not_run:
        print(f"matrix: not run on {line}", file=sys.stderr)
    for line in host_fail:
        print(f"matrix: fails on the host kernel: {line}", file=sys.stderr)
    return 1 if (not_run or host_fail) else 0


def cmd_merge(args) -> int:
    docs = []
    for p in args.files:
        try:
            docs.append(results.load(Path(p)))
        except OSError as e:
            _die(f"cannot read {p}: {e.strerror}")
        except ValueError as e:
            _die(str(e))
    text = merge.merge(docs)
    if args.out:
        out = Path(args.out)
        why = results.check_writable(out)
        if why:
            _die(f"cannot write {out}: {why}")
        with results.no_interrupt():
            results.write_atomic(out / "merged.md", text)
        print(f"wrote {out / 'merged.md'} from {len(docs)} runs")
    else:
        print(text, end="")
    return 0


def cmd_source(args) -> int:
    """Count now; put the `source` block into DIR/results.json (the rest of the document as it
    was) and render DIR/source.md, or source.md alone when there is no results.json."""
    out = Path(args.out or RESULTS)
    why = results.check_writable(out)
    if why:
        _die(f"cannot write {out}: {why}")
    variants, errors = discover(REPO / "variants", set(toolchains.load_catalogue()))
    block = source.count_all(variants, errors)
    src = out / "results.json"
    doc = None
    if src.exists():
        try:
            results.load(src)  # a results document, or a one-line error
            doc = json.loads(src.read_text())
        except OSError as e:
            _die(f"cannot read results: {src}: {e.strerror}")
        except ValueError as e:
            _die(f"cannot read results: {e}")
        doc["source"] = block
    with results.no_interrupt():
        if doc is not None:
            results.write_atomic(src, results.dumps(doc))
        results.write_atomic(out / "source.md", report.source_table({"source": block}))
    print(f"wrote {out / 'source.md'}" + (f" and the source block of {src}" if doc is not None else ""))
    for e in errors:
        print(f"{e.path.parent.name}: manifest: {e}", file=sys.stderr)
    return 1 if errors else 0


def cmd_helpers(args) -> int:
    try:
        helpers.compile_all()
    except helpers.HelperError as e:
        _die(str(e))
    return 0


def _programs(text: str) -> tuple[str, ...]:
    names = tuple(n for n in text.split(",") if n)
    unknown = [n for n in names if n not in PROGRAMS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown program {unknown[0] if unknown else text!r}; one of {', '.join(PROGRAMS)}")
    return names


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text}")
        return value
    return parse


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("doctor", help="kernel, BPF, tracepoints, privileges and toolchains of this machine")
    sub.add_parser("setup", help="install the missing toolchains (root)")
    b = sub.add_parser("build", help="build every variant (or those named)")
    b.add_argument("variants", nargs="*")
    b.add_argument("--clean", action="store_true", help="clean first and time a clean and a no-change build")
    i = sub.add_parser("inspect", help="ELF tables of every built variant, or describe the files named")
    i.add_argument("paths", nargs="*")
    i.add_argument("--out", default=str(RESULTS))
    r = sub.add_parser("bench", help="build, inspect, run and measure every variant; write results/")
    r.add_argument("variants", nargs="*")
    r.add_argument("--runs", type=_count(1), default=None,
                   help=f"measured runs per figure (default {bench.DEFAULT_RUNS}; 2 with --quick)")
    r.add_argument("--warmup", type=_count(0), default=None,
                   help=f"discarded warm-up rounds (default {bench.DEFAULT_WARMUP}; 0 with --quick)")
    r.add_argument("--opens", type=_count(1), default=None,
                   help=f"operations of the unpaced storm, the overhead figure (default {bench.DEFAULT_OPENS:,}; "
                        "5,000 with --quick)")
    r.add_argument("--programs", type=_programs, default=None, metavar="P[,P...]",
                   help=f"only these programs ({', '.join(PROGRAMS)}); writes to the scratch folder like a subset")
    r.add_argument("--quick", action="store_true", help="2 runs, no warm-up, short steps, no clean-build timing: a first look, for tests "
                        "(--runs, --warmup, --opens given with it still count)")
    r.add_argument("--no-clean-build", action="store_true", help="skip the clean build timing")
    r.add_argument("--out", default=None,
                   help=f"results folder (default: {RESULTS.relative_to(REPO)}/, or {SCRATCH.relative_to(REPO)}/ "
                        "for a subset or --quick)")
    rp = sub.add_parser("report", help="render the tables and plots again from results.json")
    rp.add_argument("--out", default=None, help=f"results folder (default: {RESULTS.relative_to(REPO)}/)")
    c = sub.add_parser("compare", help="two results.json side by side: ratio per headline figure, and "
                                       "whether the difference exceeds the spread")
    c.add_argument("a")
    c.add_argument("b")
    sub.add_parser("helpers", help="compile the harness's C helpers (spawn, loadgen)")
    so = sub.add_parser("source", help="lines of code and complexity of every variant: the source block of "
                                       "results.json and source.md")
    so.add_argument("--out", default=None, help=f"results folder (default: {RESULTS.relative_to(REPO)}/)")
    mg = sub.add_parser("merge", help="several results.json (machines, kernels) as one set of tables, a column each")
    mg.add_argument("files", nargs="+")
    mg.add_argument("--out", default=None, help="write DIR/merged.md instead of printing it")
    mx = sub.add_parser("matrix", help="the conformance suite on the host kernel and on guest kernels under qemu")
    mx.add_argument("--kernels", default="6.1,6.12,host",
                    help="comma-separated: host, 6.1, 6.12 or a full guest release (default: all three)")
    mx.add_argument("-k", default=None, help="only the tests pytest -k selects (e.g. hello)")
    mx.add_argument("--out", default=None,
                    help=f"folder for kernels.md and kernels.json (default: {RESULTS.relative_to(REPO)}/ for the "
                         f"full matrix, else {SCRATCH.relative_to(REPO)}/)")
    args = p.parse_args(argv)
    # Progress lines as they happen, also into a pipe (`| tee`, a test reading them).
    sys.stdout.reconfigure(line_buffering=True)
    # What a killed run left on the machine (harness/ledger.py) is undone before anything else.
    cleaned = ledger.sweep()
    if cleaned:
        print(f"harness: {cleaned}", file=sys.stderr)
    return {"doctor": cmd_doctor, "setup": cmd_setup, "build": cmd_build, "inspect": cmd_inspect,
            "bench": cmd_bench, "report": cmd_report, "compare": cmd_compare, "helpers": cmd_helpers,
            "matrix": cmd_matrix, "merge": cmd_merge, "source": cmd_source}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
