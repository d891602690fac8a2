"""The results document: machine metadata, and atomic writes that Ctrl-C cannot tear."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .env import REPO

SCHEMA_VERSION = 1


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


def load(path: Path) -> dict:
    doc = json.loads(path.read_text())
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version {doc.get('schema_version')} is not {SCHEMA_VERSION}")
    return doc
