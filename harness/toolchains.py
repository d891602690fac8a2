"""toolchains.yaml: which toolchains exist here, their versions, and the idempotent set-up."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .env import REPO, is_root, tool_env

CATALOGUE = REPO / "toolchains.yaml"
TRACEFS = Path("/sys/kernel/tracing")


class SetupError(Exception):
    """Set-up cannot go on; str() is one line."""


@dataclass(frozen=True)
class Toolchain:
    name: str
    version_cmd: tuple[str, ...]
    apt: tuple[str, ...] = ()
    install: str | None = None
    needs: tuple[str, ...] = ()
    hint: str | None = None
    minimum: str | None = None  # the oldest release that builds every variant
    commands: tuple[str, ...] = ()  # its executables that the harness, builds and tests call


def load_catalogue(path: Path = CATALOGUE) -> dict[str, Toolchain]:
    data = yaml.safe_load(path.read_text())
    out = {}
    for name, spec in data.items():
        out[name] = Toolchain(
            name=name,
            version_cmd=tuple(a.replace("{repo}", str(REPO)) for a in spec["version"]),
            apt=tuple(spec.get("apt", ())),
            install=spec.get("install"),
            needs=tuple(spec.get("needs", ())),
            hint=spec.get("hint"),
            minimum=str(spec["minimum"]) if "minimum" in spec else None,
            commands=tuple(spec.get("commands", ())),
        )
    return out


def probe(tc: Toolchain) -> tuple[str | None, str]:
    """(first line of the version output, "") when present, else (None, why not)."""
    env = tool_env()
    if not shutil.which(tc.version_cmd[0], path=env["PATH"]):
        why = f"{tc.version_cmd[0]} not found"
        return None, f"{why} ({tc.hint})" if tc.hint else why
    try:
        r = subprocess.run(tc.version_cmd, capture_output=True, text=True, env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{' '.join(tc.version_cmd)}: {e}"
    if r.returncode != 0:
        last = (r.stderr or r.stdout).strip().splitlines()
        return None, f"{' '.join(tc.version_cmd)} failed: {last[-1] if last else 'exit ' + str(r.returncode)}"
    lines = [line.strip() for line in (r.stdout or r.stderr).splitlines() if line.strip()]
    first = lines[0] if lines else "present"
    if tc.minimum:
        found = release(first)
        if found is None:
            return None, f"{' '.join(tc.version_cmd)}: no release number in {first!r} (need {tc.minimum} or newer)"
        if _key(found) < _key(tc.minimum):
            why = f"{found} is older than {tc.minimum}, the oldest that builds every variant"
            return None, f"{why} ({tc.hint})" if tc.hint else why
    return first, ""


def release(line: str) -> str | None:
    """The first release number in a version line: 'go version go1.26.8 linux/amd64' -> '1.26.8'."""
    m = re.search(r"(?<![\w.])(?:go|v)?(\d+\.\d+(?:\.\d+)?)", line)
    return m.group(1) if m else None


def _key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def locate(command: str) -> tuple[str | None, str | None]:
    """(path, Debian package that owns it) of a command on the tools' PATH; None where absent
    or owned by no package (a toolchain of the checkout's own, rustup's, a virtual environment's)."""
    path = shutil.which(command, path=tool_env()["PATH"])
    if not path:
        return None, None
    # With a merged /usr, dpkg knows many of them under /bin or /sbin.
    names = [path, os.path.realpath(path)]
    names += [n.removeprefix("/usr") for n in names if n.startswith(("/usr/bin/", "/usr/sbin/"))]
    for candidate in dict.fromkeys(names):
        try:
            r = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return path, None
        if r.returncode == 0 and r.stdout.strip():
            return path, r.stdout.split(":", 1)[0].strip()
    return path, None


def probe_all(catalogue: dict[str, Toolchain]) -> dict[str, dict]:
    out = {}
    for name, tc in catalogue.items():
        version, why = probe(tc)
        out[name] = {"version": version, "reason": why or None}
    return out


def _apt_missing(packages: list[str]) -> list[str]:
    missing = []
    for pkg in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def ensure_tracefs() -> str:
    """libbpf resolves tracepoint ids through tracefs; a fresh machine may not have it mounted."""
    if (TRACEFS / "events").is_dir():
        return "tracefs: mounted"
    r = subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACEFS)], capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError(f"mounting tracefs at {TRACEFS} failed: {r.stderr.strip()}")
    return f"tracefs: mounted at {TRACEFS}"


def setup(catalogue: dict[str, Toolchain], wanted: list[str], log=print) -> dict[str, str]:
    """Install what `wanted` toolchains lack; return {toolchain: reason} for those still absent."""
    if not is_root():
        lacking = [n for n in wanted if n in catalogue and probe(catalogue[n])[0] is None]
        if lacking:
            raise SetupError(f"set-up must run as root to install {', '.join(lacking)}")
        log(f"all {len(wanted)} toolchains present; nothing to install (not root: tracefs left as it is)")
        return {}
    log(ensure_tracefs())
    order = [n for n in catalogue if n in wanted]
    packages = sorted({p for n in order for p in catalogue[n].apt})
    missing = _apt_missing(packages)
    if missing:
        log(f"apt: installing {' '.join(missing)}")
        env = tool_env({"DEBIAN_FRONTEND": "noninteractive"})
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        r = subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().splitlines()[-1:]
            log(f"apt: install failed: {tail[0] if tail else r.returncode}")
    else:
        log(f"apt: all {len(packages)} packages present")
    absent = {}
    for name in order:
        tc = catalogue[name]
        version, why = probe(tc)
        if version and not tc.install:
            log(f"{name}: present ({version})")
            continue
        blocked = [n for n in tc.needs if n in absent or probe(catalogue[n])[0] is None]
        if blocked:
            absent[name] = f"needs {', '.join(blocked)}"
            log(f"{name}: skipped, needs {', '.join(blocked)}")
            continue
        if tc.install:
            r = subprocess.run(["bash", str(REPO / tc.install)], env=tool_env(), capture_output=True, text=True)
            for line in r.stdout.strip().splitlines():
                log(f"{name}: {line}")
            if r.returncode != 0:
                tail = r.stderr.strip().splitlines()[-1:] or [f"exit {r.returncode}"]
                absent[name] = f"{tc.install} failed: {tail[0]}"
                log(f"{name}: {absent[name]}")
                continue
            version, why = probe(tc)
        if version:
            log(f"{name}: present ({version})")
        else:
            absent[name] = why
            log(f"{name}: absent: {why}")
    return absent
