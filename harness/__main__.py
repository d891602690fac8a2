"""python -m harness COMMAND: the entry points the nox sessions call."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import bench, build, doctor, elf, report, results, toolchains
from .env import REPO, RESULTS, is_root, under_ci
from .manifest import discover


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
    return sorted({t for v in variants for t in v.toolchains} | {"cc", "bpftool"})


def cmd_setup(args) -> int:
    catalogue = toolchains.load_catalogue()
    try:
        absent = toolchains.setup(catalogue, _wanted_toolchains(catalogue))
    except toolchains.SetupError as e:
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
    for e in errors:
        print(f"{e.path.parent.name}: failed: manifest: {e}")
        bad = True
    if args.variants:
        variants = [v for v in variants if v.name in args.variants]
    for v in variants:
        r = build.build_variant(v, absent, clean=args.clean)
        if r.status == "ok":
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
                print(f"{p}: inspect failed: {e}")
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
        if missing:
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


def cmd_bench(args) -> int:
    if not is_root():
        _die("the benchmark loads BPF programs: run it as root")
    cfg = bench.Config(runs=args.runs, warmup=args.warmup, opens=args.opens,
                       clean_build=not args.no_clean_build, only=tuple(args.variants))
    if args.quick:
        cfg.runs, cfg.warmup, cfg.opens = 2, 0, 2000
    try:
        doc, healthy = bench.benchmark(cfg)
    except KeyboardInterrupt:
        _die("interrupted: previous results left as they were", 130)
    doc = {"schema_version": results.SCHEMA_VERSION, "machine": results.machine(), **doc}
    out = Path(args.out)
    try:
        with results.no_interrupt():
            results.write_atomic(out / "results.json", results.dumps(doc))
            written = report.write_report(doc, out)
    except KeyboardInterrupt:
        _die("interrupted while writing results", 130)
    print(f"wrote {out / 'results.json'} and {len(written)} tables and plots")
    for v in doc["variants"]:
        print(f"  {v['name']}: {v['status']}" + (f": {v['reason']}" if v.get("reason") else ""))
    return 0 if healthy else 1


def cmd_report(args) -> int:
    src = Path(args.out) / "results.json"
    try:
        doc = results.load(src)
    except (OSError, ValueError) as e:
        _die(f"cannot read results: {e}")
    with results.no_interrupt():
        written = report.write_report(doc, Path(args.out))
    print(f"rendered {len(written)} files from {src}")
    return 0


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
    r.add_argument("--runs", type=_count(1), default=bench.DEFAULT_RUNS, help="measured runs per figure")
    r.add_argument("--warmup", type=_count(0), default=bench.DEFAULT_WARMUP, help="discarded warm-up rounds")
    r.add_argument("--opens", type=_count(1), default=bench.DEFAULT_OPENS, help="events in each storm")
    r.add_argument("--quick", action="store_true", help="2 runs, no warm-up, 2,000 events: for tests")
    r.add_argument("--no-clean-build", action="store_true", help="skip the clean build timing")
    r.add_argument("--out", default=str(RESULTS))
    rp = sub.add_parser("report", help="render the tables and plots again from results.json")
    rp.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)
    return {"doctor": cmd_doctor, "setup": cmd_setup, "build": cmd_build, "inspect": cmd_inspect,
            "bench": cmd_bench, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
