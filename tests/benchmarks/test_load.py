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
