"""xdp, the third program, in every variant that has it (variant.yaml `programs: xdp:`): its
BPF_PROG_TEST_RUN self-test through the framework's own API, its benchmark mode, and a real attach
to one end of a veth pair whose other end sits in a network namespace of the test's own. The
output must be the same, byte for byte, in every variant (docs/programs.md)."""
import json
import re
import signal
import subprocess
import time

import pytest

from harness import kernel
from harness.env import tool_env, under_ci
from harness.programs import SPECS
from harness.run import Child, leaked
from harness.testrun import PAYLOAD, Veth, VethError

from .conftest import READY_S, TIME_SCALE, require_built

# The five frames of xdp.c and their sizes; the counters they must add up to.
FRAMES = {"ipv4-tcp": 54, "ipv4-udp": 50, "ipv6-udp": 70, "ipv4-icmp": 50, "ipv4-truncated": 24}
COUNTERS = [
    "counter\ttcp\t1\t54\tok",
    "counter\tudp\t2\t120\tok",
    "counter\ticmp\t1\t50\tok",
    "counter\ticmpv6\t0\t0\tok",
    "counter\tother\t0\t0\tok",
    "counter\tnon-ip\t1\t24\tok",
]
PROTOS = ["tcp", "udp", "icmp", "icmpv6", "other", "non-ip"]
HEADER = SPECS["xdp"].header.encode()
UDP_PACKETS = 20
UDP_FRAME = 14 + 20 + 8 + len(PAYLOAD)
TIMEOUT_S = 60 * TIME_SCALE


@pytest.fixture
def xdp_exe(variant):
    if "xdp" not in variant.programs:
        pytest.skip(f"{variant.name} has no xdp (variant.yaml): {variant.lacks.get('xdp')}")
    require_built(variant)
    return variant.dir / variant.programs["xdp"].executable


def _xdp_count_progs() -> set[int]:
    r = subprocess.run(["bpftool", "-j", "prog", "list"], capture_output=True, text=True, env=tool_env())
    return {p["id"] for p in json.loads(r.stdout or "[]") if p.get("name") == "xdp_count"}


def _no_xdp_count_left(before: set[int] = frozenset()) -> set[int]:
    """Programs called xdp_count loaded since `before` was taken and still there (the kernel
    frees them lazily: retry for 3 s). Ids in `before` belong to someone else."""
    deadline = time.monotonic() + 3.0
    while (left := _xdp_count_progs() - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_self_test(xdp_exe):
    before = _xdp_count_progs()
    out = subprocess.run([str(xdp_exe), "--test"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines == [f"frame\t{name}\t{size}\t2\tok" for name, size in FRAMES.items()] + COUNTERS
    assert not _no_xdp_count_left(before), "xdp_count still loaded after --test ended"


def test_bench(xdp_exe):
    out = subprocess.run([str(xdp_exe), "--bench", "10000"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "FRAME\tREPEAT\tNS_PER_RUN"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[0] for r in rows] == list(FRAMES)
    for r in rows:
        assert len(r) == 3 and r[1] == "10000", r
        assert re.fullmatch(r"[1-9][0-9]*", r[2]), f"ns per run is not a positive integer: {r}"


@pytest.fixture
def veth():
    """The benchmark's own veth pair (harness/testrun.py): one end here, one in a namespace of its own."""
    try:
        v = Veth.create()
    except VethError as e:
        if "not installed" in str(e) and not under_ci():
            pytest.skip(str(e))
        pytest.fail(str(e))
    try:
        yield v
    finally:
        v.delete()


# native: the veth driver's own XDP hook, the run ended by -d. generic: a peer MTU too large for
# veth's native XDP makes the driver refuse, so xdp falls back to the generic hook; ended by SIGINT.
@pytest.mark.parametrize("mode", ["native", "generic"])
def test_attach_veth(xdp_exe, veth, mode):
    duration = 4 * TIME_SCALE
    if mode == "generic":
        veth.run("-n", veth.ns, "link", "set", veth.peer, "mtu", "9000")
    argv = [str(xdp_exe), "--attach", veth.host] + (["-d", str(duration)] if mode == "native" else [])
    child = Child(argv)
    try:
        child.wait_for(lambda: child.header_ns is not None or child.exited(), READY_S)
        assert child.header_ns is not None, f"no header: {child.error_line()}"
        assert child.header == HEADER
        ids = kernel.bpf_ids(kernel.bpf_fds(child.pid))
        assert ids["prog"] and ids["link"], f"holds no program or no link once ready: {ids}"
        assert re.search(r"prog/xdp(generic)? id", veth.link()), f"not attached to {veth.host}:\n{veth.link()}"

        veth.send(UDP_PACKETS, gap_s=0.005)
        assert not child.exited(), f"ended before the packets were sent: {child.error_line()}"

        if mode == "native":
            deadline = time.monotonic() + duration + 10 * TIME_SCALE
            while not child.exited() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert child.exited(), f"-d {duration} did not end it"
        hung = child.stop(signal.SIGINT)
        assert not hung, "still running 10 s after SIGINT"
    finally:
        child.stop()

    assert child.status == 0, child.error_line()
    assert child.stderr.decode() == f"mode={mode}\n"
    rows = [line.decode().rstrip("\n").split("\t") for line in child.lines]
    assert [r[0] for r in rows] == PROTOS, rows
    counts = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    assert counts["udp"][0] >= UDP_PACKETS and counts["udp"][1] >= UDP_PACKETS * UDP_FRAME, counts
    # The namespace asked for the host end's MAC address before its first datagram: ARP is non-IP.
    assert counts["non-ip"][0] >= 1, counts

    left = leaked(ids)
    assert not left, f"outlived the process: {', '.join(left)}"
    link = veth.link()
    assert not re.search(r"\bxdp", link), f"still attached to {veth.host}:\n{link}"
    assert not (_no_xdp_count_left() & ids["prog"]), "bpftool prog list still lists its xdp_count"


# The command line of docs/programs.md: usage errors are one `xdp: ...` line and exit 2, before any
# BPF work; -h is the usage on stdout; a missing interface is a runtime failure (exit 1).
CLI = [
    (["-h"], 0), (["--test", "-h"], 0),
    ([], 2), (["--foo"], 2), (["-x"], 2), (["--bench", "x"], 2), (["--bench", "0"], 2), (["--bench", "-5"], 2),
    (["--bench", "2147483648"], 2), (["--bench", "5", "6"], 2), (["--attach"], 2), (["--attach", "-d", "1"], 2),
    (["--test", "-d", "1"], 2), (["--attach", "lo", "-d", "0"], 2), (["--attach", "lo", "-d", "x"], 2),
    (["--test", "extra"], 2), (["--attach", "nosuchif0", "-d", "1"], 1),
]


@pytest.mark.parametrize("argv,status", CLI, ids=[" ".join(a) or "(none)" for a, _ in CLI])
def test_cli(xdp_exe, argv, status):
    before = _xdp_count_progs()
    out = subprocess.run([str(xdp_exe), *argv], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert out.returncode == status, (out.stdout, out.stderr)
    if status == 0:
        assert out.stdout.startswith("usage: xdp") and out.stderr == ""
    else:
        assert out.stdout == ""
        lines = out.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("xdp: "), out.stderr
    assert _xdp_count_progs() <= before, "a usage error loaded xdp_count"
