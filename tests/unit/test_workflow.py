"""The GitHub Actions workflow is checked by actionlint (built from the Go module proxy by the set-up)."""
import subprocess

import pytest

from harness.env import REPO, under_ci

ACTIONLINT = REPO / ".deps" / "bin" / "actionlint"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def test_there_is_a_workflow():
    assert WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflow_passes_actionlint(workflow):
    if not ACTIONLINT.is_file():
        msg = "actionlint is not installed: run `nox -s setup`"
        if under_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    r = subprocess.run([str(ACTIONLINT), "-color=false", str(workflow)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    if not ACTIONLINT.is_file():
        pytest.skip("actionlint is not installed")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n")
    r = subprocess.run([str(ACTIONLINT), "-color=false", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0 and "matrix" in r.stdout
