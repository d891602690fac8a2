"""python -m harness merge: several results.json as one set of tables, a column per machine."""
import copy

from harness import merge
from harness.results import Results, load

from .test_report import HERE


def _run(hostname: str, kernel: str) -> Results:
    r = load(HERE / "fixtures" / "recorded-v2.json")
    r.machine = {**copy.deepcopy(r.machine), "hostname": hostname, "kernel": kernel}
    return r


def test_a_column_per_machine_and_kernel():
    text = merge.merge([_run("alpha", "6.1.0"), _run("beta", "6.12.1")])
    header = next(line for line in text.splitlines() if line.startswith("| Variant"))
    assert "alpha · 6.1.0" in header and "beta · 6.12.1" in header
    row = next(line for line in text.split("## exec → first event (ms): opensnoop")[1].splitlines()
               if line.startswith("| c-libbpf"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == cells[2] and cells[1][0].isdigit()  # the same samples in both columns
    assert "| broken" in text and "failed" in text


def test_two_runs_of_one_machine_are_told_apart_by_date():
    a, b = _run("alpha", "6.1.0"), _run("alpha", "6.1.0")
    a.machine["date"], b.machine["date"] = "2026-01-01", "2026-01-02"
    assert merge._labels([a.view(), b.view()]) == ["alpha · 6.1.0 · 2026-01-01", "alpha · 6.1.0 · 2026-01-02"]
