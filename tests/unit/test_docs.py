"""The contract in docs/ says what the code does: the figure table of docs/results.md names
exactly the figures harness/metrics.py declares."""
import itertools
import re

from harness.env import REPO
from harness.metrics import BY_KEY


def _expand(key: str) -> set[str]:
    """`flood_rate_SIZE_MODE` stands for its four figures."""
    if "SIZE" not in key:
        return {key}
    return {key.replace("SIZE", size).replace("MODE", mode)
            for size, mode in itertools.product(("16", "304"), ("silent", "formatted"))}


def _documented() -> set[str]:
    text = (REPO / "docs" / "results.md").read_text()
    section = text.split("\n## Figures\n", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {k for row in rows for key in re.findall(r"`([a-zA-Z_]+)`", row.split("|")[1]) for k in _expand(key)}


def test_the_figure_table_of_docs_names_every_metric_and_no_other():
    documented = _documented()
    assert len(documented) > 20
    assert documented == set(BY_KEY), (f"in docs only: {sorted(documented - set(BY_KEY))}; "
                                       f"in METRICS only: {sorted(set(BY_KEY) - documented)}")
