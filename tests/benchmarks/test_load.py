"""benchmarks/_load.py: CPU time of other processes is told apart from this process's own (real processes)."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from _load import LoadMeter  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="/proc/stat is Linux's; not here")

# A child that burns 0.6 s of its own CPU time (process_time does not advance while it waits for a CPU).
BURN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end:\n    pass\n"


def test_another_process_burning_cpu_is_counted_as_other_processes_not_as_this_one():
    meter = LoadMeter()
    subprocess.run([sys.executable, "-c", BURN], check=True, timeout=120)
    load = meter.read()
    assert load is not None
    assert load.others >= 0.5  # the child's 0.6 s less the clock's tick granularity (10 ms per read)
    assert load.own < 0.3  # this process only waited (the child's time is not in os.times' user/system)


def test_this_process_burning_cpu_is_counted_as_its_own():
    meter = LoadMeter()
    end = time.process_time() + 0.6
    while time.process_time() < end:
        pass
    load = meter.read()
    assert load is not None
    assert load.own >= 0.58
    assert load.seconds >= 0.58
    assert "this process" in load.describe() and "other processes" in load.describe()


def test_without_proc_stat_nothing_is_claimed(monkeypatch, tmp_path):
    import _load

    monkeypatch.setattr(_load, "PROC_STAT", tmp_path / "absent")
    assert _load.LoadMeter().read() is None


def _load_of(others: float, steal: float = 0.0):
    from _load import Load

    return Load(seconds=2.0, own=0.0, others=2.0 * others, steal=2.0 * steal)


def test_threads_left_are_the_cpus_other_processes_leave_free_rounded_from_one_to_the_limit(monkeypatch):
    from _load import threads_left

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert threads_left(_load_of(0.02), limit=2) == 2  # a quiet machine: every core
    assert threads_left(_load_of(0.98), limit=2) == 1  # a busy loop on one core: the other
    assert threads_left(_load_of(0.4, steal=0.6), limit=2) == 1  # the hypervisor's share counts too
    assert threads_left(_load_of(3.0), limit=2) == 1  # never below one
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert threads_left(_load_of(1.0), limit=8) == 8  # never above torch's own default
    assert threads_left(_load_of(9.6), limit=8) == 6


def test_a_process_burning_one_cpu_leaves_one_thread_fewer(tmp_path):
    """A real child burns a CPU while free_threads measures; on a machine where the other CPUs are free, one
    thread fewer than the CPUs (the comparison is against a measurement just before, so a busy CI still works)."""
    import os

    from _load import free_threads

    cpus = os.cpu_count() or 1
    if cpus < 2:
        pytest.skip("one CPU: there is no thread to leave out")
    quiet, _ = free_threads(limit=cpus, seconds=1.0)
    forever = "while True:\n    pass\n"
    child = subprocess.Popen([sys.executable, "-c", forever])
    try:
        time.sleep(0.3)
        busy, load = free_threads(limit=cpus, seconds=1.5)
    finally:
        child.kill()
        child.wait()
    assert load is not None and load.others >= 1.2  # the child's ~1.5 s
    assert busy == max(1, quiet - 1)


def test_without_proc_stat_every_thread_is_used(monkeypatch, tmp_path):
    import _load

    monkeypatch.setattr(_load, "PROC_STAT", tmp_path / "absent")
    assert _load.free_threads(limit=4, seconds=0.01) == (4, None)
