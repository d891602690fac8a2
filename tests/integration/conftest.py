"""Integration tests: real executables of every variant, loaded into the running kernel."""
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from harness import kernel
from harness.build import missing_artifacts
from harness.env import under_ci
from harness.run import Child, leaked, loadgen

from ..conftest import VARIANTS

# Under an emulated CPU (the kernel matrix's qemu guests, TCG) everything takes many times
# longer; the matrix says how much through EBPF_TIME_SCALE. Behaviour is checked, not speed.
TIME_SCALE = float(os.environ.get("EBPF_TIME_SCALE", "1"))
READY_S = 30.0 * TIME_SCALE
EVENT_S = 10.0 * TIME_SCALE


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests load BPF programs: run as root")
        for item in items:
            if "integration" in str(item.fspath):
                item.add_marker(skip)


def pytest_generate_tests(metafunc):
    if "variant" in metafunc.fixturenames:
        metafunc.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
    # The programs' tests hold both wakeup modes to the same contract (docs/programs.md, "Wakeups"):
    # in "batched", run() starts each program's batched mode (hello-batched: hello -B).
    if "mode" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_MODES", False):
        metafunc.parametrize("mode", ["default", "batched"])


@pytest.fixture
def mode():
    """The wakeup mode run() starts programs in; both, where the test module asks for it."""
    return "default"


def require(variant, feature: str):
    """Skip what a reference variant declares it cannot do; fail (CI) or skip (locally) if unbuilt."""
    for f in ("all", feature):
        if f in variant.conformance_skip:
            pytest.skip(f"{variant.name} declares {f!r} unsupported: {variant.reason or 'no reason given'}")
    require_built(variant)


def require_built(variant):
    if variant.unavailable:
        pytest.skip(f"{variant.name} cannot run here (variant.yaml): {variant.unavailable}")
    missing = missing_artifacts(variant)
    if missing:
        msg = f"{variant.name} is not built ({', '.join(missing)}): run `nox -s build_all`"
        if under_ci():
            pytest.fail(msg)
        pytest.skip(msg)


def built(name: str):
    """The variant called name, with everything its manifest names built."""
    variant = next((v for v in VARIANTS if v.name == name), None)
    if variant is None:
        pytest.fail(f"no variant {name!r} under variants/")
    require_built(variant)
    return variant


def supports(variant, feature: str) -> bool:
    return not {"all", feature} & set(variant.conformance_skip)


@pytest.fixture(autouse=True)
def _variant_property(request, record_property):
    """Names the variant of every test in a JUnit report: the kernel matrix reads it per variant."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    if "variant" in params:
        record_property("variant", params["variant"].name)


@pytest.fixture
def token():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def gen():
    return str(loadgen())


class Running:
    """A variant's executable, started and ready; stopped (and checked for leaks) at the end."""

    def __init__(self, variant, program: str, args: list[str]):
        prog = variant.programs[program]
        self.child = Child([str(variant.dir / prog.executable), *prog.args, *args])
        ok = self.child.wait_for(lambda: self.child.header_ns is not None or self.child.exited(), READY_S)
        if self.child.header_ns is None:
            self.child.stop()
            pytest.fail(f"no header: {self.child.error_line() if ok else 'timeout'}")
        self.ids = kernel.bpf_ids(kernel.bpf_fds(self.child.pid))

    def rows(self, needle: str) -> list[list[str]]:
        return [line.decode(errors="replace").rstrip("\n").split("\t") for line in list(self.child.lines)
                if needle.encode() in line]

    def wait_rows(self, needle: str, n: int = 1, timeout: float = EVENT_S) -> list[list[str]]:
        self.child.wait_for(lambda: len(self.rows(needle)) >= n, timeout)
        return self.rows(needle)

    def stop(self, sig=signal.SIGINT):
        hung = self.child.stop(sig)
        assert not hung, f"still running 10 s after the signal; stderr: {self.child.stderr[-500:]!r}"
        return self.child


@pytest.fixture
def run(request, mode):
    started = []

    def start(variant, program, *args):
        if mode == "batched":
            program = f"{program}-batched"
            if program not in variant.programs:
                pytest.skip(f"{variant.name} has no {program}: {variant.lacks.get(program)}")
        r = Running(variant, program, list(args))
        started.append(r)
        return r

    yield start
    for r in started:
        r.child.stop()
        left = leaked(r.ids)
        assert not left, f"outlived the process: {', '.join(left)}"


def helper(gen, *args, uid=None, comm=None) -> tuple[int, int, int]:
    """Run the compiled helper once; (pid, fd, errno) of its open."""
    argv = [gen] + (["-c", comm] if comm else []) + list(args)
    if uid is not None:
        argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] + argv
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


@pytest.fixture
def tmpfile(token):
    p = Path(f"/tmp/cf-{token}-file")
    p.write_text("x")
    p.chmod(0o644)
    yield p
    p.unlink(missing_ok=True)
