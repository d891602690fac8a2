"""The benchmark on the real kernel: a quick run, kills, interruptions. No timing assertions."""
import json
import os
import signal
import subprocess
import sys
import time


from harness import kernel
from harness.env import REPO
from harness.run import leaked

from .conftest import VARIANTS, require

C = next(v for v in VARIANTS if v.name == "c-libbpf")


def bench(out, *extra, **kw):
    return subprocess.Popen([sys.executable, "-m", "harness", "bench", "c-libbpf", "--quick", "--no-clean-build",
                             "--out", str(out), *extra], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kw)


def test_quick_benchmark_of_c_libbpf_measures_every_figure(tmp_path):
    require(C, "open")
    p = bench(tmp_path)
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0, out
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["schema_version"] == 1 and doc["machine"]["kernel"]
    (entry,) = doc["variants"]
    assert entry["status"] == "ok", entry.get("reason")
    for prog in ("hello", "opensnoop"):
        rt = entry["runtime"][prog]
        assert rt["status"] == "ok" and len(rt["samples"]) == 2
        for s in rt["samples"]:
            assert s["ready_ms"] > 0 and s["first_event_ms"] >= s["ready_ms"]
            assert s["peak_rss_kib"] > 0 and s["received"] > 0 and s["drops"] is not None
            assert s["cpu_ns_per_event"] > 0 and s["kernel_ns_per_event"] > 0
            assert s["leaked"] == [] and not s["hang"]
            assert all(p["verified_insns"] > 0 for p in s["programs"])
        assert rt["summary"]["first_event_ms"]["n"] == 2
    names = {p["name"] for p in entry["runtime"]["opensnoop"]["samples"][0]["programs"]}
    assert names == {"enter_open", "enter_openat", "exit_open", "exit_openat"}
    assert [o["path"] for o in entry["elf"]["opensnoop"]["objects"]] == ["build/opensnoop.bpf.o"]
    for name in ("build.md", "size.md", "elf.md", "kernel.md", "startup.md", "memory.md", "throughput.md",
                 "README.md", "startup.png", "memory.png", "kernel_ns.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "c-libbpf" in (tmp_path / "startup.md").read_text()


def test_stats_setting_is_restored(tmp_path):
    require(C, "open")
    before = kernel.STATS_SYSCTL.read_text()
    p = bench(tmp_path)
    p.communicate(timeout=600)
    assert kernel.STATS_SYSCTL.read_text() == before


def test_sigkill_mid_run_leaves_nothing_attached(variant, run):
    require(variant, "open")
    r = run(variant, "opensnoop")
    assert r.ids["prog"], "no BPF program held by the variant"
    r.child.send(signal.SIGKILL)
    r.child.stop(timeout=5)
    assert leaked(r.ids) == []


def test_ctrl_c_keeps_previous_results_and_nothing_loaded(tmp_path):
    require(C, "open")
    previous = '{"schema_version": 1, "marker": "previous"}\n'
    (tmp_path / "results.json").write_text(previous)
    stats_before = kernel.STATS_SYSCTL.read_text()
    p = bench(tmp_path, "--runs", "50", start_new_session=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if line.startswith("round 2/"):
            break
    time.sleep(0.3)
    os.killpg(p.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    out, _ = p.communicate(timeout=120)
    assert p.returncode == 130, "".join(lines) + out
    assert (tmp_path / "results.json").read_text() == previous
    assert [f.name for f in tmp_path.iterdir()] == ["results.json"]
    assert kernel.STATS_SYSCTL.read_text() == stats_before
    leftovers = subprocess.run(["pgrep", "-f", str(C.dir / "build")], capture_output=True, text=True).stdout
    assert leftovers == ""
