"""The runner's process handling, on plain processes (no BPF, no root)."""
import signal
import sys

from harness.run import Child

PRINT_THEN_WAIT = "import sys, time; print('HEADER', flush=True); print('x marker y', flush=True); time.sleep(60)"
IGNORE_SIGINT = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('HEADER', flush=True); time.sleep(60)"
SUMMARY = ("import signal, sys, time; signal.signal(signal.SIGINT, lambda *a: (print('events=7 drops=2', file=sys.stderr), sys.exit(0)));"
           "print('HEADER', flush=True); time.sleep(60)")


def test_header_and_watched_lines_are_timestamped():
    c = Child([sys.executable, "-c", PRINT_THEN_WAIT], watch=(b"marker",))
    assert c.wait_for(lambda: b"marker" in c.seen, 10)
    assert c.header == b"HEADER" and c.seen[b"marker"] >= c.header_ns > c.t0
    assert c.counts[b"marker"] == 1
    assert c.stop(signal.SIGTERM, timeout=5) is False


def test_a_process_that_ignores_sigint_is_a_hang_and_is_killed():
    c = Child([sys.executable, "-c", IGNORE_SIGINT])
    assert c.wait_for(lambda: c.header is not None, 10)
    assert c.stop(signal.SIGINT, timeout=0.5) is True
    assert c.status == -signal.SIGKILL
    assert c.rusage is not None


def test_summary_line_and_own_rusage():
    c = Child([sys.executable, "-c", SUMMARY])
    assert c.wait_for(lambda: c.header is not None, 10)
    assert c.stop() is False
    assert c.status == 0 and c.summary() == (7, 2)
    assert c.rusage.ru_maxrss > 0
