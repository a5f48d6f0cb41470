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


def _load_of(others: float, steal: float = 0.0, niced: float = 0.0):
    from _load import Load

    return Load(seconds=2.0, own=0.0, others=2.0 * others, steal=2.0 * steal, niced=2.0 * niced)


def test_threads_left_are_the_cpus_other_processes_leave_free_rounded_from_one_to_the_limit():
    from _load import threads_left

    assert threads_left(_load_of(0.02), limit=2, cpus=2) == 2  # a quiet machine: every core
    assert threads_left(_load_of(0.98), limit=2, cpus=2) == 1  # a busy loop on one core: the other
    assert threads_left(_load_of(0.98, niced=0.98), limit=2, cpus=2) == 2  # a niced loop yields its core
    assert threads_left(_load_of(0.02, steal=0.9), limit=2, cpus=2) == 2  # steal follows our own demand
    assert threads_left(_load_of(3.0), limit=2, cpus=2) == 1  # never below one
    assert threads_left(_load_of(1.0), limit=8, cpus=16) == 8  # never above torch's own default
    assert threads_left(_load_of(9.6), limit=8, cpus=16) == 6


def _burning_child(nice: int = 0, cpu: int | None = None) -> subprocess.Popen:
    """A real process that burns one CPU until killed (at ``nice``, pinned to ``cpu`` if given)."""
    import os

    def setup() -> None:
        if nice:
            os.nice(nice)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    child = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"], preexec_fn=setup)
    time.sleep(0.3)
    return child


def _stop(child: subprocess.Popen) -> None:
    child.kill()
    child.wait()


def _free_cpus_or_skip() -> int:
    import os

    from _load import free_threads, usable_cpus

    cpus = len(usable_cpus())
    quiet, _ = free_threads(limit=cpus, seconds=1.0)
    if cpus < 2 or quiet < 2:
        pytest.skip(f"{quiet} of {cpus} CPUs free now: no thread to leave out (os.cpu_count {os.cpu_count()})")
    return quiet


def test_a_process_burning_one_cpu_leaves_one_thread_fewer_and_a_niced_one_leaves_every_thread():
    """Real children burn a CPU while free_threads measures, compared with a measurement just before (so a CI
    machine with some load of its own still works; one with no second CPU free skips)."""
    from _load import free_threads, usable_cpus

    quiet = _free_cpus_or_skip()
    cpus = len(usable_cpus())
    child = _burning_child()
    try:
        busy, load = free_threads(limit=cpus, seconds=1.5)
    finally:
        _stop(child)
    assert load is not None and load.others >= 1.2 and load.niced < 0.2  # the child's ~1.5 s at nice 0
    assert busy == quiet - 1
    child = _burning_child(nice=19)
    try:
        niced, load = free_threads(limit=cpus, seconds=1.5)
    finally:
        _stop(child)
    assert load is not None and load.niced >= 1.2
    assert niced == quiet


def test_only_the_cpus_this_process_may_run_on_are_measured():
    """A child burns CPU 0; measured from CPUs 1.. it is not there, measured from every CPU it is."""
    import os

    from _load import LoadMeter, usable_cpus

    _free_cpus_or_skip()
    everything = usable_cpus()
    if 0 not in everything:
        pytest.skip("CPU 0 is not among this process's CPUs")
    child = _burning_child(cpu=0)
    try:
        os.sched_setaffinity(0, everything - {0})  # this thread only, for the meter's reading of it
        try:
            elsewhere = LoadMeter()
        finally:
            os.sched_setaffinity(0, everything)
        assert elsewhere.cpus == everything - {0}
        whole = LoadMeter()
        time.sleep(1.5)
        away, all_cpus = elsewhere.read(), whole.read()
    finally:
        _stop(child)
    assert all_cpus is not None and away is not None
    assert all_cpus.others >= 1.2
    assert away.others < all_cpus.others - 1.0


def test_without_proc_stat_every_thread_is_used(monkeypatch, tmp_path):
    import _load

    monkeypatch.setattr(_load, "PROC_STAT", tmp_path / "absent")
    assert _load.free_threads(limit=4, seconds=0.01) == (4, None)
