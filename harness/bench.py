"""The benchmark: build, inspect and run every variant, interleaved, and assemble the results."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from . import elf, kernel, noise, source, toolchains
from .metrics import DERIVED, Metric, summarize
from .build import BuildResult, build_variant
from .env import REPO, under_ci
from .manifest import Variant, discover
from .noise import Placement
from .results import ProgramRun, Results, Sample, VariantResult
from .programs import SPECS
from .flood import run_flood
from .run import Plan, baseline, release_scratch_root, run_once, scratch_root
from .testrun import Veth, VethError, run_testrun

DEFAULT_RUNS = 10
DEFAULT_WARMUP = 1
DEFAULT_OPENS = 100_000


@dataclass(frozen=True)
class Runner:
    """How the rounds run one kind of program (harness/programs.py): a set-up made once for
    the whole benchmark (None, or why it failed: then that kind is not measured), its
    tear-down, and one measured run."""
    run: object                      # (cfg, variant, program, placement, plan, state, round) -> Sample
    setup: object = lambda: None     # () -> state; raises RuntimeError with the reason
    teardown: object = lambda state: None


def _veth():
    try:
        return Veth.create()
    except VethError as e:
        raise RuntimeError(f"no veth pair: {e}") from None


RUNNERS: dict[str, Runner] = {
    "trace": Runner(lambda cfg, v, p, placement, plan, state, r:
                    run_once(v.dir / v.programs[p].executable, p, plan, v.emits_events, round_=r)),
    # Testrun programs attach to a veth pair of the harness's own, made once for the whole run.
    "testrun": Runner(lambda cfg, v, p, placement, plan, veth, r:
                      run_testrun(v.dir / v.programs[p].executable, veth, placement, cfg.testrun_repeat, round_=r),
                      setup=_veth, teardown=lambda veth: veth.delete()),
    "flood": Runner(lambda cfg, v, p, placement, plan, state, r:
                    run_flood(v.dir / v.programs[p].executable, placement, round_=r)),
}


@dataclass
class Config:
    runs: int = DEFAULT_RUNS
    warmup: int = DEFAULT_WARMUP
    opens: int = DEFAULT_OPENS          # operations of the unpaced storm (the overhead figure)
    kernel_rate: int = 5_000            # events/s of the fixed-rate step: every variant keeps up
    kernel_step_s: float = 0.5
    step_s: float = 0.25
    max_rate: int = 640_000
    bisect: int = 3
    testrun_repeat: int = 1_000_000     # runs per frame of a testrun program's --bench
    clean_build: bool = True
    only: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()      # only these programs (all when empty)

    @classmethod
    def quick(cls, **kw) -> "Config":
        """For tests and a first look: 2 runs, a small storm, short steps (about a minute)."""
        return cls(**{"runs": 2, "warmup": 0, "opens": 5_000, "kernel_step_s": 0.2, "step_s": 0.1,
                      "max_rate": 80_000, "bisect": 1,
                      "testrun_repeat": 100_000, **kw})

    @classmethod
    def from_options(cls, quick: bool, runs: int | None = None, warmup: int | None = None,
                     opens: int | None = None, **kw) -> "Config":
        """The command line's: --quick sets short defaults, and --runs, --warmup and --opens
        given with it are honoured, never dropped."""
        given = {k: v for k, v in (("runs", runs), ("warmup", warmup), ("opens", opens)) if v is not None}
        if quick:
            return cls.quick(**{**kw, "clean_build": False}, **given)
        return cls(**{"runs": DEFAULT_RUNS, "warmup": DEFAULT_WARMUP, "opens": DEFAULT_OPENS, **given}, **kw)

    def plan(self, placement: Placement) -> Plan:
        return Plan(self.opens, self.kernel_rate, self.kernel_step_s, self.step_s, self.max_rate, self.bisect,
                    placement)

    def to_json(self) -> dict:
        return {"runs": self.runs, "warmup": self.warmup, "opens": self.opens, "kernel_rate": self.kernel_rate,
                "kernel_step_s": self.kernel_step_s, "step_s": self.step_s, "max_rate": self.max_rate,
                "bisect": self.bisect, "testrun_repeat": self.testrun_repeat, "clean_build": self.clean_build}


def dependency_count(v: Variant) -> dict | None:
    """Third-party packages named by the lock file (Cargo.lock packages from a registry; go.sum modules)."""
    if not v.lockfile:
        return None
    path = v.dir / v.lockfile
    try:
        text = path.read_text()
    except OSError as e:
        return {"count": None, "reason": f"{v.lockfile}: {e.strerror}"}
    if path.name == "Cargo.lock":
        count = sum(1 for block in text.split("[[package]]")[1:] if "\nsource = " in block)
    elif path.name == "go.sum":
        count = len({line.split()[0] for line in text.splitlines() if line and not line.split()[1].endswith("/go.mod")})
    else:
        return {"count": None, "reason": f"unknown lock file {path.name}"}
    return {"count": count, "source": str(v.lockfile)}


def _inspect(fn, path: Path) -> dict:
    try:
        with path.open("rb") as f:
            if f.read(2) == b"#!":
                return {"path": str(path), "error": "not inspected: a script, not an ELF executable"}
        return fn(path)
    except OSError as e:
        return {"path": str(path), "error": f"inspect failed: {e.strerror}"}
    except elf.InspectError as e:
        return {"path": str(path), "error": f"inspect failed: {e}"}


def inspect_variant(v: Variant) -> dict:
    """ELF facts of every program's executable and BPF objects, and comparisons between objects."""
    out = {}
    for name, prog in v.programs.items():
        objects = [_inspect(elf.inspect_bpf_object, v.dir / o) for o in prog.bpf_objects]
        for o, rel in zip(objects, prog.bpf_objects):
            o["path"] = str(rel)
        entry = {"executable": _inspect(elf.inspect_executable, v.dir / prog.executable), "objects": objects}
        entry["executable"]["path"] = str(prog.executable)
        good = [o for o in objects if "error" not in o]
        if len(good) > 1:
            entry["comparison"] = elf.compare_objects(good)
        out[name] = entry
    return out


def _only_programs(v: Variant, names: tuple[str, ...]) -> Variant:
    return dataclasses.replace(v, programs={p: prog for p, prog in v.programs.items() if p in names})


def _status_from_runs(runtime: dict[str, ProgramRun]) -> tuple[str, str | None]:
    reasons = [f"{p}: {r.reason}" for p, r in runtime.items() if r.status != "ok"]
    return ("failed", "; ".join(reasons)) if reasons else ("ok", None)


def _derive(samples: list[Sample], per_round: dict[int, float], m: Metric) -> None:
    """A derived figure (metrics.Derived) of each sample: its source figure less the yardstick
    of the same round, or that difference as a percentage of the yardstick."""
    for s in samples:
        value, ref = s.figures.get(m.derived.source), per_round.get(s.round)
        if value is None or ref is None or (m.derived.percent and not ref):
            continue
        s.figures[m.key] = 100.0 * (value - ref) / ref if m.derived.percent else value - ref


class UnknownVariant(ValueError):
    """A variant named on the command line has no folder: a usage error (exit 2)."""


def select(variants: list[Variant], errors: list, only: tuple[str, ...]) -> tuple[list[Variant], list]:
    """The variants and manifest errors a run covers: all, or those named. A named variant whose
    manifest is broken is kept as its error (reported with its reason, like any failure), and
    the other named variants still run; a name with no folder at all is a usage error."""
    if not only:
        return variants, errors
    unknown = set(only) - {v.name for v in variants} - {e.path.parent.name for e in errors}
    if unknown:
        raise UnknownVariant(f"no such variant: {', '.join(sorted(unknown))}")
    return [v for v in variants if v.name in only], [e for e in errors if e.path.parent.name in only]


def benchmark(cfg: Config, log=print) -> tuple[Results, bool]:
    """Everything results.json holds, and whether every variant that should work did."""
    catalogue = toolchains.load_catalogue()
    tc_state = toolchains.probe_all(catalogue)
    absent = {n: s["reason"] for n, s in tc_state.items() if not s["version"]}
    variants, manifest_errors = discover(REPO / "variants", set(catalogue))
    variants, manifest_errors = select(variants, manifest_errors, cfg.only)

    entries: dict[str, VariantResult] = {}
    for err in manifest_errors:
        name = err.path.parent.name
        log(f"{name}: manifest error: {err}")
        entries[name] = VariantResult(name=name, status="failed", reason=f"manifest: {err}")

    runnable: list[Variant] = []
    for v in variants:
        log(f"{v.name}: building" + (" (clean, then no-change)" if cfg.clean_build else ""))
        b: BuildResult = build_variant(v, absent, clean=cfg.clean_build)
        entry = VariantResult(
            name=v.name, language=v.language, role=v.role,
            framework={"name": v.framework, "version": v.framework_version},
            libbpf=v.libbpf, toolchains=list(v.toolchains), emits_events=v.emits_events,
            known_unavailable=b.known, deviations=list(v.deviations), lacks=dict(v.lacks),
            test_run={p: prog.test_run for p, prog in v.programs.items() if prog.test_run},
            reader={p: prog.reader for p, prog in v.programs.items() if prog.reader}, status=b.status, reason=b.reason, build={**b.to_json(), "dependencies": dependency_count(v)},
        )
        entries[v.name] = entry
        if b.status != "ok":
            log(f"{v.name}: {b.status}: {b.reason}")
            continue
        if cfg.programs:
            v = _only_programs(v, cfg.programs)
        log(f"{v.name}: built in {b.build_s:.1f} s; inspecting")
        entry.elf = inspect_variant(v)
        runnable.append(v)

    # After the builds, so that generated files (skeletons, bpf2go's Go files) are there to count.
    log("counting source lines and complexity")
    source_block = source.count_all(variants, manifest_errors)

    placement = Placement.choose()
    placement.apply_to_harness()
    plan = cfg.plan(placement)
    programs = sorted({p for v in runnable for p in v.programs if SPECS[p].kind == "trace"})
    machine_before = {"load_average": noise.load_average(), "cpu_mhz": noise.cpu_mhz()}
    samples: dict[tuple[str, str], list[Sample]] = {(v.name, p): [] for v in runnable for p in v.programs}
    base: dict[str, list[dict]] = {p: [] for p in programs}
    broken: dict[tuple[str, str], str] = {}
    rounds = cfg.warmup + cfg.runs
    # Each kind's set-up, once for the whole run; a kind whose set-up fails is not measured.
    states: dict[str, object] = {}
    try:
        for kind in sorted({SPECS[p].kind for v in runnable for p in v.programs}):
            try:
                states[kind] = RUNNERS[kind].setup()
            except RuntimeError as e:
                log(f"{kind} programs: not measured: {e}")
                broken.update({(v.name, p): f"not measured: {e}" for v in runnable for p in v.programs
                               if SPECS[p].kind == kind})
        # The baseline (nothing attached) takes its turn in the rotation like a variant.
        slots: list[Variant | None] = [None, *runnable]
        _rounds(cfg, rounds, slots, programs, placement, plan, states, base, samples, broken, log)
    finally:
        for kind, state in states.items():
            if state is not None:
                RUNNERS[kind].teardown(state)
        release_scratch_root()

    floor = next((v.name for v in runnable if not v.emits_events), None)
    for pname in programs:
        for m in DERIVED:
            if m.derived.yardstick == "baseline":
                # The baseline's own figure is the workload's time per operation.
                per_round = {b["round"]: b["ns_per_op"] for b in base[pname]}
            else:
                per_round = {s.round: s.figures.get(m.derived.source)
                             for s in samples.get((floor, pname), []) if s.ok}
            for v in runnable:
                if pname in v.programs and not (m.derived.yardstick == "floor" and v.name == floor):
                    _derive(samples[(v.name, pname)], per_round, m)

    for v in runnable:
        runtime = {}
        for pname in v.programs:
            ss = samples[(v.name, pname)]
            good = [s for s in ss if s.ok]
            if good:
                status, reason = "ok", None
                failures = [s.error for s in ss if not s.ok]
                if failures:
                    status, reason = "failed", f"{len(failures)} of {len(ss)} runs failed: {failures[0]}"
            else:
                status = "failed"
                reason = broken.get((v.name, pname)) or (ss[0].error if ss else "no run")
            runtime[pname] = ProgramRun(status, reason, ss)
        entries[v.name].runtime = runtime
        entries[v.name].status, entries[v.name].reason = _status_from_runs(runtime)

    doc_variants = [entries[k] for k in sorted(entries)]
    healthy = all(
        e.status == "ok" or (e.status == "unavailable" and (e.known_unavailable or not under_ci()))
        for e in doc_variants
    )
    windows = [s.noise for ss in samples.values() for s in ss if s.noise]
    return Results(
        machine={}, config=cfg.to_json(), variants=doc_variants, toolchains=tc_state,
        placement=placement.to_json(), baseline=base, source=source_block,
        noise={
            "before": machine_before,
            "after": {"load_average": noise.load_average(), "cpu_mhz": noise.cpu_mhz()},
            "other_cpu_pct": summarize([w.get("other_cpu_pct") for w in windows]),
            "steal_pct": summarize([w.get("steal_pct") for w in windows]),
            "busy_runs": sum(noise.busy(w) for w in windows),
            "runs": len(windows),
        },
    ), healthy


def _rounds(cfg: Config, rounds: int, slots: list, programs: list[str], placement: Placement, plan: Plan,
            states: dict, base: dict, samples: dict, broken: dict, log) -> None:
    """Every round: the baseline and each variant's programs, in an order that rotates."""
    with kernel.bpf_stats():
        for r in range(rounds):
            order = slots[r % len(slots):] + slots[: r % len(slots)]
            warm = r < cfg.warmup
            log(f"round {r + 1}/{rounds}" + (" (warm-up, discarded)" if warm else ""))
            for v in order:
                if v is None:
                    for pname in programs:
                        b = baseline(pname, cfg.opens, placement, scratch_root())
                        if not warm:
                            base[pname].append({"round": r, **b})
                    continue
                for pname, prog in v.programs.items():
                    key = (v.name, pname)
                    if key in broken:
                        continue
                    kind = SPECS[pname].kind
                    t0 = time.monotonic()
                    s = RUNNERS[kind].run(cfg, v, pname, placement, plan, states.get(kind), r)
                    s.wall_s = round(time.monotonic() - t0, 2)
                    if not s.ok:
                        log(f"  {v.name} {pname}: {s.error}")
                        if s.hang or s.leaked or warm or s.figures.get("ready_ms") is None:
                            broken[key] = s.error
                    if not warm:
                        samples[key].append(s)

