"""Run one executable as its own child, observe it, measure it, clean up after it.

A measured run is a lifecycle: spawned → ready (header) → first event → storm done → sweep done →
exited. Collectors own the figures: each one is told of the phases it cares about and writes
its own keys of metrics.METRICS into the sample.

During a measured run the variant's stdout goes to a file on tmpfs, not to a pipe the harness
reads: the harness polls that file for the header and the first event, then sleeps while the
compiled workload runs, and only afterwards counts the tagged lines. The variant runs pinned
to a CPU of its own (see noise.Placement), the workload and the harness on another."""
from __future__ import annotations

import ctypes
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import helpers, kernel, ledger
from .env import tool_env
from .noise import Placement, Window
from .programs import SPECS
from .results import Sample

SUMMARY = re.compile(rb"events=(\d+) drops=(\d+)")
READY_TIMEOUT_S = 30.0
FIRST_EVENT_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0 * float(os.environ.get("EBPF_TIME_SCALE", "1"))  # see tests/integration/conftest.py
QUIET_S = 0.3        # no new line for this long after a load: the variant has drained its ring buffer
POLL_S = 0.0002      # how often the output file is read while startup is timed
DRAIN_POLL_S = 0.005
MARKER_INTERVAL_US = 1000
SHM = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())


def scratch_root() -> Path:
    """This process's folder for its runs' files, in SHM: written down in the ledger before it
    is made, so removed at exit by the ledger's own atexit (ledger.undo_own) if not before, or,
    after a SIGKILL, by the next harness command."""
    root = SHM / f"ebpf-fw-run-{os.getpid()}"
    if not root.is_dir():
        ledger.record("dir", str(root))
        root.mkdir(exist_ok=True)
    return root


def release_scratch_root() -> None:
    root = SHM / f"ebpf-fw-run-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    ledger.forget("dir", str(root))


def loadgen() -> Path:
    """The compiled load generator and test helper (harness/loadgen.c)."""
    return helpers.path("loadgen")


@dataclass
class Usage:
    """What wait4() said of the variant: peak RSS in KiB, CPU times in seconds."""
    ru_maxrss: int
    ru_utime: float
    ru_stime: float


class Child:
    """A running variant executable whose stdout lines are time-stamped as they are seen.

    It runs under harness/spawn.c, which forks it (pinned to `cpu` if given), tells its pid and
    reports its wait4() rusage: see there why Python does not fork it directly. Signals go to
    the variant itself. Stdout is either a pipe read live by a thread (the tests), or, with
    `stdout_path`, a file that is read only when the harness polls it (the benchmark)."""

    def __init__(self, argv: list[str], watch: tuple[bytes, ...] = (), stdout_path: Path | None = None,
                 cpu: int | None = None):
        spawn = helpers.path("spawn")
        r, w = os.pipe()
        self._file = None
        out = err = subprocess.PIPE
        if stdout_path:
            out, err = open(stdout_path, "wb"), open(stdout_path.with_suffix(".err"), "wb")
            self._err_path = stdout_path.with_suffix(".err")
        self.t0 = time.monotonic_ns()
        try:
            self.proc = subprocess.Popen(
                [str(spawn), *(["-a", str(cpu)] if cpu is not None else []), str(w), *argv],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=tool_env(), start_new_session=True,
                pass_fds=(w,),
            )
        finally:
            os.close(w)
            if stdout_path:
                out.close()
                err.close()
        self._report = os.fdopen(r)
        first = self._report.readline().split()
        if len(first) != 2 or first[0] != "pid":
            self.proc.wait()
            why = self._err_path.read_bytes() if stdout_path else self.proc.stderr.read()
            raise OSError(f"spawn failed: {why.decode(errors='replace').strip()}")
        self.pid = int(first[1])
        self.lines: list[bytes] = []
        self.header: bytes | None = None
        self.header_ns: int | None = None
        self.seen: dict[bytes, int] = {}  # watched substring -> time its first line was seen
        self.counts: dict[bytes, int] = {w: 0 for w in watch}
        self.last_seen: dict[bytes, int] = {}  # watched substring -> time its latest line was seen
        self.stderr = b""
        self.rusage: Usage | None = None
        self.status: int | None = None
        self._cond = threading.Condition()
        if stdout_path:
            self._file = open(stdout_path, "rb")
            self._pending = b""
            return
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def watch(self, tag: bytes) -> None:
        self.counts.setdefault(tag, 0)

    def _take(self, chunk: bytes, now: int, keep: bool) -> None:
        """Account for complete lines: the header first, then the watched substrings."""
        if self.header_ns is None:
            line, nl, chunk = chunk.partition(b"\n")
            self.header, self.header_ns = line, now
        if not chunk:
            return
        if keep:
            self.lines.append(chunk)
        for w in self.counts:
            c = chunk.count(w)
            if c:
                self.counts[w] += c
                self.seen.setdefault(w, now)
                self.last_seen[w] = now

    def _read_stdout(self):
        for line in iter(self.proc.stdout.readline, b""):
            now = time.monotonic_ns()
            with self._cond:
                self._take(line, now, keep=True)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()  # EOF: the variant ended; wake whoever waits for a line

    def _read_stderr(self):
        self.stderr = self.proc.stderr.read()

    def poll(self) -> None:
        """File mode: read what the variant wrote since the last poll (whole lines only)."""
        if self._file is None:
            return
        data = self._file.read()
        if not data:
            return
        now = time.monotonic_ns()
        data = self._pending + data
        cut = data.rfind(b"\n") + 1
        self._pending = data[cut:]
        if cut:
            self._take(data[:cut], now, keep=False)

    def wait_for(self, predicate, timeout: float, poll: float = POLL_S) -> bool:
        if self._file is None:
            with self._cond:
                return self._cond.wait_for(predicate, timeout)
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)

    def exited(self) -> bool:
        return self.proc.poll() is not None

    @property
    def ready_ms(self) -> float | None:
        """exec → header, in ms; None before the header."""
        return None if self.header_ns is None else (self.header_ns - self.t0) / 1e6

    def _reap(self, block: bool) -> bool:
        """True while running; once ended, takes status and rusage from spawn's report."""
        if self.status is not None:
            return False
        if block:
            self.proc.wait()
        elif self.proc.poll() is None:
            return True
        last = self._report.read().split()
        if len(last) == 5 and last[0] == "exit":
            status, maxrss, utime, stime = (int(x) for x in last[1:])
            self.status = os.waitstatus_to_exitcode(status)
            self.rusage = Usage(maxrss, utime / 1e6, stime / 1e6)
        else:
            self.status = self.proc.returncode  # spawn itself died
        return False

    def send(self, sig) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig=signal.SIGINT, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Signal, then SIGKILL after timeout; True if it had to be killed (a hang)."""
        if self.status is not None:
            return False
        self.send(sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._reap(block=False):
                break
            time.sleep(0.005)
        else:
            self.send(signal.SIGKILL)
            self._reap(block=True)
            self._finish()
            return True
        self._finish()
        return False

    def _finish(self):
        if self._file is not None:
            self.poll()
            self._file.close()
            self.stderr = self._err_path.read_bytes()
            return
        self._out.join(timeout=5)
        self._err.join(timeout=5)

    def summary(self) -> tuple[int, int] | None:
        m = SUMMARY.search(self.stderr)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def error_line(self) -> str:
        lines = [line for line in self.stderr.decode(errors="replace").splitlines() if line.strip()]
        return lines[-1][:300] if lines else f"exit status {self.status}"


# ---------------------------------------------------------------------------------------------
# What makes each program emit events that can be told apart from everyone else's.

@dataclass(frozen=True)
class Stimulus:
    """A program's workload: a marker that runs until killed, and counted operations (paced or
    not). `tag(name)` is the bytes that mark that load's lines in the variant's output. Which
    operation is the program's spec's `workload` (harness/programs.py): failing execs under a
    unique comm (told apart by comm) or opens of a unique path (told apart by path)."""
    program: str
    scratch: Path
    token: str

    @property
    def by_comm(self) -> bool:
        return SPECS[self.program].workload == "exec"

    def tag(self, name: str) -> bytes:
        if self.by_comm:
            return f"\t{self.comm(name)}\t".encode()
        return (str(self.path(name)) + "\n").encode()

    def comm(self, name: str) -> str:
        return f"{name}{self.token}"[:15]

    def path(self, name: str) -> Path:
        return self.scratch / f"{self.token}-{name}"

    def marker(self, cpu: int | None) -> list[str]:
        pin = ["-a", str(cpu)] if cpu is not None else []
        if self.by_comm:
            return [str(loadgen()), "-c", self.comm("mk"), *pin, "marker-exec", str(MARKER_INTERVAL_US)]
        return [str(loadgen()), *pin, "marker-open", str(self.path("mk")), str(MARKER_INTERVAL_US)]

    def load(self, name: str, n: int, rate: int, cpu: int | None) -> list[str]:
        pin = ["-a", str(cpu)] if cpu is not None else []
        if self.by_comm:
            return [str(loadgen()), "-c", self.comm(name), *pin, "exec", str(n), str(rate)]
        self.path(name).write_text("")
        return [str(loadgen()), *pin, "open", str(self.path(name)), str(n), str(rate)]


def stimulus(program: str, scratch: Path) -> Stimulus:
    return Stimulus(program, scratch, uuid.uuid4().hex[:8])


@dataclass
class Work:
    """What the workload said of itself: n operations in elapsed_ns, using cpu_ns."""
    n: int
    elapsed_ns: int
    cpu_ns: int

    @property
    def ns_per_op(self) -> float:
        return self.elapsed_ns / self.n

    @property
    def rate(self) -> float:
        return self.n * 1e9 / self.elapsed_ns


def run_workload(argv: list[str]) -> Work:
    r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    fields = dict(kv.split("=", 1) for kv in r.stdout.split() if "=" in kv)
    if r.returncode != 0 or not {"n", "elapsed_ns", "cpu_ns"} <= set(fields):
        raise RuntimeError(f"workload failed: {(r.stderr.strip() or f'exit {r.returncode}')[:200]}")
    return Work(int(fields["n"]), int(fields["elapsed_ns"]), int(fields["cpu_ns"]))


def baseline(program: str, ops: int, placement: Placement, scratch: Path) -> dict:
    """The same workload with nothing of ours attached: the yardstick of the overhead figures."""
    stim = stimulus(program, scratch)
    try:
        w = run_workload(stim.load("bl", ops, 0, placement.workload))
    finally:
        stim.path("bl").unlink(missing_ok=True)
    return {"ns_per_op": w.ns_per_op, "rate": w.rate, "n": w.n}


# ---------------------------------------------------------------------------------------------
# The kernel's view of a running variant.

def _kernel_view(pid: int) -> tuple[list[dict], list[dict], dict[str, set[int]]]:
    fds = kernel.bpf_fds(pid)
    ids = kernel.bpf_ids(fds)
    progs = []
    for p in fds["prog"]:
        pid_ = int(p.get("prog_id", 0))
        info = kernel.prog_info(pid_) if pid_ else {}
        progs.append({
            "name": info.get("name"),
            "prog_type": p.get("prog_type"),
            "prog_id": pid_,
            "verified_insns": int(p["verified_insns"]) if "verified_insns" in p else None,
            "xlated_bytes": info.get("bytes_xlated"),
            "jited_bytes": info.get("bytes_jited"),
            "memlock": int(p.get("memlock", 0)),
        })
    maps = [{
        "map_type": m.get("map_type"),
        "map_id": int(m.get("map_id", 0)),
        "max_entries": int(m.get("max_entries", 0)),
        "memlock": int(m.get("memlock", 0)),
    } for m in fds["map"]]
    # A prog fd may appear twice (dup'ed by a framework); keep one row per id.
    progs = list({p["prog_id"]: p for p in progs}.values())
    maps = list({m["map_id"]: m for m in maps}.values())
    return progs, maps, ids


def prog_stats(pid: int) -> dict[int, tuple[int, int]]:
    """prog id -> (run_time_ns, run_cnt), from the variant's fdinfo."""
    out = {}
    for p in kernel.bpf_fds(pid)["prog"]:
        if "prog_id" in p:
            out[int(p["prog_id"])] = (int(p.get("run_time_ns", 0)), int(p.get("run_cnt", 0)))
    return out


def leaked(ids: dict[str, set[int]]) -> list[str]:
    """Kernel objects of the run still loaded after it ended (the kernel frees them lazily: retry)."""
    deadline = time.monotonic() + 3.0
    while True:
        now = kernel.loaded_ids()
        left = [f"{kind} {i}" for kind, want in ids.items() for i in sorted(want & now.get(kind, set()))]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _helper(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: if the harness itself is killed, so is the helper, instead of
    running on in its own session."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop_helper(p: subprocess.Popen | None):
    if p and p.poll() is None:
        p.kill()
        p.wait()


# ---------------------------------------------------------------------------------------------
# The plan of a measured run, the context collectors see, and the collectors.

@dataclass(frozen=True)
class Plan:
    storm_ops: int                 # unpaced operations: the overhead figure and the storm
    kernel_rate: int               # events/s of the fixed-rate step, first of the ladder
    kernel_step_s: float
    step_s: float                  # duration of every other paced step
    max_rate: int                  # the ladder doubles up to here (and never past the unpaced rate)
    bisect: int                    # bisection steps between the last good and the first lossy rate
    placement: Placement

    def ladder(self, ceiling: float) -> list[int]:
        rates, r = [], self.kernel_rate
        while r <= self.max_rate and (not rates or r < ceiling):
            rates.append(r)
            r *= 2
        return rates


@dataclass
class Step:
    """One paced (or unpaced) load through a running variant."""
    name: str
    offered_rate: int              # 0: unpaced
    work: Work
    received: int | None
    cpu_ns: int | None
    kernel_ns: float | None        # per event, over this step only
    ladder: bool = False

    @property
    def lost(self) -> int | None:
        return None if self.received is None else max(0, self.work.n - self.received)

    def to_json(self) -> dict:
        return {
            "offered_rate": self.offered_rate, "ladder": self.ladder, "sent": self.work.n,
            "achieved_rate": round(self.work.rate, 1), "received": self.received,
            "delivered_frac": None if self.received is None else min(1.0, self.received / self.work.n),
            "cpu_ns_per_event": self.cpu_ns / self.received if self.cpu_ns is not None and self.received else None,
            "kernel_ns_per_event": self.kernel_ns,
        }


class Ctx:
    """What collectors see of a run."""

    def __init__(self, child: Child, stim: Stimulus, plan: Plan, emits_events: bool, sample: Sample):
        self.child, self.stim, self.plan, self.emits_events, self.sample = child, stim, plan, emits_events, sample
        self.storm: Step | None = None
        self.sweep: list[Step] = []
        self.ids: dict[str, set[int]] = {}        # the run's kernel objects, for the leak check
        self.workload_cpu_ns = 0
        self.per_prog: dict[int, dict] = {}       # prog id -> its run figures at the fixed rate

    def put(self, key: str, value: float | None) -> None:
        self.sample.figures[key] = value


class Collector:
    def on_ready(self, ctx: Ctx) -> None: ...
    def on_first_event(self, ctx: Ctx) -> None: ...
    def on_storm(self, ctx: Ctx) -> None: ...
    def on_sweep(self, ctx: Ctx) -> None: ...
    def on_exited(self, ctx: Ctx) -> None: ...


def code_figures(pid: int) -> dict[str, float]:
    """The files a ready process maps executable: how many, and their size on disk (empty when
    /proc/PID/maps could not be read). Every program kind takes these (Memory, harness/testrun.py)."""
    files = kernel.code_files(pid)
    return {} if files is None else {"code_files": len(files), "code_mapped_kib": sum(files.values()) / 1024}


def usage_figures(child: Child) -> dict[str, float]:
    """Once ended: peak RSS and CPU times from wait4() (empty if spawn could not report them)."""
    u = child.rusage
    return {"peak_rss_kib": u.ru_maxrss, "user_cpu_ms": u.ru_utime * 1e3, "sys_cpu_ms": u.ru_stime * 1e3} if u else {}


class Startup(Collector):
    def on_ready(self, ctx):
        ctx.put("ready_ms", ctx.child.ready_ms)

    def on_first_event(self, ctx):
        tag = ctx.stim.tag("mk")
        if tag in ctx.child.seen:
            ctx.put("first_event_ms", (ctx.child.seen[tag] - ctx.child.t0) / 1e6)


class Memory(Collector):
    def on_ready(self, ctx):
        for key, value in code_figures(ctx.child.pid).items():
            ctx.put(key, value)

    def on_sweep(self, ctx):
        ctx.put("steady_rss_kib", kernel.rss_kib(ctx.child.pid))

    def on_exited(self, ctx):
        for key, value in usage_figures(ctx.child).items():
            ctx.put(key, value)


class Overhead(Collector):
    """The traced workload's own time; the harness subtracts the same round's baseline."""
    def on_storm(self, ctx):
        ctx.put("workload_ns_per_op", ctx.storm.work.ns_per_op)
        ctx.put("storm_rate", ctx.storm.work.rate)


class Throughput(Collector):
    def on_storm(self, ctx):
        st = ctx.storm
        if st.received is not None:
            ctx.put("delivered_pct", 100.0 * min(st.received, st.work.n) / st.work.n)
            if st.received and st.cpu_ns is not None:
                ctx.put("cpu_ns_per_event", st.cpu_ns / st.received)

    def on_sweep(self, ctx):
        ctx.sample.sweep = [s.to_json() for s in ctx.sweep]
        if not ctx.emits_events:
            return
        good = [s.offered_rate for s in ctx.sweep if s.lost == 0]
        if ctx.storm.lost == 0 and all(s.lost == 0 for s in ctx.sweep):
            ctx.put("max_sustainable_rate", ctx.storm.work.rate)
            ctx.sample.max_rate_bound = "workload"
        elif good:
            ctx.put("max_sustainable_rate", max(good))
            ctx.sample.max_rate_bound = "variant"

    def on_exited(self, ctx):
        summary = ctx.child.summary()
        if summary:
            ctx.put("drops", summary[1])


class Kernel(Collector):
    def on_storm(self, ctx):
        ctx.put("kernel_ns_storm", ctx.storm.kernel_ns)

    def on_sweep(self, ctx):
        fixed = next((s for s in ctx.sweep if s.offered_rate == ctx.plan.kernel_rate), None)
        ctx.put("kernel_ns_per_event", fixed.kernel_ns if fixed else None)
        ctx.sample.programs, ctx.sample.maps, ids = _kernel_view(ctx.child.pid)
        for kind, found in ids.items():
            ctx.ids.setdefault(kind, set()).update(found)
        for p in ctx.sample.programs:
            p.update(ctx.per_prog.get(p["prog_id"], {}))


COLLECTORS: tuple[type[Collector], ...] = (Startup, Memory, Overhead, Throughput, Kernel)


# ---------------------------------------------------------------------------------------------
# The lifecycle.

def _drain(ctx: Ctx, tag: bytes, n: int) -> None:
    """Until every line of the load is there, or none came for QUIET_S (the rest were lost)."""
    child = ctx.child
    t_end = time.monotonic_ns()
    while not child.wait_for(lambda: child.counts[tag] >= n, QUIET_S, poll=DRAIN_POLL_S):
        last = child.last_seen.get(tag, t_end)
        if time.monotonic_ns() - last > QUIET_S * 1e9 or child.exited():
            break


def _step(ctx: Ctx, name: str, rate: int, n: int, ladder: bool = False, per_prog: bool = False) -> Step:
    child, stim, pid = ctx.child, ctx.stim, ctx.child.pid
    tag = stim.tag(name)
    child.watch(tag)
    argv = stim.load(name, n, rate, ctx.plan.placement.workload)
    k0, cpu0 = prog_stats(pid), kernel.task_cpu_ns(pid)
    try:
        work = run_workload(argv)
        if ctx.emits_events:
            _drain(ctx, tag, work.n)
        k1, cpu1 = prog_stats(pid), kernel.task_cpu_ns(pid)
    finally:
        stim.path(name).unlink(missing_ok=True)
    runs = {i: (k1[i][0] - k0.get(i, (0, 0))[0], k1[i][1] - k0.get(i, (0, 0))[1]) for i in k1}
    most = max((c for _, c in runs.values()), default=0)
    kernel_ns = sum(t for t, c in runs.values() if c) / most if most else None
    if per_prog:
        ctx.per_prog = {i: {"run_time_ns": t, "run_cnt": c, "ns_per_run": t / c if c else None}
                        for i, (t, c) in runs.items()}
    ctx.workload_cpu_ns += work.cpu_ns
    return Step(name, rate, work, child.counts[tag] if ctx.emits_events else None,
                cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None, kernel_ns, ladder)


def _sweep(ctx: Ctx) -> None:
    """The fixed-rate step (the kernel figure), then doubling rates up to the first loss (never
    past what the workload reaches unpaced), then bisection between the last good and first bad."""
    plan = ctx.plan
    ctx.sweep.append(_step(ctx, "k", plan.kernel_rate, max(1, int(plan.kernel_rate * plan.kernel_step_s)),
                           ladder=True, per_prog=True))
    if not ctx.emits_events:
        return
    good = bad = None
    if ctx.sweep[0].lost:
        bad = plan.kernel_rate
    else:
        good = plan.kernel_rate
        for i, rate in enumerate(plan.ladder(ctx.storm.work.rate)[1:]):
            s = _step(ctx, f"r{i}", rate, max(1, int(rate * plan.step_s)), ladder=True)
            ctx.sweep.append(s)
            if s.lost:
                bad = rate
                break
            good = rate
        if bad is None and ctx.storm.lost:
            bad = int(ctx.storm.work.rate)
    if good is None or bad is None or bad <= good:
        return
    for i in range(plan.bisect):
        mid = int(math.sqrt(good * bad))
        s = _step(ctx, f"b{i}", mid, max(1, int(mid * plan.step_s)))
        ctx.sweep.append(s)
        if s.lost:
            bad = mid
        else:
            good = mid


def await_header(child: Child) -> str | None:
    """Wait for the variant's ready line: None once it is out; else the child is stopped and
    this says why not."""
    child.wait_for(lambda: child.header_ns is not None or child.exited(), READY_TIMEOUT_S)
    if child.header_ns is not None:
        return None
    child.stop()
    return ("exited before ready: " + child.error_line()) if child.status is not None \
        else f"no header within {READY_TIMEOUT_S:.0f} s"


def settle(s: Sample, ids: dict[str, set[int]]) -> Sample:
    """The end of a run that holds BPF objects: none may outlive it, and ok is no error."""
    s.leaked = leaked(ids)
    if not s.error and s.leaked:
        s.error = "leak: still loaded after exit: " + ", ".join(s.leaked)
    s.ok = s.error is None
    return s


def run_once(executable: Path, program: str, plan: Plan, emits_events: bool = True, round_: int = 0,
             collectors: tuple[type[Collector], ...] = COLLECTORS) -> Sample:
    """One measured run of one program; see the module's docstring for the phases."""
    s = Sample(round=round_)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=scratch_root()))
    stim = stimulus(program, scratch)
    cols = [c() for c in collectors]
    try:
        child = Child([str(executable), *SPECS[program].args], watch=(stim.tag("mk"),), stdout_path=scratch / "stdout",
                      cpu=plan.placement.variant)
    except (OSError, helpers.HelperError) as e:
        shutil.rmtree(scratch, ignore_errors=True)
        s.error = f"cannot start {executable}: {getattr(e, 'strerror', None) or e}"
        return s
    ctx = Ctx(child, stim, plan, emits_events, s)
    marker = None
    try:
        marker = _helper(stim.marker(plan.placement.workload))
        s.error = await_header(child)
        if s.error:
            return s
        for c in cols:
            c.on_ready(ctx)
        if emits_events:
            child.wait_for(lambda: stim.tag("mk") in child.seen or child.exited(), FIRST_EVENT_TIMEOUT_S)
        _stop_helper(marker)
        marker = None
        ctx.ids = kernel.bpf_ids(kernel.bpf_fds(child.pid))
        if emits_events and stim.tag("mk") not in child.seen:
            s.error = f"no event for the marker within {FIRST_EVENT_TIMEOUT_S:.0f} s"
        for c in cols:
            c.on_first_event(ctx)
        time.sleep(0.05)  # the marker's last events drain before the load
        if not s.error:
            window = Window()
            cpu0 = kernel.task_cpu_ns(child.pid)
            ctx.storm = _step(ctx, "st", 0, plan.storm_ops)
            for c in cols:
                c.on_storm(ctx)
            _sweep(ctx)
            for c in cols:
                c.on_sweep(ctx)
            cpu1 = kernel.task_cpu_ns(child.pid)
            s.noise = window.close(cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else 0, ctx.workload_cpu_ns)
    except RuntimeError as e:
        s.error = str(e)
    finally:
        _stop_helper(marker)
        s.hang = child.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    s.exit_code = child.status
    for c in cols:
        c.on_exited(ctx)
    s.leaked = leaked(ctx.ids)
    if s.hang:
        s.error = f"hang: still running {STOP_TIMEOUT_S:.0f} s after SIGINT, killed"
    elif s.leaked:
        s.error = "leak: still loaded after exit: " + ", ".join(s.leaked)
    elif s.exit_code != 0 and not s.error:
        s.error = f"exit status {s.exit_code} after SIGINT: {child.error_line()}"
    s.ok = s.error is None
    return s

