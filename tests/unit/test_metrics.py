"""Median, quartiles and the spread flag, on values whose answers are known."""
import pytest

from harness.metrics import METRICS, agree, halves, quantile, summarize, summarize_samples, summarize_sweep


def test_median_quartiles_min_max():
    s = summarize([5, 1, 4, 2, 3])
    assert (s["median"], s["q1"], s["q3"], s["min"], s["max"], s["n"]) == (3, 2, 4, 1, 5, 5)
    assert s["iqr"] == 2


def test_quantile_interpolates():
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.25) == pytest.approx(1.75)


def test_missing_values_are_left_out_and_all_missing_is_none():
    assert summarize([None, 2, None])["n"] == 1
    assert summarize([None, None]) is None
    assert summarize([]) is None


def test_spread_flag_at_ten_percent_of_the_median():
    assert summarize([100, 100, 100, 100, 100])["unstable"] is False
    assert summarize([90, 95, 100, 105, 110])["unstable"] is False  # IQR 10 = 10%: not wider
    assert summarize([80, 90, 100, 110, 120])["unstable"] is True   # IQR 20


def test_single_sample_is_not_flagged():
    assert summarize([7])["unstable"] is False


def test_failed_samples_do_not_count():
    samples = [
        {"ok": True, "figures": {"ready_ms": 10.0}, "programs": [{"name": "p", "ns_per_run": 100.0, "verified_insns": 5}], "maps": [{"memlock": 4096}]},
        {"ok": False, "figures": {"ready_ms": 999.0}, "programs": [], "maps": []},
        {"ok": True, "figures": {"ready_ms": 12.0}, "programs": [{"name": "p", "ns_per_run": 300.0, "verified_insns": 5}], "maps": [{"memlock": 4096}]},
    ]
    s = summarize_samples(samples)
    assert s["ready_ms"]["median"] == 11.0 and s["ready_ms"]["n"] == 2
    assert s["programs"]["p"]["ns_per_run"]["median"] == 200.0
    assert s["maps_memlock_bytes"]["median"] == 4096
    assert s["first_event_ms"] is None


def test_agree_within_ten_percent_or_overlapping_spread():
    a = summarize([100, 101, 102])
    assert agree(a, summarize([105, 106, 107])) is True          # 4% apart
    assert agree(a, summarize([150, 151, 152])) is False         # 50% apart, tight spreads
    assert agree(summarize([100, 150, 200]), summarize([160, 170, 240])) is True  # IQRs overlap
    assert agree(a, None) is None


def test_halves_compare_the_rounds_in_order():
    samples = [{"ok": True, "round": r, "figures": {"first_event_ms": v}} for r, v in enumerate([10, 10, 20, 20])]
    h = halves(samples)["first_event_ms"]
    assert (h["first"], h["second"], h["ratio"], h["agree"]) == (10, 20, 2.0, False)


def test_sweep_keeps_the_ladder_and_takes_medians_per_rate():
    pts = lambda frac: [{"offered_rate": 5000, "ladder": True, "achieved_rate": 5000.0, "delivered_frac": frac},
                        {"offered_rate": 7000, "ladder": False, "achieved_rate": 7000.0, "delivered_frac": 1.0}]  # noqa: E731
    (row,) = summarize_sweep([{"sweep": pts(1.0)}, {"sweep": pts(0.5)}, {"sweep": pts(0.9)}])
    assert row["offered_rate"] == 5000 and row["n"] == 3
    assert row["delivered_frac"]["median"] == 0.9 and row["delivered_rate"]["median"] == 4500


def test_every_metric_is_declared_once_with_a_unit_and_a_method():
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    assert all(m.unit and m.method and m.table.endswith(".md") for m in METRICS)
