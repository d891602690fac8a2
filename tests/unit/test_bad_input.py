"""Bad input gets one line and a non-zero exit: results documents that are not, a broken
manifest among the variants named on the command line, options --quick could drop."""
import json
import subprocess
import sys

import pytest

from harness import bench
from harness.env import REPO
from harness.manifest import discover

from .test_manifest import GOOD, write

NOT_RESULTS = {
    "empty file": "",
    "a list": "[]",
    "a string": '"str"',
    "a number": "3",
    "null": "null",
    "an empty object": "{}",
    "a schema version only": '{"schema_version": 2}',
    "variants not a list": '{"schema_version": 2, "config": {}, "variants": 3}',
    "not JSON": "{results",
}


def _harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("case", NOT_RESULTS)
def test_every_command_that_reads_results_refuses_what_is_not_a_results_document(tmp_path, case):
    bad = tmp_path / "results.json"
    bad.write_text(NOT_RESULTS[case])
    good = REPO / "tests" / "unit" / "fixtures" / "recorded-v2.json"
    for args in (["report", "--out", str(tmp_path)], ["compare", str(bad), str(good)],
                 ["compare", str(good), str(bad)], ["merge", str(bad), str(good)]):
        r = _harness(*args)
        assert r.returncode == 1, f"{args}: exit {r.returncode}: {r.stdout[-300:]} {r.stderr[-300:]}"
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("harness: "), f"{args}: {r.stderr[-500:]!r}"
        assert "Traceback" not in r.stderr


def test_a_broken_manifest_among_named_variants_is_reported_and_the_others_kept(tmp_path):
    write(tmp_path, GOOD, "good")
    write(tmp_path, "name: [unclosed", "broken")
    write(tmp_path, GOOD.replace("programs:", "nothing:"), "noprograms")
    variants, errors = discover(tmp_path)
    chosen, errs = bench.select(variants, errors, ("good", "broken", "noprograms"))
    assert [v.name for v in chosen] == ["good"]
    assert sorted(e.path.parent.name for e in errs) == ["broken", "noprograms"]
    chosen, errs = bench.select(variants, errors, ("good",))
    assert [v.name for v in chosen] == ["good"] and errs == []
    with pytest.raises(bench.UnknownVariant, match="no such variant: nosuch"):
        bench.select(variants, errors, ("good", "nosuch"))


def test_quick_honours_the_options_given_with_it():
    cfg = bench.Config.from_options(True, runs=7, opens=123)
    assert (cfg.runs, cfg.opens, cfg.warmup) == (7, 123, 0)
    assert cfg.step_s == bench.Config.quick().step_s and cfg.clean_build is False
    plain = bench.Config.from_options(False, clean_build=True)
    assert (plain.runs, plain.opens, plain.warmup) == (bench.DEFAULT_RUNS, bench.DEFAULT_OPENS, bench.DEFAULT_WARMUP)
    assert bench.Config.from_options(True).runs == 2


def test_bench_of_an_unknown_variant_is_a_usage_error_like_build():
    for cmd in ("bench", "build"):
        r = _harness(cmd, "nosuch-variant")
        if cmd == "bench" and r.returncode == 1 and "as root" in r.stderr:
            pytest.skip("bench needs root before it looks at variants")
        assert r.returncode == 2, f"{cmd}: {r.stderr}"
        assert r.stderr.strip() == "harness: no such variant: nosuch-variant"


def test_inspect_errors_go_to_stderr(tmp_path):
    bad = tmp_path / "x.o"
    bad.write_bytes(b"\x7fELF" + bytes(60))
    r = _harness("inspect", str(bad))
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"harness: {bad}: inspect failed: ")


def test_an_unwritable_out_folder_says_why(tmp_path):
    from harness.results import check_writable
    why = check_writable(__import__("pathlib").Path("/proc/forbidden"))
    assert why and "/proc" in why and "cannot be made" in why
