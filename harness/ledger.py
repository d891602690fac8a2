"""Every change the harness makes to the machine, written down before it is made.

A benchmark creates network namespaces and veths, turns kernel.bpf_stats_enabled on, and keeps
run folders in /dev/shm. Each is recorded here first, in a file of the running process's own
(/run/ebpf-frameworks/<pid>.json, on a tmpfs: what it records would not survive a reboot
either), and forgotten once undone. A process killed with SIGKILL undoes nothing: the next
harness command of any kind finds its file (its process gone, or the pid reused by another
program) and undoes what it lists, saying so in one line (`sweep`). `doctor` reports what is
left (`leftovers`)."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from .env import tool_env

# Root's changes are machine-wide; a user's own (a results folder being replaced) are theirs.
LEDGER_DIR = Path(os.environ.get("EBPF_FW_LEDGER") or ("/run/ebpf-frameworks" if os.geteuid() == 0 else
                                                       f"{tempfile.gettempdir()}/ebpf-frameworks-{os.getuid()}"))
KINDS = ("netns", "link", "sysctl", "dir")


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: with the pid, names a process even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _own_file() -> Path:
    return LEDGER_DIR / f"{os.getpid()}.json"


def _read(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("changes"), list) else None


def _write(doc: dict) -> None:
    path = _own_file()
    if not doc["changes"]:
        path.unlink(missing_ok=True)
        return
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{uuid.uuid4().hex[:6]}")
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)


def _own() -> dict:
    doc = _read(_own_file())
    if doc is None or doc.get("start") != _start_time(os.getpid()):
        doc = {"pid": os.getpid(), "start": _start_time(os.getpid()), "changes": []}
    return doc


def record(kind: str, target: str, before: str | None = None) -> bool:
    """Write down, before making it, a change of `kind` to `target` (a name or a path; `before`
    is a sysctl's value to restore). False when this process already holds that change (a
    nested use): then only the first holder forgets it."""
    assert kind in KINDS, kind
    doc = _own()
    if any(c["kind"] == kind and c["target"] == target for c in doc["changes"]):
        return False
    doc["changes"].append({"kind": kind, "target": target, "before": before})
    _write(doc)
    global _exit_hook
    if not _exit_hook:
        atexit.register(undo_own)
        _exit_hook = True
    return True


_exit_hook = False


def undo_own() -> None:
    """At exit, whatever way it comes short of SIGKILL: undo what this process still holds (an
    interrupt that landed between making a change and the code that undoes it)."""
    doc = _read(_own_file())
    if not doc or doc.get("start") != _start_time(os.getpid()):
        return
    for change in reversed(doc["changes"]):
        undo(change)
    _own_file().unlink(missing_ok=True)


def forget(kind: str, target: str) -> None:
    """The change is undone: strike it."""
    doc = _own()
    doc["changes"] = [c for c in doc["changes"] if not (c["kind"] == kind and c["target"] == target)]
    _write(doc)


def undo(change: dict) -> str:
    """Undo one recorded change; what was done, in words."""
    kind, target = change["kind"], change["target"]
    if kind == "netns":
        subprocess.run(["ip", "netns", "del", target], capture_output=True, env=tool_env())
        return f"network namespace {target}"
    if kind == "link":
        subprocess.run(["ip", "link", "del", target], capture_output=True, env=tool_env())
        return f"veth {target}"
    if kind == "sysctl":
        try:
            Path(target).write_text(change["before"] or "0")
        except OSError as e:
            return f"{target} not restored: {e.strerror}"
        name = target.removeprefix("/proc/sys/").replace("/", ".")
        return f"{name} back to {change['before']}"
    if kind == "dir":
        shutil.rmtree(target, ignore_errors=True)
        return f"folder {target}"
    return f"unknown change {kind} {target}"


def _ledgers() -> list[tuple[Path, dict, bool]]:
    """Every ledger file, its document (an empty one when unreadable) and whether its process
    is alive (same pid and start time)."""
    try:
        files = sorted(LEDGER_DIR.glob("*.json"))
    except OSError:
        return []
    out = []
    for path in files:
        doc = _read(path)
        if doc is None:
            out.append((path, {"pid": path.stem, "changes": []}, False))
            continue
        pid = doc.get("pid")
        start = _start_time(pid) if isinstance(pid, int) else None
        out.append((path, doc, start is not None and start == doc.get("start")))
    return out


def _orphans() -> list[tuple[Path, dict]]:
    """The ledgers whose process is gone."""
    return [(path, doc) for path, doc, alive in _ledgers() if not alive]


def held() -> list[dict]:
    """The changes that live harness processes hold (theirs to undo)."""
    return [c for _, doc, alive in _ledgers() if alive for c in doc["changes"]]


def held_by_others(kind: str, target: str) -> list[dict]:
    """That change as other live harness processes hold it, the earliest first: a second run
    (a fresh-root check beside a benchmark) must neither take the first's setting for the
    machine's own nor undo it under the first's feet."""
    return [c for path, doc, alive in _ledgers() if alive and doc.get("pid") != os.getpid()
            for c in doc["changes"] if c["kind"] == kind and c["target"] == target]


def leftovers() -> list[str]:
    """What killed harness runs left, unswept: one entry per change."""
    return [f"{c['kind']} {c['target']} (pid {doc.get('pid')})" for _, doc in _orphans() for c in doc["changes"]]


def sweep() -> str | None:
    """Undo what killed harness runs left; one line saying what, or None when nothing was left."""
    done, pids = [], []
    for path, doc in _orphans():
        # Newest first: a namespace goes before the folder its run used.
        for change in reversed(doc["changes"]):
            if change["kind"] == "sysctl" and held_by_others("sysctl", change["target"]):
                continue   # a live run holds it too, and restores it when it ends
            done.append(undo(change))
        pids.append(str(doc.get("pid")))
        path.unlink(missing_ok=True)
    if not done:
        return None
    return f"cleaned up after a killed run (pid {', '.join(pids)}): {', '.join(done)}"
