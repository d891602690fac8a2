"""The runner of "testrun" programs (harness/programs.py), xdp today.

One measured run of a variant's xdp, pinned to the variant's CPU like every run:
1. attached: `xdp --attach VETH` on the host end of a veth pair whose other end sits in a network
   namespace of the harness's own (Veth). Exec → header is the start-up time; the kernel's view
   of the loaded program and maps is read once attached; PACKETS UDP datagrams are sent from the
   namespace (not timed), and the run_time_ns / run_cnt the kernel accumulated over them gives
   the attached cost per packet; then SIGINT, and the counters it prints must hold the datagrams.
2. `xdp --test`: the variant's own BPF_PROG_TEST_RUN self-test must pass (correctness, not timed).
3. `xdp --bench N`: the kernel's ns per run of each built-in frame, N runs each, through the
   framework's test-run API; the figure is the mean over the frames. Taken with
   kernel.bpf_stats_enabled off: its accounting adds two clock reads to every run.
Nothing may stay loaded or attached: the leak check covers every id the process held, and the
interface must have no XDP program once it exited."""
from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import kernel, ledger
from .env import tool_env
from .noise import Placement
from .results import Sample
from .run import Child, _kernel_view, await_header, code_figures, prog_stats, scratch_root, settle, usage_figures

PACKETS = 200            # datagrams sent while attached
SEND_GAP_S = 0.001
FRAMES = ("ipv4-tcp", "ipv4-udp", "ipv6-udp", "ipv4-icmp", "ipv4-truncated")
BENCH_TIMEOUT_S = 120.0
PROTOS = ("tcp", "udp", "icmp", "icmpv6", "other", "non-ip")

PAYLOAD = b"xdp-bench"    # of each datagram Veth.send sends
_SEND = ("import socket, sys, time\n"
         "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "for _ in range(int(sys.argv[2])):\n"
         f"    s.sendto({PAYLOAD!r}, (sys.argv[1], 9))\n"
         "    time.sleep(float(sys.argv[3]))\n")


class VethError(RuntimeError):
    pass


@dataclass
class Veth:
    """A veth pair: `host` in this namespace (where xdp attaches), `peer` in namespace `ns`."""
    ip: str
    ns: str
    host: str
    peer: str
    host_addr: str
    peer_addr: str

    def run(self, *args: str) -> str:
        """`ip ARGS`: its stdout, or VethError with its message."""
        r = subprocess.run([self.ip, *args], capture_output=True, text=True, timeout=30)
        if r.returncode:
            raise VethError(f"ip {' '.join(args)}: {r.stderr.strip() or f'exit {r.returncode}'}")
        return r.stdout

    @classmethod
    def create(cls) -> "Veth":
        ip = shutil.which("ip", path=tool_env()["PATH"])
        if not ip:
            raise VethError("ip (iproute2) is not installed: `python -m harness setup` installs it")
        t = uuid.uuid4().hex[:6]
        block = 4 * (int(t[:2], 16) % 64)      # a /30 of TEST-NET-3 (203.0.113.0/24)
        v = cls(ip, f"ebpf-fw-{t}", f"xbh{t}", f"xbp{t}", f"203.0.113.{block + 1}", f"203.0.113.{block + 2}")
        # Written down first: a SIGKILL from here on leaves them to the next harness command.
        ledger.record("netns", v.ns)
        ledger.record("link", v.host)
        try:
            v.run("netns", "add", v.ns)
            v.run("link", "add", v.host, "type", "veth", "peer", "name", v.peer)
            v.run("link", "set", v.peer, "netns", v.ns)
            v.run("addr", "add", f"{v.host_addr}/30", "dev", v.host)
            v.run("link", "set", v.host, "up")
            v.run("-n", v.ns, "addr", "add", f"{v.peer_addr}/30", "dev", v.peer)
            v.run("-n", v.ns, "link", "set", v.peer, "up")
        except (VethError, subprocess.TimeoutExpired) as e:
            v.delete()
            raise VethError(str(e)) from None
        return v

    def delete(self) -> None:
        subprocess.run([self.ip, "netns", "del", self.ns], capture_output=True)
        ledger.forget("netns", self.ns)
        subprocess.run([self.ip, "link", "del", self.host], capture_output=True)
        ledger.forget("link", self.host)

    def send(self, n: int, gap_s: float = SEND_GAP_S) -> None:
        """n UDP datagrams of PAYLOAD from the namespace to the host end, gap_s apart."""
        r = subprocess.run([self.ip, "netns", "exec", self.ns, sys.executable, "-c", _SEND, self.host_addr,
                            str(n), str(gap_s)], capture_output=True, text=True, timeout=60)
        if r.returncode:
            raise RuntimeError(f"sending through the veth pair failed: {r.stderr.strip()[-200:]}")

    def link(self) -> str:
        """`ip -d link show` of the host end: what XDP program it carries, in which mode."""
        return self.run("-d", "link", "show", "dev", self.host)

    def attached(self) -> bool:
        return bool(re.search(r"\bprog/xdp", self.link()))


def parse_bench(text: str) -> list[dict]:
    """`FRAME\\tREPEAT\\tNS_PER_RUN` then one line per frame -> [{frame, repeat, ns_per_run}]."""
    lines = text.splitlines()
    if not lines or lines[0] != "FRAME\tREPEAT\tNS_PER_RUN":
        raise ValueError(f"--bench printed no header: {(lines[0] if lines else '(nothing)')[:80]!r}")
    rows = []
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) != 3 or not f[1].isdigit() or not f[2].isdigit():
            raise ValueError(f"--bench line is not FRAME, REPEAT, NS_PER_RUN: {line[:80]!r}")
        rows.append({"frame": f[0], "repeat": int(f[1]), "ns_per_run": int(f[2])})
    if [r["frame"] for r in rows] != list(FRAMES):
        raise ValueError(f"--bench frames are {[r['frame'] for r in rows]}, expected {list(FRAMES)}")
    return rows


def parse_counters(text: str) -> dict[str, tuple[int, int]]:
    """The lines after --attach's header: PROTO, PACKETS, BYTES."""
    out = {}
    for line in text.splitlines()[1:]:
        f = line.split("\t")
        if len(f) == 3 and f[0] in PROTOS and f[1].isdigit() and f[2].isdigit():
            out[f[0]] = (int(f[1]), int(f[2]))
    return out


def _run_to_end(argv: list[str], placement: Placement, scratch: Path, name: str,
                timeout: float) -> tuple[str, str | None]:
    """Run argv pinned like a variant until it ends (SIGKILL after timeout): its stdout, and why
    it failed (None when it exited 0)."""
    child = Child(argv, stdout_path=scratch / name, cpu=placement.variant)
    deadline = time.monotonic() + timeout
    while not child.exited() and time.monotonic() < deadline:
        time.sleep(0.01)
    timed_out = not child.exited()
    child.stop(signal.SIGKILL)   # reaps it; kills it only if still running
    out = (scratch / name).read_text(errors="replace")
    if timed_out:
        return out, f"killed after {timeout:.0f} s"
    return out, None if child.status == 0 else child.error_line()


def run_testrun(executable: Path, veth: Veth, placement: Placement, repeat: int, round_: int = 0) -> Sample:
    s = Sample(round=round_)
    scratch = Path(tempfile.mkdtemp(prefix="xdp-", dir=scratch_root()))
    ids: dict[str, set[int]] = {}
    try:
        _attached_run(s, executable, veth, placement, scratch, ids)
        if s.error is None:
            _, why = _run_to_end([str(executable), "--test"], placement, scratch, "test", BENCH_TIMEOUT_S)
            if why:
                s.error = f"--test failed: {why}"
        if s.error is None:
            with kernel.bpf_stats(on=False):   # its accounting would add ~70 ns to every run
                out, why = _run_to_end([str(executable), "--bench", str(repeat)], placement, scratch, "bench",
                                       BENCH_TIMEOUT_S)
            if why:
                s.error = f"--bench failed: {why}"
            else:
                try:
                    s.frames = parse_bench(out)
                except ValueError as e:
                    s.error = str(e)
                else:
                    s.figures["testrun_ns"] = sum(r["ns_per_run"] for r in s.frames) / len(s.frames)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        s.error = s.error or str(e)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return settle(s, ids)


def _attached_run(s: Sample, executable: Path, veth: Veth, placement: Placement, scratch: Path,
                  ids: dict[str, set[int]]) -> None:
    child = Child([str(executable), "--attach", veth.host], stdout_path=scratch / "attach", cpu=placement.variant)
    try:
        s.error = await_header(child)
        if s.error:
            return
        s.figures["ready_ms"] = child.ready_ms
        s.figures.update(code_figures(child.pid))
        s.programs, s.maps, found = _kernel_view(child.pid)
        for kind, got in found.items():
            ids.setdefault(kind, set()).update(got)
        before = prog_stats(child.pid)
        veth.send(PACKETS)
        after = prog_stats(child.pid)
        for p in s.programs:
            t0, c0 = before.get(p["prog_id"], (0, 0))
            t1, c1 = after.get(p["prog_id"], (0, 0))
            p["run_cnt"] = c1 - c0
            p["ns_per_run"] = (t1 - t0) / (c1 - c0) if c1 > c0 else None
        runs = [p for p in s.programs if p.get("run_cnt")]
        if runs:
            s.figures["attached_ns_per_packet"] = sum(p["ns_per_run"] * p["run_cnt"] for p in runs) / \
                max(p["run_cnt"] for p in runs)
    finally:
        s.hang = child.stop()
    s.exit_code = child.status
    s.figures.update(usage_figures(child))
    if s.hang:
        s.error = "hang: still running after SIGINT, killed"
        return
    if child.status != 0:
        s.error = f"--attach: exit status {child.status} after SIGINT: {child.error_line()}"
        return
    counts = parse_counters((scratch / "attach").read_text(errors="replace"))
    udp = counts.get("udp", (0, 0))[0]
    s.figures["packets_counted"] = udp
    if udp < PACKETS:
        s.error = f"--attach counted {udp} UDP packets of the {PACKETS} sent"
    if veth.attached():
        s.error = s.error or f"an XDP program is still attached to {veth.host} after the variant exited"
    mode = re.search(r"mode=(\w+)", child.stderr.decode(errors="replace"))
    s.attach_mode = mode.group(1) if mode else None
