"""Run each manifest's build; a variant that cannot build says why and the others go on."""
from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass

from .env import WORK, tool_env
from .manifest import Variant

BUILD_TIMEOUT_S = 45 * 60


@dataclass
class BuildResult:
    variant: str
    status: str  # ok, failed, unavailable
    reason: str | None = None
    known: bool = False  # unavailable as the manifest says (`unavailable:`): data, not a failure
    build_s: float | None = None  # this invocation, whatever it had to rebuild
    clean_build_s: float | None = None
    incremental_build_s: float | None = None
    log: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


def _run(v: Variant, command: str, log_file) -> tuple[bool, float, str]:
    log_file.write(f"$ {command}\n")
    log_file.flush()
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            ["sh", "-c", command], cwd=v.dir, env=tool_env(), stdout=log_file,
            stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S,
        )
        ok, why = r.returncode == 0, f"`{command}` exited {r.returncode}"
    except subprocess.TimeoutExpired:
        ok, why = False, f"`{command}` timed out after {BUILD_TIMEOUT_S} s"
    return ok, time.monotonic() - t0, why


def _last_error_line(log_path) -> str:
    lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower():
            return line[:200]
    return lines[-1][:200] if lines else ""


def missing_artifacts(v: Variant) -> list[str]:
    return [
        str(p) for prog in v.programs.values()
        for p in (prog.executable, *prog.bpf_objects) if not (v.dir / p).is_file()
    ]


def build_variant(v: Variant, absent_toolchains: dict[str, str], clean: bool = False,
                  force: bool = False) -> BuildResult:
    """Build v; with clean=True, time a clean build and then a no-change build. A variant whose
    manifest says it is unavailable here is not built unless force=True (named on the command
    line: someone checking whether it still fails)."""
    if v.unavailable and not force:
        return BuildResult(v.name, "unavailable", v.unavailable, known=True)
    lacking = [t for t in v.toolchains if t in absent_toolchains]
    if lacking:
        reason = "; ".join(f"{t}: {absent_toolchains[t]}" for t in lacking)
        return BuildResult(v.name, "unavailable", f"toolchain absent: {reason}")
    WORK.mkdir(exist_ok=True)
    log_path = WORK / f"build-{v.name}.log"
    result = BuildResult(v.name, "ok", log=str(log_path.relative_to(WORK.parent)))
    with log_path.open("w") as log:
        if clean:
            ok, _, why = _run(v, v.clean_command, log)
            if not ok:
                return BuildResult(v.name, "failed", f"clean failed: {why}", log=result.log)
        ok, seconds, why = _run(v, v.build_command, log)
        if not ok:
            result.status, result.reason = "failed", f"{why}: {_last_error_line(log_path)}"
            return result
        result.build_s = seconds
        if clean:
            result.clean_build_s = seconds
            ok, seconds, why = _run(v, v.build_command, log)
            if not ok:
                result.status, result.reason = "failed", f"no-change rebuild: {why}"
                return result
            result.incremental_build_s = seconds
    lost = missing_artifacts(v)
    if lost:
        result.status, result.reason = "failed", f"build succeeded but did not produce {', '.join(lost)}"
    return result
