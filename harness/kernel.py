"""What the kernel says about BPF objects: fdinfo of a process, stats switch, what is loaded."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from contextlib import contextmanager
from pathlib import Path

from . import ledger
from .env import tool_env

STATS_SYSCTL = Path("/proc/sys/kernel/bpf_stats_enabled")
_KINDS = {"anon_inode:bpf-prog": "prog", "anon_inode:bpf-map": "map", "anon_inode:bpf_link": "link"}


def _parse_fdinfo(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def bpf_fds(pid: int) -> dict[str, list[dict[str, str]]]:
    """The bpf-prog, bpf-map and bpf_link fds a process holds, with their fdinfo fields."""
    out: dict[str, list[dict[str, str]]] = {"prog": [], "map": [], "link": []}
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return out
    for fd in fds:
        try:
            kind = _KINDS.get(os.readlink(fd_dir / fd))
            if kind:
                out[kind].append(_parse_fdinfo(Path(f"/proc/{pid}/fdinfo/{fd}").read_text()))
        except OSError:
            continue
    return out


def bpf_ids(fds: dict[str, list[dict[str, str]]]) -> dict[str, set[int]]:
    """The prog, map and link ids behind the fds of bpf_fds()."""
    keys = {"prog": "prog_id", "map": "map_id", "link": "link_id"}
    return {kind: {int(f[key]) for f in fds[kind] if key in f} for kind, key in keys.items()}


def loaded_ids() -> dict[str, set[int]]:
    """Ids of every BPF program, map and link loaded on the machine now."""
    out = {}
    for kind in ("prog", "map", "link"):
        r = subprocess.run(["bpftool", "-j", kind, "list"], capture_output=True, text=True, env=tool_env())
        try:
            out[kind] = {int(o["id"]) for o in json.loads(r.stdout or "[]")}
        except (ValueError, KeyError, TypeError):
            out[kind] = set()
    return out


def prog_info(prog_id: int) -> dict:
    r = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(prog_id)],
                       capture_output=True, text=True, env=tool_env())
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


@contextmanager
def bpf_stats(on: bool = True):
    """kernel.bpf_stats_enabled=1 (or 0) for the duration, then the previous setting back. The
    accounting it turns on costs every program run two clock reads (~70 ns per run here):
    BPF_PROG_TEST_RUN timings are taken with it off. Beside another harness run that holds it,
    the machine's own value is the one that run recorded, and only the last of them to finish
    puts it back."""
    target = str(STATS_SYSCTL)
    current = STATS_SYSCTL.read_text().strip()
    others = ledger.held_by_others("sysctl", target)
    before = others[0]["before"] if others else current
    mine = ledger.record("sysctl", target, before)
    STATS_SYSCTL.write_text("1" if on else "0")
    try:
        yield
    finally:
        if mine:
            if not ledger.held_by_others("sysctl", target):
                STATS_SYSCTL.write_text(before)
            ledger.forget("sysctl", target)
        else:
            STATS_SYSCTL.write_text(current)   # nested in this process's own: back to the enclosing setting


def task_cpu_ns(pid: int) -> int | None:
    """CPU time of every thread of pid, in ns (schedstat is ns-exact, /proc/PID/stat is in ticks)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return None
    return total


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def code_files(pid: int) -> dict[str, int] | None:
    """Every distinct file the process maps executable (binary, interpreter, shared libraries),
    with its size on disk; None when /proc/PID/maps cannot be read."""
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return None
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or "x" not in parts[1] or not parts[5].startswith("/"):
            continue
        path = parts[5]
        if path in out or path.endswith(" (deleted)"):
            continue
        try:
            out[path] = os.stat(path).st_size
        except OSError:
            continue
    return out


def headers_release(release: str | None = None) -> str | None:
    """The release of the kernel headers at /lib/modules/<release>/build (default: the running
    kernel's), from their utsrelease.h: what BCC compiles against; None when there are none."""
    release = release or platform.release()
    try:
        text = Path(f"/lib/modules/{release}/build/include/generated/utsrelease.h").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("#define UTS_RELEASE"):
            return line.split('"')[1]
    return None
