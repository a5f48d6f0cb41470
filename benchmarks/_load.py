"""How much CPU other processes and the hypervisor took while a benchmark ran, so that its figure says whether
it was measured on a quiet machine, and how many threads the CPUs they leave free can run (:func:`free_threads`).

Read from Linux's ``/proc/stat`` (the ``cpuN`` lines of the CPUs this process may run on: jiffies per state,
``man 5 proc``) and this process's own CPU time (``os.times``, every thread); psutil is not a dependency and would
read the same file. Where ``/proc/stat`` is missing (not Linux) :meth:`LoadMeter.read` returns None.
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
    """CPU use over an interval on the CPUs this process may run on, in CPU-seconds and as average cores busy over
    ``seconds`` of wall time.

    ``others`` is those CPUs' busy time (user, nice, system, irq, softirq) less this process's own; ``niced`` the
    part of the busy time spent by processes at a positive nice value (they yield their CPU to a process at nice
    0); ``steal`` is time the hypervisor ran other guests while this VM's CPUs wanted to run (0 on bare metal).
    """

    seconds: float
    own: float
    others: float
    steal: float
    niced: float

    def cores(self, cpu_seconds: float) -> float:
        """``cpu_seconds`` as average cores busy over the interval (0 for an empty interval)."""
        return cpu_seconds / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        """One line, e.g. ``other processes 0.98 cores (0.00 niced), steal 0.01 cores, this process 1.93 cores``."""
        return (f"other processes {self.cores(self.others):.2f} cores ({self.cores(self.niced):.2f} niced), "
                f"steal {self.cores(self.steal):.2f} cores, this process {self.cores(self.own):.2f} cores")


@dataclass(frozen=True)
class _Sample:
    wall: float
    busy: float
    niced: float
    steal: float
    own: float


def usable_cpus() -> frozenset[int]:
    """The CPUs this process may run on (its affinity mask, e.g. under ``taskset``; every CPU where the OS keeps
    none)."""
    if hasattr(os, "sched_getaffinity"):
        return frozenset(os.sched_getaffinity(0))
    return frozenset(range(os.cpu_count() or 1))


def _sample(cpus: frozenset[int]) -> _Sample | None:
    try:
        lines = PROC_STAT.read_text().splitlines()
    except OSError:
        return None
    busy = niced = steal = seen = 0
    for line in lines:
        fields = line.split()
        if len(fields) < 9 or not fields[0].startswith("cpu") or not fields[0][3:].isdecimal():
            continue  # the summed "cpu" line and everything that is not a CPU
        if int(fields[0][3:]) in cpus:
            user, nice, system, _idle, _iowait, irq, softirq, stolen = (int(v) for v in fields[1:9])
            busy += user + nice + system + irq + softirq
            niced += nice
            steal += stolen
            seen += 1
    if not seen:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    own = os.times()
    return _Sample(wall=time.monotonic(), busy=busy / hz, niced=niced / hz, steal=steal / hz,
                   own=own.user + own.system)


class LoadMeter:
    """Started on construction; :meth:`read` gives the :class:`Load` on the CPUs this process may run on
    (:func:`usable_cpus`, the ``cpus`` attribute) since then; None where it cannot be read.

    The counters tick at ``SC_CLK_TCK`` (usually 100 Hz), so intervals under about a second are coarse.
    """

    def __init__(self) -> None:
        self.cpus = usable_cpus()
        self._start = _sample(self.cpus)

    def read(self) -> Load | None:
        end = _sample(self.cpus)
        if self._start is None or end is None:
            return None
        own = end.own - self._start.own
        others = max(0.0, end.busy - self._start.busy - own)
        return Load(seconds=end.wall - self._start.wall, own=own, others=others, steal=end.steal - self._start.steal,
                    niced=min(others, end.niced - self._start.niced))


def free_threads(limit: int, seconds: float = 2.0) -> tuple[int, Load | None]:
    """How many compute threads the CPUs that other processes leave free can run, measured while this process
    sleeps for ``seconds`` (:func:`threads_left`); ``limit`` and None where ``/proc/stat`` cannot be read.

    Why: an operation split over two threads waits for the slower one, and a thread that shares its core with a
    busy process waits a scheduler time slice each time it is preempted, so with one of two cores busy elsewhere
    every parallel region slows by more than 2x, the more the shorter the regions are: ``time_to_presets.py
    --quick`` phases slowed x2.2-3.3, by different factors on the two paths (benchmarks/README.md, "One OpenMP
    team, and threads on the cores left free"). Threads on free cores only leave both paths whole cores.
    """
    meter = LoadMeter()
    time.sleep(seconds)
    load = meter.read()
    return (limit, None) if load is None else (threads_left(load, limit, len(meter.cpus)), load)


def threads_left(load: Load, limit: int, cpus: int) -> int:
    """The threads that ``cpus`` usable CPUs hold beside ``load``: ``cpus`` less the cores other processes kept
    busy at nice 0 or below, to the nearest whole, from 1 to ``limit`` (torch's default thread count).

    Left out: niced processes (they yield their CPU to ours) and steal (idle vCPUs accrue almost none, and while a
    benchmark runs it follows the benchmark's own demand). Counted in logical CPUs: on a host with two hardware
    threads per core a one-core load leaves ``limit`` (physical cores) unchanged although one of them then shares
    its core (not measured).
    """
    free = cpus - load.cores(max(0.0, load.others - load.niced))
    return max(1, min(limit, math.floor(free + 0.5)))
