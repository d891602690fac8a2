"""Run one executable as its own child, watch its stdout live, measure it, clean up after it."""
from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import kernel
from .env import REPO, WORK, tool_env

SUMMARY = re.compile(rb"events=(\d+) drops=(\d+)")
READY_TIMEOUT_S = 30.0
FIRST_EVENT_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
QUIET_S = 0.5  # no new line for this long after the load: the variant has drained its ring buffer
MARKER_INTERVAL_US = 1000


def _compiled(name: str) -> Path:
    """harness/NAME.c compiled into .work/NAME, again whenever the source is newer."""
    src, exe = REPO / "harness" / f"{name}.c", WORK / name
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        WORK.mkdir(exist_ok=True)
        subprocess.run(["cc", "-O2", "-Wall", "-o", str(exe), str(src)], check=True, env=tool_env())
    return exe


def loadgen() -> Path:
    """The compiled load generator and test helper (harness/loadgen.c)."""
    return _compiled("loadgen")


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: if the harness itself is killed, so is the helper, instead of
    running on in its own session."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Usage:
    """What wait4() said of the variant: peak RSS in KiB, CPU times in seconds."""
    ru_maxrss: int
    ru_utime: float
    ru_stime: float


class Child:
    """A running variant executable whose stdout lines are read and time-stamped as they arrive.

    It runs under harness/spawn.c, which forks it, tells its pid and reports its wait4() rusage:
    see there why Python does not fork it directly. Signals go to the variant itself."""

    def __init__(self, argv: list[str], watch: tuple[bytes, ...] = ()):
        spawn = _compiled("spawn")
        r, w = os.pipe()
        self.t0 = time.monotonic_ns()
        try:
            self.proc = subprocess.Popen(
                [str(spawn), str(w), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL, env=tool_env(), start_new_session=True, pass_fds=(w,),
            )
        finally:
            os.close(w)
        self._report = os.fdopen(r)
        first = self._report.readline().split()
        if len(first) != 2 or first[0] != "pid":
            self.proc.wait()
            raise OSError(f"spawn failed: {self.proc.stderr.read().decode(errors='replace').strip()}")
        self.pid = int(first[1])
        self.lines: list[bytes] = []
        self.header: bytes | None = None
        self.header_ns: int | None = None
        self.seen: dict[bytes, int] = {}  # watched substring -> time of its first line
        self.counts: dict[bytes, int] = {w: 0 for w in watch}
        self.last_seen: dict[bytes, int] = {}  # watched substring -> time of its latest line
        self.stderr = b""
        self.rusage: Usage | None = None
        self.status: int | None = None
        self._cond = threading.Condition()
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def _read_stdout(self):
        for line in iter(self.proc.stdout.readline, b""):
            now = time.monotonic_ns()
            with self._cond:
                if self.header_ns is None:
                    self.header, self.header_ns = line.rstrip(b"\n"), now
                else:
                    self.lines.append(line)
                    for w in self.counts:
                        if w in line:
                            self.counts[w] += 1
                            self.seen.setdefault(w, now)
                            self.last_seen[w] = now
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()  # EOF: the variant ended; wake whoever waits for a line

    def _read_stderr(self):
        self.stderr = self.proc.stderr.read()

    def wait_for(self, predicate, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def exited(self) -> bool:
        return self.proc.poll() is not None

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
        self._out.join(timeout=5)
        self._err.join(timeout=5)

    def summary(self) -> tuple[int, int] | None:
        m = SUMMARY.search(self.stderr)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def error_line(self) -> str:
        lines = [line for line in self.stderr.decode(errors="replace").splitlines() if line.strip()]
        return lines[-1][:300] if lines else f"exit status {self.status}"


@dataclass
class Stimulus:
    """How to make a program emit events that can be told apart from everyone else's."""
    marker: list[str]   # runs until killed; its events carry `marker_tag`
    marker_tag: bytes
    storm: list[str]    # N events carrying `storm_tag`, as fast as possible
    storm_tag: bytes
    cleanup: list[Path] = field(default_factory=list)


def stimulus(program: str, opens: int) -> Stimulus:
    gen = str(loadgen())
    token = uuid.uuid4().hex[:8]
    if program == "hello":
        return Stimulus(
            marker=[gen, "-c", f"mk{token}", "marker-exec", str(MARKER_INTERVAL_US)],
            marker_tag=f"mk{token}".encode(),
            storm=[gen, "-c", f"st{token}", "exec", str(opens)],
            storm_tag=f"st{token}".encode(),
        )
    storm_path = Path(f"/tmp/ebpf-fw-storm-{token}")
    storm_path.write_text("")
    marker = f"/tmp/ebpf-fw-marker-{token}"
    return Stimulus(
        marker=[gen, "marker-open", marker, str(MARKER_INTERVAL_US)],
        marker_tag=marker.encode(),
        storm=[gen, "open", str(storm_path), str(opens)],
        storm_tag=str(storm_path).encode(),
        cleanup=[storm_path],
    )


@dataclass
class Sample:
    """One run of one program: every figure, or why it is missing."""
    ok: bool = False
    error: str | None = None
    hang: bool = False
    leaked: list[str] = field(default_factory=list)
    exit_code: int | None = None
    ready_ms: float | None = None
    first_event_ms: float | None = None
    peak_rss_kib: int | None = None
    steady_rss_kib: int | None = None
    user_cpu_ms: float | None = None
    sys_cpu_ms: float | None = None
    opens: int | None = None
    received: int | None = None
    drops: int | None = None
    summary_events: int | None = None
    storm_ms: float | None = None
    cpu_ns_per_event: float | None = None
    kernel_ns_per_event: float | None = None
    programs: list[dict] = field(default_factory=list)
    maps: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _kernel_view(pid: int) -> tuple[list[dict], list[dict], dict[str, set[int]]]:
    fds = kernel.bpf_fds(pid)
    ids = kernel.bpf_ids(fds)
    progs = []
    for p in fds["prog"]:
        pid_ = int(p.get("prog_id", 0))
        info = kernel.prog_info(pid_) if pid_ else {}
        run_ns, run_cnt = int(p.get("run_time_ns", 0)), int(p.get("run_cnt", 0))
        progs.append({
            "name": info.get("name"),
            "prog_type": p.get("prog_type"),
            "prog_id": pid_,
            "run_time_ns": run_ns,
            "run_cnt": run_cnt,
            "ns_per_run": run_ns / run_cnt if run_cnt else None,
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


def _stop_helper(p: subprocess.Popen | None):
    if p and p.poll() is None:
        p.kill()
        p.wait()


def run_once(executable: Path, program: str, opens: int, emits_events: bool = True) -> Sample:
    """Start, time to ready and first event, storm, read the kernel's view, stop, check for leaks.

    A variant that emits no events by design (the floor) is still loaded, stormed and read for
    its kernel cost; its event figures stay unmeasured."""
    s = Sample(opens=opens)
    stim = stimulus(program, opens)
    marker = None
    try:
        child = Child([str(executable)], watch=(stim.marker_tag, stim.storm_tag))
    except OSError as e:
        for path in stim.cleanup:
            path.unlink(missing_ok=True)
        s.error = f"cannot start {executable}: {e.strerror}"
        return s
    ids: dict[str, set[int]] = {}
    try:
        marker = _helper(stim.marker)
        child.wait_for(lambda: child.header_ns is not None or child.exited(), READY_TIMEOUT_S)
        if child.header_ns is None:
            child.stop()
            s.error = "exited before ready: " + child.error_line() if child.status is not None \
                else f"no header within {READY_TIMEOUT_S:.0f} s"
            return s
        s.ready_ms = (child.header_ns - child.t0) / 1e6
        if emits_events and child.wait_for(lambda: stim.marker_tag in child.seen, FIRST_EVENT_TIMEOUT_S):
            s.first_event_ms = (child.seen[stim.marker_tag] - child.t0) / 1e6
        _stop_helper(marker)
        marker = None
        if s.first_event_ms is None and emits_events:
            s.error = f"no event for the marker within {FIRST_EVENT_TIMEOUT_S:.0f} s"
        time.sleep(0.05)  # the marker's last events drain before the load

        pid = child.pid
        cpu0 = kernel.task_cpu_ns(pid)
        t_storm = time.monotonic_ns()
        subprocess.run(stim.storm, check=True)
        tag = stim.storm_tag
        t_loaded = time.monotonic_ns()
        # Done when every event arrived, or none arrived for QUIET_S (the rest were dropped).
        while emits_events and not child.wait_for(lambda: child.counts[tag] >= opens, QUIET_S):
            if time.monotonic_ns() - child.last_seen.get(tag, t_loaded) > QUIET_S * 1e9:
                break
        s.storm_ms = (child.last_seen[tag] - t_storm) / 1e6 if tag in child.last_seen else None
        cpu1 = kernel.task_cpu_ns(pid)
        s.received = child.counts[stim.storm_tag] if emits_events else None
        s.steady_rss_kib = kernel.rss_kib(pid)
        if cpu0 is not None and cpu1 is not None and s.received:
            s.cpu_ns_per_event = (cpu1 - cpu0) / s.received
        s.programs, s.maps, ids = _kernel_view(pid)
        runs = [p for p in s.programs if p["run_cnt"]]
        if runs:
            s.kernel_ns_per_event = sum(p["run_time_ns"] for p in runs) / max(p["run_cnt"] for p in runs)
    finally:
        _stop_helper(marker)
        s.hang = child.stop()
        for path in stim.cleanup:
            path.unlink(missing_ok=True)
    s.exit_code = child.status
    if child.rusage:
        s.peak_rss_kib = child.rusage.ru_maxrss
        s.user_cpu_ms = child.rusage.ru_utime * 1e3
        s.sys_cpu_ms = child.rusage.ru_stime * 1e3
    summary = child.summary()
    if summary:
        s.summary_events, s.drops = summary
    s.leaked = leaked(ids)
    if s.hang:
        s.error = f"hang: still running {STOP_TIMEOUT_S:.0f} s after SIGINT, killed"
    elif s.leaked:
        s.error = "leak: still loaded after exit: " + ", ".join(s.leaked)
    elif s.exit_code != 0 and not s.error:
        s.error = f"exit status {s.exit_code} after SIGINT: {child.error_line()}"
    s.ok = s.error is None
    return s
