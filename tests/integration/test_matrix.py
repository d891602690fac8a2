"""The kernel matrix on one guest kernel (Debian's 6.1 under qemu), hello only: the same
binaries, built on the host, must report the right PPID there when their framework relocates
field accesses for the running kernel. The full matrix is `nox -s matrix`."""
import json
import subprocess
import sys

import pytest

from harness import matrix
from harness.env import REPO, tool_env

from ..conftest import VARIANTS

# Frameworks whose field accesses are relocated against the running kernel's BTF at load time
# (libbpf, cilium/ebpf) or resolved from it at start-up (bpftrace): the portability claim.
RELOCATING = ("c-libbpf", "go-ebpf", "go-libbpfgo", "rust-libbpf-rs", "bpftrace")


@pytest.fixture(scope="module")
def guest_61(tmp_path_factory):
    if not matrix.have_vng():
        pytest.fail("vng (virtme-ng, a test dependency from PyPI) is not on PATH")
    out = tmp_path_factory.mktemp("matrix")
    # hello's tests in the default wakeup mode: the portability claim (PPID, relocated or not)
    # does not depend on the mode, and every test costs minutes under TCG.
    r = subprocess.run([sys.executable, "-m", "harness", "matrix", "--kernels", "6.1", "-k", "hello and default",
                        "--out", str(out)], cwd=REPO, env=tool_env(), capture_output=True, text=True,
                       timeout=matrix.GUEST_TIMEOUT_S + 600)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads((out / "kernels.json").read_text())
    assert (out / "kernels.md").is_file()
    return doc


def test_the_guest_booted_the_6_1_kernel_and_ran_the_suite(guest_61):
    [run] = guest_61["kernels"]
    assert run["release"].startswith("6.1.") and run["where"].startswith("guest")
    assert run["status"] == "ok", run["reason"]


def test_every_runnable_variant_has_an_outcome_on_6_1(guest_61):
    outcomes = guest_61["kernels"][0]["variants"]
    expected = {v.name for v in VARIANTS if not v.unavailable}
    assert expected <= set(outcomes), f"missing: {expected - set(outcomes)}"


@pytest.mark.parametrize("name", RELOCATING)
def test_relocating_frameworks_report_the_right_ppid_on_6_1(guest_61, name):
    o = guest_61["kernels"][0]["variants"][name]
    assert o["status"] == "pass" and not o["xfailed"], o
