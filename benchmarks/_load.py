"""How much CPU other processes and the hypervisor took while a benchmark ran, so that its figure says whether
it was measured on a quiet machine, and how many threads the CPUs they leave free can run (:func:`free_threads`).

Read from Linux's ``/proc/stat`` (the first line: jiffies per state summed over all CPUs, ``man 5 proc``) and
this process's own CPU time (``os.times``, every thread); psutil is not a dependency and would read the same
file. Where ``/proc/stat`` is missing (not Linux) :meth:`LoadMeter.read` returns None.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class Load:
    """CPU use over an interval, in CPU-seconds and as average cores busy over ``seconds`` of wall time.

    ``others`` is every CPU's busy time (user, nice, system, irq, softirq) less this process's own; ``steal`` is
    time the hypervisor ran other guests while this VM's CPUs wanted to run (0 on bare metal).
    """

    seconds: float
    own: float
    others: float
    steal: float

    def cores(self, cpu_seconds: float) -> float:
        """``cpu_seconds`` as average cores busy over the interval (0 for an empty interval)."""
        return cpu_seconds / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """One line, e.g. ``other processes 0.98 cores, steal 0.01 cores, this process 1.93 cores``."""
        return (f"other processes {self.cores(self.others):.2f} cores, steal {self.cores(self.steal):.2f} cores, "
                f"this process {self.cores(self.own):.2f} cores")


@dataclass(frozen=True)
class _Sample:
    wall: float
    busy: float
    steal: float
    own: float


def _sample() -> _Sample | None:
    try:
        fields = PROC_STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    hz = os.sysconf("SC_CLK_TCK")
    own = os.times()
    return _Sample(wall=time.monotonic(), busy=(user + nice + system + irq + softirq) / hz, steal=steal / hz,
                   own=own.user + own.system)


class LoadMeter:
    """Started on construction; :meth:`read` gives the :class:`Load` since then (None where it cannot be read).

    The counters tick at ``SC_CLK_TCK`` (usually 100 Hz), so intervals under about a second are coarse.
    """

    def __init__(self) -> None:
        self._start = _sample()

    def read(self) -> Load | None:
        end = _sample()
        if self._start is None or end is None:
            return None
        own = end.own - self._start.own
        return Load(seconds=end.wall - self._start.wall, own=own,
                    others=max(0.0, end.busy - self._start.busy - own), steal=end.steal - self._start.steal)


def free_threads(limit: int, seconds: float = 2.0) -> tuple[int, Load | None]:
    """How many compute threads the CPUs that other processes leave free can run, measured while this process
    sleeps for ``seconds``: ``os.cpu_count()`` less the cores other processes and the hypervisor kept busy, to the
    nearest whole, from 1 to ``limit`` (``limit`` where ``/proc/stat`` cannot be read); with that :class:`Load`.

    Why: an operation split over two threads waits for the slower one, and a thread that shares its core with a
    busy process waits a scheduler time slice each time it is preempted, so with one of two cores busy elsewhere
    every parallel region slows by more than 2x, the more the shorter the regions are: quick-trial rounds of
    ``time_to_presets.py`` slowed x2.2-3.3 per phase, differently per path (benchmarks/README.md, "A ratio that
    survives a noisy machine"). Threads on free cores only leave both paths their whole cores.
    """
    meter = LoadMeter()
    time.sleep(seconds)
    load = meter.read()
    return (limit, None) if load is None else (threads_left(load, limit), load)


def threads_left(load: Load, limit: int) -> int:
    """The threads :func:`free_threads` chooses for ``load``: ``os.cpu_count()`` less the cores other processes
    and the hypervisor kept busy, to the nearest whole, from 1 to ``limit``."""
    free = (os.cpu_count() or 1) - load.cores(load.others + load.steal)
    return max(1, min(limit, math.floor(free + 0.5)))
