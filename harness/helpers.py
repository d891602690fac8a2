"""The harness's C helpers (spawn.c, loadgen.c, produce.c), compiled by the set-up into .work/.

They are compiled once, at set-up, not inside a measured run: a run that finds one missing or
older than its source stops with a one-line error instead of compiling while it measures."""
from __future__ import annotations

import subprocess
from pathlib import Path

from .env import REPO, WORK, tool_env

HELPERS = ("spawn", "loadgen", "produce")


class HelperError(Exception):
    """A helper is missing or stale; str() is one line."""


def _paths(name: str) -> tuple[Path, Path]:
    return REPO / "harness" / f"{name}.c", WORK / name


def compile_all(log=print) -> None:
    """Compile every helper whose executable is missing or older than its source."""
    WORK.mkdir(exist_ok=True)
    for name in HELPERS:
        src, exe = _paths(name)
        if exe.exists() and exe.stat().st_mtime >= src.stat().st_mtime:
            log(f"helpers: {name} up to date")
            continue
        r = subprocess.run(["cc", "-O2", "-Wall", "-o", str(exe), str(src)], env=tool_env(),
                           capture_output=True, text=True)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
            raise HelperError(f"compiling harness/{name}.c failed: {last}")
        log(f"helpers: compiled {exe.relative_to(REPO)}")


def path(name: str) -> Path:
    src, exe = _paths(name)
    if not exe.exists():
        raise HelperError(f"{exe.relative_to(REPO)} is missing: run `nox -s setup` (it compiles harness/{name}.c)")
    if exe.stat().st_mtime < src.stat().st_mtime:
        raise HelperError(f"{exe.relative_to(REPO)} is older than harness/{name}.c: run `nox -s setup`")
    return exe
