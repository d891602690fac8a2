"""The ledger of changes to the machine, and results folders replaced as a whole: what a
killed process leaves is found and undone by the next harness command."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from harness import ledger, results


@pytest.fixture(autouse=True)
def own_ledger(tmp_path, monkeypatch):
    monkeypatch.setattr(ledger, "LEDGER_DIR", tmp_path / "ledger")
    return tmp_path / "ledger"


def test_a_change_is_recorded_before_and_forgotten_after(tmp_path, own_ledger):
    d = tmp_path / "run-folder"
    assert ledger.record("dir", str(d))
    assert not ledger.record("dir", str(d)), "a nested holder must not take it over"
    assert (own_ledger / f"{os.getpid()}.json").is_file()
    assert ledger.leftovers() == [] and ledger.sweep() is None, "a live process's changes are its own"
    ledger.forget("dir", str(d))
    assert not (own_ledger / f"{os.getpid()}.json").exists()


def _killed_child(tmp_path, own_ledger, body: str) -> None:
    code = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from harness import ledger, results
        ledger.LEDGER_DIR = Path({str(own_ledger)!r})
        tmp = Path({str(tmp_path)!r})
    """) + textwrap.dedent(body) + "\nprint('ready', flush=True)\ntime.sleep(60)\n"
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGKILL)
    p.wait()


def test_the_next_command_undoes_what_a_killed_process_left(tmp_path, own_ledger):
    folder, sysctl = tmp_path / "shm-run", tmp_path / "sysctl"
    sysctl.write_text("0")
    _killed_child(tmp_path, own_ledger, """
        ledger.record("dir", str(tmp / "shm-run")); (tmp / "shm-run").mkdir(); (tmp / "shm-run" / "f").write_text("x")
        ledger.record("sysctl", str(tmp / "sysctl"), "0"); (tmp / "sysctl").write_text("1")
    """)
    assert folder.is_dir() and sysctl.read_text() == "1"
    assert len(ledger.leftovers()) == 2
    line = ledger.sweep()
    assert line.startswith("cleaned up after a killed run (pid ")
    assert f"folder {folder}" in line and "back to 0" in line
    assert not folder.exists() and sysctl.read_text() == "0"
    assert ledger.leftovers() == [] and ledger.sweep() is None


def test_a_corrupt_ledger_file_is_removed_not_fatal(own_ledger):
    own_ledger.mkdir(parents=True)
    (own_ledger / "999999.json").write_text("[not a ledger")
    assert ledger.sweep() is None
    assert not list(own_ledger.iterdir())


def test_a_results_folder_is_replaced_as_a_whole(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "kernels.md").write_text("matrix, not the benchmark's")
    (out / "results.json").write_text("old")

    def write(folder):
        (folder / "results.json").write_text("new")
        (folder / "README.md").write_text("new")
        return [folder / "results.json", folder / "README.md"]
    written = results.replace_folder(out, write)
    assert written == [out / "results.json", out / "README.md"]
    assert (out / "results.json").read_text() == "new" and (out / "kernels.md").read_text().startswith("matrix")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no staging folder left"


def test_a_failed_write_leaves_the_previous_folder(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "results.json").write_text("old")

    def write(folder):
        (folder / "results.json").write_text("half")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError):
        results.replace_folder(out, write)
    assert (out / "results.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_kill_while_results_are_written_leaves_the_previous_set(tmp_path, own_ledger):
    out = tmp_path / "results"
    out.mkdir()
    (out / "results.json").write_text("old")
    (out / "README.md").write_text("old")
    _killed_child(tmp_path, own_ledger, """
        def write(folder):
            (folder / "results.json").write_text("new")
            print('ready', flush=True)
            time.sleep(60)
        results.replace_folder(tmp / "results", write)
    """)
    assert (out / "results.json").read_text() == "old" and (out / "README.md").read_text() == "old"
    staging = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    assert staging, "the kill left the staging folder (the sweep's to remove)"
    assert "folder" in ledger.sweep()
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_an_exit_short_of_sigkill_undoes_what_the_process_still_holds(tmp_path, own_ledger):
    code = textwrap.dedent(f"""
        from pathlib import Path
        from harness import ledger
        ledger.LEDGER_DIR = Path({str(own_ledger)!r})
        d = Path({str(tmp_path)!r}) / "held"
        ledger.record("dir", str(d)); d.mkdir()
        raise KeyboardInterrupt   # as a Ctrl-C between making a change and undoing it
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and "KeyboardInterrupt" in r.stderr
    assert not (tmp_path / "held").exists()
    assert not own_ledger.exists() or not list(own_ledger.iterdir())


def test_two_runs_that_turn_the_stats_on_leave_the_machine_s_own_value(tmp_path, own_ledger, monkeypatch):
    """A second run (a fresh-root check beside a benchmark) finds the sysctl already at 1: the
    machine's own value is the first run's record, and whichever ends last puts it back."""
    from harness import kernel
    sysctl = tmp_path / "bpf_stats_enabled"
    sysctl.write_text("0")
    monkeypatch.setattr(kernel, "STATS_SYSCTL", sysctl)
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from harness import kernel, ledger
        ledger.LEDGER_DIR = Path({str(own_ledger)!r})
        kernel.STATS_SYSCTL = Path({str(sysctl)!r})
        with kernel.bpf_stats():
            print("on", flush=True)
            sys.stdin.readline()
    """)
    first = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "on" and sysctl.read_text() == "1"
    with kernel.bpf_stats():
        assert sysctl.read_text() == "1"
        first.communicate("\n", timeout=30)   # the first ends while this one still measures
        assert sysctl.read_text() == "1", "the first run turned the stats off under the second"
    assert sysctl.read_text() == "0", "the last run to end restores the machine's own value, not the first's 1"
    assert ledger.leftovers() == []
