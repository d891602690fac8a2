"""The results document: typed at its boundary, raw samples stored, summaries computed on load,
machine metadata, and atomic writes that Ctrl-C cannot tear.

results.json holds what was measured and nothing derived: every median, spread and agreement
flag is computed from the samples when the document is loaded (`Results.view()`), so a change
to the statistics never needs a new run. docs/results.md describes every field."""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import platform
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import metrics
from .env import REPO

SCHEMA_VERSION = 2


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
    except OSError:
        return None
    return None


def machine() -> dict:
    mem = _first("/proc/meminfo", "MemTotal")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "harness", "variants", "bpf"],
                           cwd=REPO, capture_output=True, text=True).stdout.strip()
    return {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "arch": platform.machine(),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.split()[0]) / 2**20, 1) if mem else None,
        "distro": _first("/etc/os-release", "PRETTY_NAME="),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "harness_commit": (commit or "unknown") + ("+dirty" if dirty else ""),
        "python": platform.python_version(),
    }


@dataclass
class Sample:
    """One run of one program: every figure it measured (metrics.METRICS keys), or why not."""
    round: int = 0
    ok: bool = False
    error: str | None = None
    hang: bool = False
    leaked: list[str] = field(default_factory=list)
    exit_code: int | None = None
    figures: dict[str, float | None] = field(default_factory=dict)
    programs: list[dict] = field(default_factory=list)  # per BPF program, as the kernel reports it
    maps: list[dict] = field(default_factory=list)
    sweep: list[dict] = field(default_factory=list)     # one point per paced rate
    max_rate_bound: str | None = None                   # "workload" when even unpaced lost nothing
    noise: dict = field(default_factory=dict)           # what else the machine did during the run
    frames: list[dict] = field(default_factory=list)    # testrun programs: per frame, the kernel's ns per run
    attach_mode: str | None = None                      # testrun programs: the hook the kernel used
    wall_s: float | None = None                         # how long the run took, start to leak check

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Sample":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class ProgramRun:
    status: str
    reason: str | None
    samples: list[Sample]

    def to_json(self) -> dict:
        return {"status": self.status, "reason": self.reason, "samples": [s.to_json() for s in self.samples]}

    @classmethod
    def from_json(cls, d: dict) -> "ProgramRun":
        return cls(d["status"], d.get("reason"), [Sample.from_json(s) for s in d.get("samples", [])])

    def summary(self) -> dict:
        return metrics.summarize_samples([s.to_json() for s in self.samples])


@dataclass
class VariantResult:
    name: str
    status: str
    reason: str | None = None
    language: str | None = None
    role: str = "framework"
    framework: dict = field(default_factory=dict)
    libbpf: str | None = None
    toolchains: list[str] = field(default_factory=list)
    emits_events: bool = True
    known_unavailable: bool = False  # the manifest says it cannot run here, and why (reason)
    deviations: list[str] = field(default_factory=list)  # declared departures from docs/programs.md
    lacks: dict[str, str] = field(default_factory=dict)   # optional programs it does not have, and why
    test_run: dict[str, str] = field(default_factory=dict)  # program -> the framework's test-run API
    reader: dict[str, str] = field(default_factory=dict)    # program -> the framework's ring reader (flood)
    build: dict = field(default_factory=dict)
    elf: dict = field(default_factory=dict)
    runtime: dict[str, ProgramRun] = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["runtime"] = {p: r.to_json() for p, r in self.runtime.items()}
        return d

    @classmethod
    def from_json(cls, d: dict) -> "VariantResult":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d and d[k] is not None}
        known["runtime"] = {p: ProgramRun.from_json(r) for p, r in (d.get("runtime") or {}).items()}
        return cls(**known)


@dataclass
class Results:
    machine: dict
    config: dict
    variants: list[VariantResult]
    toolchains: dict = field(default_factory=dict)
    placement: dict = field(default_factory=dict)        # which CPU ran what
    baseline: dict[str, list[dict]] = field(default_factory=dict)  # program -> the workload, nothing attached
    noise: dict = field(default_factory=dict)            # the machine before and during the run
    source: dict = field(default_factory=dict)           # lines of code and complexity (harness/source.py)
    migrated_from: int | None = None

    def to_json(self) -> dict:
        d = {"schema_version": SCHEMA_VERSION, **asdict(self)}
        d["variants"] = [v.to_json() for v in self.variants]
        if self.migrated_from is None:
            d.pop("migrated_from")
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Results":
        if not isinstance(d, dict):
            raise ValueError(f"a JSON {type(d).__name__}, not an object")
        version = d.get("schema_version")
        migrated = None
        if version == 1:
            d, migrated = migrate_v1(d), 1
        elif version != SCHEMA_VERSION:
            raise ValueError(f"schema_version {version!r} is not {SCHEMA_VERSION} (nor 1, which is migrated)")
        if not isinstance(d.get("variants"), list) or not isinstance(d.get("config"), dict):
            raise ValueError("no variants list or config object: not a benchmark's results.json")
        return cls(
            machine=d.get("machine") or {}, config=d.get("config") or {},
            variants=[VariantResult.from_json(v) for v in d.get("variants", [])],
            toolchains=d.get("toolchains") or {}, placement=d.get("placement") or {},
            baseline=d.get("baseline") or {}, noise=d.get("noise") or {}, source=d.get("source") or {},
            migrated_from=d.get("migrated_from", migrated),
        )

    def view(self) -> dict:
        """The document as the report reads it: the JSON plus summaries computed from the samples."""
        doc = self.to_json()
        for v, obj in zip(doc["variants"], self.variants):
            for prog, run in obj.runtime.items():
                v["runtime"][prog]["summary"] = run.summary()
        doc["baseline_summary"] = {
            prog: {k: metrics.summarize([s.get(k) for s in samples]) for k in ("ns_per_op", "rate")}
            for prog, samples in self.baseline.items()
        }
        return doc


# v1 kept every figure at the top of a sample; its kernel ns per event was taken during an
# unpaced storm (a different regime from v2's fixed rate), so it is not carried over.
_V1_FIGURES = ("ready_ms", "first_event_ms", "peak_rss_kib", "steady_rss_kib", "user_cpu_ms", "sys_cpu_ms",
               "drops", "cpu_ns_per_event")


def migrate_v1(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    warmup = (doc.get("config") or {}).get("warmup", 0)
    for v in doc.get("variants", []):
        for run in (v.get("runtime") or {}).values():
            run.pop("summary", None)
            new = []
            for i, s in enumerate(run.get("samples", [])):
                figures = {k: s.get(k) for k in _V1_FIGURES}
                if s.get("received") is not None and s.get("opens"):
                    figures["delivered_pct"] = 100.0 * s["received"] / s["opens"]
                new.append({"round": warmup + i, "ok": s.get("ok", False), "error": s.get("error"),
                            "hang": s.get("hang", False), "leaked": s.get("leaked", []),
                            "exit_code": s.get("exit_code"), "figures": figures,
                            "programs": s.get("programs", []), "maps": s.get("maps", [])})
            run["samples"] = new
    doc["schema_version"] = SCHEMA_VERSION
    doc["migrated_from"] = 1
    return doc


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write beside the target, fsync, rename: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_RENAME_EXCHANGE = 2   # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (renameat2 RENAME_EXCHANGE); False where the file system or
    the C library cannot."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_folder(out: Path, write) -> list[Path]:
    """Replace the folder `out` as a whole: a staging folder beside it gets a copy of what `out`
    holds (files this run does not write, such as the kernel matrix's, stay), then `write(staging)`
    writes the run's files there, then the two are swapped in one rename. A process killed at
    any point leaves the previous set or the new one, never a mix; the staging folder is in the
    ledger, so the next harness command removes what a kill left. Returns what `write` wrote,
    as paths under `out`."""
    from . import ledger
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    ledger.record("dir", str(staging))
    try:
        shutil.rmtree(staging, ignore_errors=True)
        if out.is_dir():
            shutil.copytree(out, staging, symlinks=True)
        else:
            staging.mkdir()
        written = write(staging)
        for f in staging.rglob("*"):
            if f.is_file() and not f.is_symlink():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        if not out.exists():
            os.rename(staging, out)
        elif not _exchange(staging, out):
            # No atomic swap here: two renames, the old set kept until the new one is in place.
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            ledger.record("dir", str(old))
            os.rename(out, old)
            os.rename(staging, out)
            shutil.rmtree(old, ignore_errors=True)
            ledger.forget("dir", str(old))
    finally:
        shutil.rmtree(staging, ignore_errors=True)   # after the swap: the previous set
        ledger.forget("dir", str(staging))
    return [out / Path(w).relative_to(staging) for w in written]


def check_writable(directory: Path) -> str | None:
    """Why results cannot be written into directory (None when they can): found before a run,
    not after it."""
    d = directory
    while not d.exists():
        d = d.parent
    if not d.is_dir():
        return f"{d} is not a directory"
    try:
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".probe-")
    except OSError as e:
        if d != directory:
            return f"{directory} cannot be made: {d} takes no new files ({e.strerror})"
        return f"cannot write to {d}: {e.strerror}"
    os.close(fd)
    os.unlink(tmp)
    return None


@contextmanager
def no_interrupt():
    """Defer Ctrl-C while a set of result files is replaced, so they stay consistent."""
    pending = []
    previous = signal.signal(signal.SIGINT, lambda *a: pending.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def load(path: Path) -> Results:
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON: {e}") from None
    try:
        return Results.from_json(doc)
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: not a results document: {type(e).__name__}: {e}") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
