"""Where things are, and the environment every toolchain command runs in."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = REPO / "variants"
RESULTS = REPO / "results"
WORK = REPO / ".work"  # build logs, the load generator: never committed
LIBBPF_PREFIX = REPO / ".deps" / "libbpf"
# The Go release the go.mod files need, when the machine's own is older (tools/install-go.sh):
# first on PATH when present.
GO_ROOT = REPO / ".deps" / "go"

# Where rustup's cargo and the machine's Go live when a login shell is not what started us
# (CI, sudo, nox): appended to PATH only if present.
_EXTRA_PATH = (Path.home() / ".cargo" / "bin", Path("/usr/local/go/bin"), Path("/usr/sbin"), Path("/sbin"))


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PATH", "").split(os.pathsep)
    if (GO_ROOT / "bin" / "go").is_file():
        path = [str(GO_ROOT / "bin")] + [p for p in path if p != str(GO_ROOT / "bin")]
    path += [str(p) for p in _EXTRA_PATH if p.is_dir() and str(p) not in path]
    env["PATH"] = os.pathsep.join(p for p in path if p)
    env.update(
        REPO_ROOT=str(REPO),
        BPF_SRC=str(REPO / "bpf"),
        LIBBPF_PREFIX=str(LIBBPF_PREFIX),
        CLANG="clang-22",
        LLVM_STRIP="llvm-strip-22",
        BPFTOOL="bpftool",
        GOTOOLCHAIN="local",
    )
    if extra:
        env.update(extra)
    return env


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def is_root() -> bool:
    return os.geteuid() == 0
