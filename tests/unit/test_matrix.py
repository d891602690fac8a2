"""The kernel matrix's reading of JUnit reports and its table (the guest runs are integration)."""
from harness import matrix

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="t" name="test_a[c-libbpf]"><properties><property name="variant" value="c-libbpf"/></properties></testcase>
<testcase classname="t" name="test_b[c-libbpf]"><properties><property name="variant" value="c-libbpf"/></properties></testcase>
<testcase classname="t" name="test_a[rust-aya]"><properties><property name="variant" value="rust-aya"/></properties>
  <failure message="AssertionError: ppid 0 != 1234&#10;more">trace</failure></testcase>
<testcase classname="t" name="test_b[rust-aya]"><properties><property name="variant" value="rust-aya"/></properties></testcase>
<testcase classname="t" name="test_a[bpftrace]"><properties><property name="variant" value="bpftrace"/></properties>
  <skipped message="declares all unsupported"/></testcase>
<testcase classname="t" name="test_a[bcc-python]"><properties><property name="variant" value="bcc-python"/></properties>
  <skipped type="pytest.xfail" message="PPID 0: compiled against the headers of 6.12"/></testcase>
<testcase classname="t" name="test_b[bcc-python]"><properties><property name="variant" value="bcc-python"/></properties></testcase>
<testcase classname="t" name="test_unrelated"/>
</testsuite></testsuites>
"""


def test_junit_is_read_per_variant(tmp_path):
    p = tmp_path / "r.xml"
    p.write_text(JUNIT)
    out = matrix.read_junit(p)
    assert set(out) == {"c-libbpf", "rust-aya", "bpftrace", "bcc-python"}
    assert (out["bcc-python"].status, out["bcc-python"].xfailed, out["bcc-python"].skipped) == ("pass", 1, 0)
    assert out["bcc-python"].expected == ["test_a[bcc-python]: PPID 0: compiled against the headers of 6.12"]
    assert (out["c-libbpf"].status, out["c-libbpf"].passed) == ("pass", 2)
    assert (out["rust-aya"].status, out["rust-aya"].failed, out["rust-aya"].passed) == ("fail", 1, 1)
    assert out["rust-aya"].failures == ["test_a[rust-aya]: AssertionError: ppid 0 != 1234"]
    assert out["bpftrace"].status == "skip"


def test_table_has_a_column_per_kernel_oldest_first(tmp_path):
    p = tmp_path / "r.xml"
    p.write_text(JUNIT)
    runs = [matrix.KernelRun("6.18.44-host", "host", "ok", None, 10.0, matrix.read_junit(p)).to_json(),
            matrix.KernelRun("6.1.0-56-amd64", "guest (qemu TCG, virtme-ng)", "ok", None, 100.0,
                             matrix.read_junit(p)).to_json(),
            matrix.KernelRun("6.12.117+deb12-amd64", "guest (qemu TCG, virtme-ng)", "failed",
                             "the guest did not run the suite: Kernel panic").to_json()]
    text = matrix.render({"kernels": runs, "host": "h", "host_kernel": "6.18.44-host", "suite": list(matrix.SUITE)},
                         [{"name": "rust-redbpf", "role": "framework", "unavailable": "needs LLVM 13"}])
    header = next(line for line in text.splitlines() if line.startswith("| Variant"))
    assert header.index("6.1.0-56") < header.index("6.12.117") < header.index("6.18.44")
    aya = next(line for line in text.splitlines() if line.startswith("| rust-aya"))
    assert "**fail** (1 of 2) [" in aya, "a long cell is a note under the table"
    assert "] **fail** (1 of 2): test_a[rust-aya]: AssertionError: ppid 0 != 1234\n" in text
    assert "not run: the guest did not run the suite: Kernel panic" in aya
    bcc = next(line for line in text.splitlines() if line.startswith("| bcc-python"))
    assert "pass (1 tests), **1 expected failure** [" in bcc
    assert "] pass (1 tests), **1 expected failure**: test_a[bcc-python]: PPID 0" in text
    assert "cannot run here: needs LLVM 13" in next(line for line in text.splitlines() if line.startswith("| rust-redbpf"))
