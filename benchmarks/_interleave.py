"""Two workloads run in alternating time slices, each timed on its own clock (benchmark helper, not library).

Why: this VM's speed drifts by 1.5x over minutes (the 2048^2 matmul measured 180 and 297 GFLOP/s an hour apart,
2026-12-06) and bursts of other processes last tens of seconds, so timing one side for a minute and then the other
(A B per round) puts a drift on one side only: three rounds on a quiet machine gave ratios 1.22, 1.21, 1.80.
Here each side runs in its own thread but only one runs at a time; at every checkpoint (each ``torch.nn.Module``
forward, and each phase a :class:`~_phases.Phases` enters or leaves) a side that has run for ``slice_seconds``
hands over to the other. Each side's time is the sum of its own slices, so any load that lasts longer than a
couple of slices falls on both sides in the same proportion.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import torch


class Baton:
    """Alternates the named workloads (:meth:`run`) in time slices of about ``slice_seconds``.

    Args:
        names: the workloads, in the order they first run (two; one also works, untimed alternation).
        slice_seconds: how long a side runs before it hands over at its next checkpoint (default 0.5 s; a slice
            can run longer where no module forward or phase boundary comes, e.g. a matplotlib figure, ~2 s).

    Attributes:
        spent: name -> seconds that side has run (its own slices only; waiting for the baton is not counted).
        handovers: how many times the baton changed hands.
    """

    def __init__(self, names: list[str], slice_seconds: float = 0.5) -> None:
        self.names = list(names)
        self.slice_seconds = slice_seconds
        self.spent = {name: 0.0 for name in self.names}
        self.handovers = 0
        self._holder: str | None = self.names[0]
        self._done: set[str] = set()
        self._started = 0.0
        self._cond = threading.Condition()
        self._local = threading.local()

    def run_all(self, bodies: dict[str, Callable[[], Any]]) -> None:
        """Run each body (a workload's whole work) in its own thread under the baton; the first name's body runs
        in the calling thread (Python signal handlers can only be set there). Re-raises a body's exception."""
        errors: list[BaseException] = []

        def body_of(name: str) -> Callable[[], None]:
            def body() -> None:
                try:
                    self._run(name, bodies[name])
                except BaseException as exc:  # handed to the caller below
                    errors.append(exc)
            return body

        threads = [threading.Thread(target=body_of(name), name=f"bench-{name}") for name in self.names[1:]]
        hook = torch.nn.modules.module.register_module_forward_pre_hook(lambda module, args: self.checkpoint())
        try:
            for thread in threads:
                thread.start()
            body_of(self.names[0])()
            for thread in threads:
                thread.join()
        finally:
            hook.remove()
        if errors:
            raise errors[0]

    def _run(self, name: str, body: Callable[[], Any]) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._holder == name)
            self._local.name = name
            self._started = time.perf_counter()
        try:
            body()
        finally:
            with self._cond:
                self.spent[name] += time.perf_counter() - self._started
                self._done.add(name)
                self._holder = self._next(name)
                self._cond.notify_all()
            self._local.name = None

    def _next(self, name: str) -> str | None:
        """The next workload after ``name`` that has not finished (``name`` itself if it is the only one)."""
        i = self.names.index(name)
        for other in self.names[i + 1:] + self.names[:i + 1]:
            if other not in self._done:
                return other
        return None

    def checkpoint(self) -> None:
        """Hand the baton over if the calling side's slice is used up; return once it is this side's turn again.
        A no-op outside :meth:`run_all`'s workloads (warm-up, other threads)."""
        name = getattr(self._local, "name", None)
        if name is None:
            return
        now = time.perf_counter()
        if now - self._started < self.slice_seconds:
            return
        with self._cond:
            self.spent[name] += now - self._started
            following = self._next(name)
            if following != name:
                self.handovers += 1
                self._holder = following
                self._cond.notify_all()
                self._cond.wait_for(lambda: self._holder == name)
            self._started = time.perf_counter()

    def clock(self) -> float:
        """The calling side's own seconds so far (its finished slices plus the current one); for
        :class:`~_phases.Phases`, so a phase that waits for the baton is charged only its running time."""
        name = getattr(self._local, "name", None)
        if name is None:
            return time.perf_counter()
        return self.spent[name] + (time.perf_counter() - self._started)
