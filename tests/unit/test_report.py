"""Statistics and rendering on recorded samples: the tables must match the golden files.

Regenerate the golden files after a deliberate change to the tables with
`UPDATE_GOLDEN=1 pytest tests/unit/test_report.py` and review the diff."""
import json
import os
from pathlib import Path

import pytest

from harness import report
from harness.metrics import summarize_samples

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


def recorded_doc() -> dict:
    """The recorded samples, summarised as the benchmark does."""
    doc = json.loads((HERE / "fixtures" / "recorded-samples.json").read_text())
    for v in doc["variants"]:
        for rt in (v.get("runtime") or {}).values():
            rt["summary"] = summarize_samples(rt["samples"])
    return doc


@pytest.mark.parametrize("name", sorted(report.TABLES))
def test_tables_match_golden(name):
    text = report.TABLES[name](recorded_doc())
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_readme_names_machine_and_method():
    text = report.render_readme(recorded_doc())
    assert "Intel(R) Xeon(R) Test CPU" in text
    assert "3 measured runs" in text
    assert "| broken             | failed      | opensnoop: exited before ready" in text


def test_unmeasured_is_never_zero():
    text = report.startup_table(recorded_doc())
    row = next(line for line in text.splitlines() if line.startswith("| broken"))
    assert " 0 " not in row and "failed" in row


def test_relative_column_is_against_the_best():
    assert report.relative({"a": 10.0, "b": 25.0, "c": None}) == {"a": "1.00", "b": "2.50", "c": "-"}


def test_unstable_figure_is_flagged():
    cell = report.cell({"median": 10, "iqr": 5, "min": 1, "max": 20, "unstable": True})
    assert cell.endswith("⚠")


def test_plots_render_as_png():
    plots = report.render_plots(recorded_doc())
    assert set(plots) == {"startup.png", "memory.png", "kernel_ns.png"}
    assert all(data.startswith(b"\x89PNG") for data in plots.values())
