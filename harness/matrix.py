"""The kernel matrix: every variant's conformance suite, with the very binaries built on the host,
run on the host's kernel and on Debian's 6.1 and 6.12 kernels booted under qemu.

The guests are started by virtme-ng (PyPI): it boots a kernel image with the host's root
filesystem exported read-only over 9p (copy-on-write overlays on /etc, /usr, /var, /tmp...),
so the guest sees this checkout, its built binaries, the Python that runs pytest and every
shared library exactly as the host does: nothing is rebuilt or copied. qemu runs under TCG
(software emulation): KVM is not usable on this machine. An emulated CPU says nothing about
speed, so the matrix takes no runtime figure, only pass or fail.

Each kernel's run is one pytest session over every program's tests (test_conformance.py for
hello and opensnoop, test_xdp.py for xdp), writing a JUnit XML report into a folder the guest
may write; every test of a
variant records the variant's name as a JUnit property, so the report is read per variant."""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .env import REPO, WORK, tool_env, under_ci
from .programs import SPECS
from .tables import markdown

# The behaviour that depends on the kernel: each program's tests (harness/programs.py); the
# command-line table (test_cli.py) does not.
SUITE = tuple(dict.fromkeys(s.tests for s in SPECS.values()))
# The whole suite on every variant takes 25-40 min per guest kernel under TCG on 2 CPUs.
GUEST_TIMEOUT_S = 90 * 60
GUEST_CPUS = 2
GUEST_MEMORY = "2G"
# How much longer the tests wait in a guest: TCG emulates every instruction (bpftrace's and
# BCC's in-process LLVM compiles take tens of seconds there).
TIME_SCALE = 8
INSTALL = REPO / "tools" / "install-guest-kernels.sh"


class MatrixError(Exception):
    """The matrix cannot run at all; str() is one line."""


@dataclass
class Kernel:
    release: str
    image: Path | None  # None: the host's own kernel

    @property
    def label(self) -> str:
        return f"{self.release} (host)" if self.image is None else self.release


@dataclass
class VariantOutcome:
    status: str  # pass, fail, skip (nothing ran: the variant declares it cannot), or not run
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0  # failures the test itself expects, and says why (pytest.xfail)
    failures: list[str] = field(default_factory=list)  # "test: first line of the message"
    expected: list[str] = field(default_factory=list)  # the xfail reasons


@dataclass
class KernelRun:
    release: str
    where: str        # host, or guest (qemu TCG, virtme-ng)
    status: str       # ok (the suite ran), or failed: why the suite did not run
    reason: str | None = None
    seconds: float | None = None
    variants: dict[str, VariantOutcome] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def guest_kernels() -> list[Kernel]:
    """Unpack (once) and list the guest kernels; needs root (it links their modules under
    /lib/modules, where virtme-ng looks)."""
    r = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, env=tool_env())
    if r.returncode != 0:
        raise MatrixError(f"guest kernels: {(r.stderr.strip().splitlines() or ['exit %d' % r.returncode])[-1]}")
    out = []
    for line in r.stdout.splitlines():
        release, image = line.split()
        out.append(Kernel(release, Path(image)))
    return out


def _pytest_argv(junit: Path, select: str | None) -> list[str]:
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rN", "--tb=line",
            "-o", "junit_family=legacy", f"--junitxml={junit}", *SUITE]
    if select:
        argv += ["-k", select]
    return argv


def _vng(image: Path, command: str, rw: Path) -> list[str]:
    return ["vng", "--run", str(image), "--disable-kvm", "--cpus", str(GUEST_CPUS), "--memory", GUEST_MEMORY,
            "--cwd", str(REPO), "--rwdir", str(rw), "--exec", command]


def run_kernel(kernel: Kernel, out: Path, select: str | None = None, log=print) -> KernelRun:
    """The suite on one kernel; the JUnit report goes to out/<release>.xml, the console to .log."""
    out.mkdir(parents=True, exist_ok=True)
    junit, console = out / f"{kernel.release}.xml", out / f"{kernel.release}.log"
    junit.unlink(missing_ok=True)
    argv = _pytest_argv(junit, select)
    env = tool_env()
    if kernel.image is None:
        cmd, where = argv, "host"
    else:
        # The guest starts with a minimal environment: give it the host's PATH and CI flag.
        keep = {k: env[k] for k in ("PATH", "CI") if k in env}
        keep["EBPF_TIME_SCALE"] = str(TIME_SCALE)
        inner = " ".join(f"{k}={shlex.quote(v)}" for k, v in keep.items()) + " " + shlex.join(argv)
        cmd, where = _vng(kernel.image, f"env {inner}; uname -r > {shlex.quote(str(out / (kernel.release + '.uname')))}",
                          out), "guest (qemu TCG, virtme-ng)"
    log(f"matrix: {kernel.label}: {' '.join(SUITE)}" + (f" -k {select!r}" if select else ""))
    t0 = time.monotonic()
    try:
        with console.open("w") as f:
            subprocess.run(cmd, cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=GUEST_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError as e:
        return KernelRun(kernel.release, where, "failed", f"{e.filename}: not found (virtme-ng, from PyPI)")
    except subprocess.TimeoutExpired:
        return KernelRun(kernel.release, where, "failed", f"no result within {GUEST_TIMEOUT_S // 60} min")
    seconds = time.monotonic() - t0
    if kernel.image is not None:
        seen = (out / f"{kernel.release}.uname")
        booted = seen.read_text().strip() if seen.is_file() else None
        seen.unlink(missing_ok=True)
        if booted != kernel.release:
            tail = [line for line in console.read_text(errors="replace").splitlines() if line.strip()][-1:]
            why = f"booted {booted}" if booted else f"the guest did not run the suite: {tail[0][:160] if tail else 'no output'}"
            return KernelRun(kernel.release, where, "failed", why, seconds)
    if not junit.is_file():
        return KernelRun(kernel.release, where, "failed", f"pytest wrote no report (see {console})", seconds)
    return KernelRun(kernel.release, where, "ok", None, seconds, read_junit(junit))


def read_junit(path: Path) -> dict[str, VariantOutcome]:
    """Per variant: how many of its tests passed, failed, were skipped, and the first failures."""
    out: dict[str, VariantOutcome] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        name = props.get("variant")
        if not name:
            continue
        o = out.setdefault(name, VariantOutcome("not run"))
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            o.failed += 1
            msg = (bad.get("message") or bad.text or "").strip().splitlines()
            if len(o.failures) < 3:
                o.failures.append(f"{case.get('name')}: {msg[0][:200] if msg else 'no message'}")
        elif case.find("skipped") is not None:
            sk = case.find("skipped")
            if (sk.get("type") or "") == "pytest.xfail":
                o.xfailed += 1
                if len(o.expected) < 3:
                    o.expected.append(f"{case.get('name')}: {(sk.get('message') or '').strip()[:200]}")
            else:
                o.skipped += 1
        else:
            o.passed += 1
    for o in out.values():
        o.status = "fail" if o.failed else ("pass" if o.passed or o.xfailed else "skip")
    return out


def run(kernels: list[Kernel], out: Path, select: str | None = None, log=print) -> dict:
    runs = [run_kernel(k, out, select, log) for k in kernels]
    for r in runs:
        counts = {s: sum(1 for o in r.variants.values() if o.status == s) for s in ("pass", "fail", "skip")}
        log(f"matrix: {r.release}: {r.status}" + (f": {r.reason}" if r.reason else
                                                 f" ({counts['pass']} pass, {counts['fail']} fail, "
                                                 f"{counts['skip']} skip, {r.seconds:.0f} s)"))
    return {
        "host": platform.node(), "host_kernel": platform.release(), "suite": list(SUITE), "select": select,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "ci": under_ci(),
        "kernels": [r.to_json() for r in runs],
    }


def host_kernel() -> Kernel:
    return Kernel(platform.release(), None)


def default_out() -> Path:
    return WORK / "matrix"


def have_vng() -> bool:
    return any((Path(p) / "vng").is_file() for p in os.environ.get("PATH", "").split(os.pathsep))


def _version_key(release: str) -> tuple:
    nums = []
    for part in release.replace("-", ".").replace("+", ".").split("."):
        if not part.isdigit():
            break
        nums.append(int(part))
    return tuple(nums)


def render(doc: dict, variants: list[dict] | None = None) -> str:
    """results/kernels.md: one row per variant, one column per kernel (oldest first)."""
    runs = sorted(doc.get("kernels") or [], key=lambda r: _version_key(r["release"]))
    names = sorted({n for r in runs for n in r.get("variants") or {}} | {v["name"] for v in variants or []})
    roles = {v["name"]: v for v in variants or []}
    header = ["Variant"] + [f"{r['release']} ({'host' if r['where'] == 'host' else 'qemu'})" for r in runs]
    rows = []
    for name in names:
        v = roles.get(name) or {}
        row = [f"{name} *(reference)*" if v.get("role") == "reference" else name]
        for r in runs:
            if r["status"] != "ok":
                row.append(f"not run: {r['reason']}")
                continue
            o = (r.get("variants") or {}).get(name)
            if v.get("unavailable"):
                row.append(f"cannot run here: {v['unavailable']}")
            elif o is None:
                row.append("not run" + (f": {v['unavailable']}" if v.get("unavailable") else ""))
            elif o["status"] == "pass" and o.get("xfailed"):
                row.append(f"pass ({o['passed']} tests), **{o['xfailed']} expected failure**: " + "; ".join(o["expected"]))
            elif o["status"] == "pass":
                row.append(f"pass ({o['passed']} tests" + (f", {o['skipped']} skipped" if o["skipped"] else "") + ")")
            elif o["status"] == "skip":
                row.append(f"skipped ({o['skipped']} tests)")
            else:
                row.append(f"**fail** ({o['failed']} of {o['passed'] + o['failed']}): " + "; ".join(o["failures"]))
        rows.append(row)
    table = markdown(header, rows) if runs else "not run\n"
    guests = [r for r in runs if r["where"] != "host"]
    when = [f"- {r['release']}: {r['status']}" + (f" ({r['seconds']:.0f} s)" if r.get("seconds") else "")
            + (f": {r['reason']}" if r.get("reason") else "") for r in runs]
    return f"""# Kernels: the same binaries on several kernels

Every variant's conformance suite ({', '.join(f'`{s}`' for s in doc.get('suite') or SUITE)}) run
with the binaries built once, on the host, against each kernel: the host's own, and Debian's
kernels booted under qemu by virtme-ng with the host's filesystem visible read-only (nothing is
rebuilt or copied). hello's event carries the parent's process id read from
`task_struct->real_parent->tgid`, a field whose offset differs between these kernels: a variant
that does not relocate its field accesses for the kernel it runs on reports a wrong PPID there.
qemu emulates the CPU (TCG, no KVM here), so no runtime figure is taken in a guest.
{"" if doc.get("select") is None else f"Only the tests matching `-k {doc['select']}` were run."}

Taken on {doc.get('host')} (host kernel {doc.get('host_kernel')}), {doc.get('date')}.

{table}
A cell reads pass (tests passed), skipped (the variant declares it cannot run them), or fail
with the first failing tests and their message. An expected failure is a check the test knows
cannot pass there and says why (a BCC variant whose kernel headers are not the running
kernel's reads PPID at the wrong offset); it is shown, not hidden. Per kernel:

{chr(10).join(when)}
{"".join(chr(10) + "- " + n for n in doc.get("notes") or [])}
{"" if guests else chr(10) + "No guest kernel in this run." + chr(10)}"""
