"""Programs as data (harness/programs.py): the manifest's optional programs, the testrun runner's
parsers, and the xdp tables rendered from a recorded quick run of c-libbpf's xdp."""
from pathlib import Path

import pytest

from harness import report
from harness.env import REPO
from harness.manifest import ManifestError, discover, load_variant
from harness.programs import PROGRAMS, REQUIRED, SPECS
from harness.results import load
from harness.testrun import FRAMES, parse_bench, parse_counters

from .test_manifest import GOOD, error_of, write

HERE = Path(__file__).parent


def test_specs_cover_every_program():
    assert PROGRAMS == ("hello", "hello-batched", "opensnoop", "opensnoop-batched", "xdp", "flood")
    assert REQUIRED == ("hello", "opensnoop")
    assert {n: (s.of, s.args) for n, s in SPECS.items() if s.of} == {
        "hello-batched": ("hello", ("-B",)), "opensnoop-batched": ("opensnoop", ("-B",))}
    assert all(SPECS[s.of].header == s.header and SPECS[s.of].workload == s.workload for s in SPECS.values() if s.of)
    assert {s.kind for s in SPECS.values()} == {"trace", "testrun", "flood"}
    assert all(s.workload in ("exec", "open") for s in SPECS.values() if s.kind == "trace")


def test_optional_program_absent_is_lacking(tmp_path):
    v = load_variant(write(tmp_path, GOOD))
    assert "xdp" not in v.programs
    assert v.lacks == {p: "not written for this variant" for p in ("hello-batched", "opensnoop-batched", "xdp", "flood")}


def test_a_mode_is_its_programs_executable_with_its_arguments(tmp_path):
    v = load_variant(write(tmp_path, GOOD + "  hello-batched: {{wakeup: ring_buffer__poll then ring_buffer__consume}}\n"))
    mode, base = v.programs["hello-batched"], v.programs["hello"]
    assert (mode.executable, mode.bpf_objects, mode.args) == (base.executable, base.bpf_objects, ("-B",))
    assert mode.wakeup == "ring_buffer__poll then ring_buffer__consume" and "hello-batched" not in v.lacks


@pytest.mark.parametrize("entry,field", [
    ("  hello-batched: {{}}\n", "programs.hello-batched.wakeup"),
    ("  hello-batched: {{wakeup: x, executable: build/other}}\n", "programs.hello-batched.executable"),
])
def test_a_mode_errors(tmp_path, entry, field):
    assert error_of(tmp_path, GOOD + entry).field == field


def test_optional_program_declared_with_its_api(tmp_path):
    text = GOOD + "  xdp: {{executable: build/xdp, bpf_objects: [build/xdp.bpf.o], test_run: Program.Run}}\n"
    v = load_variant(write(tmp_path, text))
    assert v.programs["xdp"].executable == Path("build/xdp")
    assert v.programs["xdp"].test_run == "Program.Run"
    assert v.lacks["flood"] == "not written for this variant" and "xdp" not in v.lacks


def test_optional_program_unavailable_with_reason(tmp_path):
    v = load_variant(write(tmp_path, GOOD + "  xdp: {{unavailable: no test-run API}}\n"))
    assert "xdp" not in v.programs and v.lacks["xdp"] == "no test-run API"


@pytest.mark.parametrize("entry,field", [
    ("  xdp: {{unavailable: ''}}\n", "programs.xdp.unavailable"),
    ("  xdp: {{executable: build/xdp, bpf_objects: [], test_run: 5}}\n", "programs.xdp.test_run"),
    ("  xdp: {{bpf_objects: []}}\n", "programs.xdp.executable"),
    ("  tc: {{executable: build/tc, bpf_objects: []}}\n", "programs"),
])
def test_optional_program_errors(tmp_path, entry, field):
    assert error_of(tmp_path, GOOD + entry).field == field


def test_a_required_program_cannot_be_unavailable(tmp_path):
    text = GOOD.replace("  hello: {{executable: build/hello, bpf_objects: [build/hello.bpf.o]}}",
                        "  hello: {{unavailable: no}}")
    with pytest.raises(ManifestError):
        load_variant(write(tmp_path, text))


def test_every_variant_has_xdp_or_says_why():
    """A variant without xdp must say why in its variant.yaml, never fall back to the default."""
    variants, errors = discover(REPO / "variants")
    assert not errors
    silent = [v.name for v in variants if "xdp" not in v.programs and v.lacks.get("xdp") == "not written for this variant"]
    assert not silent, f"no xdp and no reason in variant.yaml: {', '.join(silent)}"


BENCH = "FRAME\tREPEAT\tNS_PER_RUN\n" + "".join(f"{f}\t1000\t{20 + i}\n" for i, f in enumerate(FRAMES))


def test_parse_bench():
    rows = parse_bench(BENCH)
    assert [r["frame"] for r in rows] == list(FRAMES)
    assert rows[0] == {"frame": "ipv4-tcp", "repeat": 1000, "ns_per_run": 20}


@pytest.mark.parametrize("text", ["", "FRAME\tREPEAT\n", BENCH.replace("\t21\n", "\tx\n"),
                                  BENCH.rsplit("ipv4-truncated", 1)[0], BENCH.replace("ipv4-tcp", "tcp")])
def test_parse_bench_rejects(text):
    with pytest.raises(ValueError):
        parse_bench(text)


def test_parse_counters():
    text = "PROTO\tPACKETS\tBYTES\ntcp\t0\t0\nudp\t200\t10000\nicmp\t1\t98\nicmpv6\t0\t0\nother\t0\t0\nnon-ip\t2\t84\n"
    c = parse_counters(text)
    assert c["udp"] == (200, 10000) and c["non-ip"] == (2, 84) and len(c) == 6


def xdp_doc() -> dict:
    return load(HERE / "fixtures" / "recorded-xdp.json").view()


def test_xdp_section_in_kernel_md():
    doc = xdp_doc()
    text = report.kernel_table(doc)
    section = text.split("## xdp:", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith("| c-libbpf"))
    samples = doc["variants"][0]["runtime"]["xdp"]["samples"]
    median = sum(s["figures"]["testrun_ns"] for s in samples) / len(samples)  # two runs: the mean
    assert f"{median:.1f} (IQR" in row
    assert "bpf_prog_test_run_opts" in row and "native" in row
    assert "what the kernel loaded, by compiler" in section
    code = next(line for line in section.split("by compiler", 1)[1].splitlines() if line.startswith("| c-libbpf"))
    assert "| clang" in code and "xdp_count" in code


def test_xdp_in_headline_startup_memory_and_elf():
    doc = xdp_doc()
    assert "### xdp" in report.render_readme(doc)
    assert "## xdp" in report.startup_table(doc) and "## xdp" in report.memory_table(doc)
    assert "## xdp" in report.elf_table(doc) and "## xdp" in report.size_table(doc)
    assert "## xdp" not in report.overhead_table(doc) and "## xdp" not in report.throughput_table(doc)


def test_no_xdp_section_without_xdp():
    doc = load(HERE / "fixtures" / "recorded-v2.json").view()
    for fn in report.TABLES.values():
        assert "xdp" not in fn(doc)
