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
    stats_before = kernel.STATS_SYSCTL.read_text()
    p = bench(tmp_path)
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0, out
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["schema_version"] == 2 and doc["machine"]["kernel"] and doc["machine"]["hostname"]
    assert doc["placement"]["note"]
    if os.cpu_count() >= 2:
        assert doc["placement"]["variant_cpu"] != doc["placement"]["workload_cpu"]
    (entry,) = doc["variants"]
    assert entry["status"] == "ok", entry.get("reason")
    cfg = doc["config"]
    for prog in ("hello", "opensnoop"):
        assert len(doc["baseline"][prog]) == 2 and all(b["ns_per_op"] > 0 for b in doc["baseline"][prog])
        rt = entry["runtime"][prog]
        assert rt["status"] == "ok" and len(rt["samples"]) == 2
        for s in rt["samples"]:
            f = s["figures"]
            assert f["ready_ms"] > 0 and f["first_event_ms"] >= f["ready_ms"]
            assert f["peak_rss_kib"] > 0 and f["drops"] is not None
            assert f["delivered_pct"] > 0 and f["cpu_ns_per_event"] > 0 and f["kernel_ns_per_event"] > 0
            assert f["workload_ns_per_op"] > 0 and f["added_ns_per_op"] is not None
            assert f["max_sustainable_rate"] >= cfg["kernel_rate"]
            # The sweep starts at the fixed rate and every step sent what its rate and length ask.
            assert s["sweep"][0]["offered_rate"] == cfg["kernel_rate"]
            assert s["sweep"][0]["sent"] == int(cfg["kernel_rate"] * cfg["kernel_step_s"])
            assert all(0 <= p["delivered_frac"] <= 1 for p in s["sweep"])
            assert s["noise"]["window_s"] > 0 and s["noise"]["other_cpu_pct"] >= 0
            assert s["leaked"] == [] and not s["hang"]
            assert all(p["verified_insns"] > 0 for p in s["programs"])
    # xdp: attached to the benchmark's veth pair, self-tested, timed by BPF_PROG_TEST_RUN.
    rt = entry["runtime"]["xdp"]
    assert rt["status"] == "ok" and len(rt["samples"]) == 2, rt.get("reason")
    for s in rt["samples"]:
        f = s["figures"]
        assert f["ready_ms"] > 0 and f["peak_rss_kib"] > 0 and f["packets_counted"] >= 200
        assert f["testrun_ns"] > 0 and f["attached_ns_per_packet"] > 0
        assert [x["frame"] for x in s["frames"]] == ["ipv4-tcp", "ipv4-udp", "ipv6-udp", "ipv4-icmp", "ipv4-truncated"]
        assert all(x["repeat"] == cfg["testrun_repeat"] and x["ns_per_run"] > 0 for x in s["frames"])
        assert s["attach_mode"] in ("native", "generic")
        assert [p["name"] for p in s["programs"]] == ["xdp_count"] and s["programs"][0]["verified_insns"] > 0
        assert s["leaked"] == [] and not s["hang"]
    assert entry["test_run"]["xdp"]
    assert kernel.STATS_SYSCTL.read_text() == stats_before, "kernel.bpf_stats_enabled not restored"
    names = {p["name"] for p in entry["runtime"]["opensnoop"]["samples"][0]["programs"]}
    assert names == {"enter_open", "enter_openat", "exit_open", "exit_openat"}
    assert [o["path"] for o in entry["elf"]["opensnoop"]["objects"]] == ["build/opensnoop.bpf.o"]
    for name in ("build.md", "size.md", "elf.md", "kernel.md", "startup.md", "memory.md", "throughput.md",
                 "overhead.md", "README.md", "startup.png", "memory.png", "kernel_ns.png", "rates.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "c-libbpf" in (tmp_path / "startup.md").read_text()


def test_a_subset_run_leaves_the_reference_results_alone():
    require(C, "open")
    before = {p.name: p.stat().st_mtime_ns for p in (REPO / "results").iterdir()}
    p = subprocess.run([sys.executable, "-m", "harness", "bench", "c-libbpf", "--quick", "--no-clean-build"],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "scratch-results" in p.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (REPO / "results").iterdir()} == before


def test_an_unwritable_results_folder_is_refused_before_anything_runs(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = subprocess.run([sys.executable, "-m", "harness", "bench", "c-libbpf", "--quick", "--out", str(blocker / "out")],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "results cannot be written" in p.stderr


def test_build_of_an_unknown_variant_fails():
    p = subprocess.run([sys.executable, "-m", "harness", "build", "nosuch"], cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 2 and "no such variant: nosuch" in p.stderr


def test_compare_of_a_run_with_itself_agrees(tmp_path):
    require(C, "open")
    p = bench(tmp_path)
    p.communicate(timeout=600)
    src = tmp_path / "results.json"
    c = subprocess.run([sys.executable, "-m", "harness", "compare", str(src), str(src)], cwd=REPO,
                       capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr
    assert "0 differ" in c.stdout and "c-libbpf" in c.stdout


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
    previous = '{"schema_version": 2, "marker": "previous"}\n'
    (tmp_path / "results.json").write_text(previous)
    stats_before = kernel.STATS_SYSCTL.read_text()
    # As from a terminal: SIGINT live in the benchmark even when this test was started with it
    # ignored (a job put in the background by a shell without job control inherits SIG_IGN).
    p = bench(tmp_path, "--runs", "50", start_new_session=True,
              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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


def _machine_changes(pid: int) -> dict:
    """What a benchmark of process pid changes on the machine, as the machine shows it."""
    netns = sorted(p.name for p in __import__("pathlib").Path("/run/netns").glob("ebpf-fw-*")) \
        if os.path.isdir("/run/netns") else []
    veths = sorted(p for p in os.listdir("/sys/class/net") if p.startswith("xbh"))
    return {"netns": netns, "veths": veths, "run folder": os.path.isdir(f"/dev/shm/ebpf-fw-run-{pid}"),
            "bpf_stats_enabled": kernel.STATS_SYSCTL.read_text().strip()}


def test_sigkill_in_the_measuring_rounds_is_undone_by_the_next_command(tmp_path):
    require(C, "open")
    stats_before = kernel.STATS_SYSCTL.read_text().strip()
    before = _machine_changes(0)
    p = bench(tmp_path, "--runs", "50", start_new_session=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if line.startswith("round 2/"):
            break
    time.sleep(0.5)
    during = _machine_changes(p.pid)
    os.killpg(p.pid, signal.SIGKILL)   # no finally, no atexit: only the ledger knows
    p.wait(timeout=30)
    left = _machine_changes(p.pid)
    assert left["run folder"] and left["bpf_stats_enabled"] == "1", (during, left, "".join(lines))
    assert len(left["netns"]) > len(before["netns"]), "the xdp veth pair's namespace was not there to leave"
    r = subprocess.run([sys.executable, "-m", "harness", "doctor"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert f"cleaned up after a killed run (pid {p.pid})" in r.stderr, r.stderr
    after = _machine_changes(p.pid)
    assert after == {**before, "run folder": False, "bpf_stats_enabled": stats_before}, (left, after)
    assert "leftovers" in r.stdout and "left by a killed run" not in r.stdout
    stray = subprocess.run(["pgrep", "-f", str(C.dir / "build")], capture_output=True, text=True).stdout
    assert stray == "", "a variant outlived the benchmark"
