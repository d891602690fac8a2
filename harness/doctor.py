"""What this machine can do for the project: kernel, BPF, tracepoints, privileges, toolchains."""
from __future__ import annotations

import os
import platform
from pathlib import Path

from . import kernel, ledger, toolchains
from .run import SHM

TRACEPOINTS = (
    "syscalls/sys_enter_execve",
    "syscalls/sys_enter_open",
    "syscalls/sys_enter_openat",
    "syscalls/sys_exit_open",
    "syscalls/sys_exit_openat",
)
# Capability bits (linux/capability.h) the programs need.
CAPS = {"CAP_SYS_ADMIN": 21, "CAP_PERFMON": 38, "CAP_BPF": 39}


def _effective_caps() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def _unrecorded_leftovers(held: set[str]) -> list[str]:
    """The harness's own names (network namespaces ebpf-fw-*, veths xbh*, SHM run folders) with
    no live harness process holding them: left by a run the ledger could not cover (killed in
    the instant between recording and making, or by a harness older than the ledger)."""
    found = []
    netns = Path("/run/netns")
    for p in sorted(netns.glob("ebpf-fw-*")) if netns.is_dir() else []:
        if p.name not in held:
            found.append(f"network namespace {p.name}")
    for p in sorted(Path("/sys/class/net").glob("xbh*")):
        if p.name not in held:
            found.append(f"veth {p.name}")
    for p in sorted(SHM.glob("ebpf-fw-*")):
        if str(p) not in held:
            found.append(f"run folder {p}")
    return found


def _origin(path: str) -> str:
    """Where a command that no Debian package owns comes from, in words."""
    from .env import REPO
    real = os.path.realpath(path)
    if real.startswith(str(REPO / ".deps")):
        return "installed by set-up under .deps/"
    if "/.cargo/" in real or "/.rustup/" in real:
        return "cargo's or rustup's"
    return "the machine's own"


def report() -> tuple[list[tuple[str, str, bool]], bool]:
    """Rows of (check, finding, ok); the bool says whether benchmark can run here."""
    rows = [("kernel", platform.release(), True)]
    btf = Path("/sys/kernel/btf/vmlinux")
    rows.append(("kernel BTF", f"{btf} ({btf.stat().st_size:,} bytes)" if btf.exists() else "absent: CO-RE cannot work", btf.exists()))
    stats = kernel.STATS_SYSCTL
    held = ledger.held()   # the changes live harness runs hold
    if not stats.exists():
        rows.append(("bpf stats", "absent: no kernel run time per program", False))
    else:
        value = stats.read_text().strip()
        holders = [c for c in held if c["kind"] == "sysctl" and c["target"] == str(stats)]
        if value == "0" or holders:
            rows.append(("bpf stats", f"kernel.bpf_stats_enabled={value}"
                         + (" (a benchmark running now set it)" if holders else " (the benchmark sets 1, then restores)"), True))
        else:
            rows.append(("bpf stats", f"kernel.bpf_stats_enabled={value}, and no harness run holds it: every BPF program "
                         "on the machine pays two clock reads per run, and the benchmark restores this value after it; "
                         "`sysctl kernel.bpf_stats_enabled=0` if nothing else of yours set it", False))
    left = ledger.leftovers() + _unrecorded_leftovers({c["target"] for c in held})
    rows.append(("leftovers", "none" if not left else "left by a killed run: " + ", ".join(left), not left))
    tracefs = toolchains.TRACEFS
    mounted = (tracefs / "events").is_dir()
    rows.append(("tracefs", f"mounted at {tracefs}" if mounted else f"not mounted at {tracefs} (`nox -s setup` mounts it)", mounted))
    for tp in TRACEPOINTS:
        ok = (tracefs / "events" / tp / "id").exists()
        rows.append((f"tracepoint {tp}", "present" if ok else ("absent" if mounted else "unknown: tracefs not mounted"), ok))
    root = os.geteuid() == 0
    rows.append(("root", "yes" if root else f"no (uid {os.geteuid()})", root))
    caps = _effective_caps()
    have = [n for n, bit in CAPS.items() if caps >> bit & 1]
    rows.append(("capabilities", ", ".join(have) or "none of CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN",
                 "CAP_SYS_ADMIN" in have or {"CAP_BPF", "CAP_PERFMON"} <= set(have)))
    catalogue = toolchains.load_catalogue()
    for name, state in toolchains.probe_all(catalogue).items():
        rows.append((f"toolchain {name}", state["version"] or f"absent: {state['reason']}", state["version"] is not None))
    for name, tc in catalogue.items():
        for command in tc.commands:
            path, package = toolchains.locate(command)
            where = "not found" if path is None else f"{path} ({package or 'no Debian package: ' + _origin(path)})"
            rows.append((f"command {command}", f"{where}, for {name}", path is not None))
    return rows, all(ok for name, _, ok in rows if not name.startswith(("toolchain", "command")))
