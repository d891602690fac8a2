"""Median, quartiles and the spread flag, on values whose answers are known."""
import pytest

from harness.metrics import quantile, summarize, summarize_samples


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
        {"ok": True, "ready_ms": 10.0, "programs": [{"name": "p", "ns_per_run": 100.0, "verified_insns": 5}], "maps": [{"memlock": 4096}]},
        {"ok": False, "ready_ms": 999.0, "programs": [], "maps": []},
        {"ok": True, "ready_ms": 12.0, "programs": [{"name": "p", "ns_per_run": 300.0, "verified_insns": 5}], "maps": [{"memlock": 4096}]},
    ]
    s = summarize_samples(samples)
    assert s["ready_ms"]["median"] == 11.0 and s["ready_ms"]["n"] == 2
    assert s["programs"]["p"]["ns_per_run"]["median"] == 200.0
    assert s["maps_memlock_bytes"]["median"] == 4096
    assert s["first_event_ms"] is None
