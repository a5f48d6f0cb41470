"""Two workloads run in alternating time slices, each timed on its own clock (benchmark helper, not library).

Why: this VM's speed drifts by 1.5x over minutes (the 2048^2 matmul measured 180 and 297 GFLOP/s an hour apart,
2026-12-06) and bursts of other processes last tens of seconds, so timing one side for a minute and then the other
(A B per round) puts a drift on one side only: three rounds on a quiet machine gave ratios 1.22, 1.21, 1.80.
Here each side runs in its own greenlet of the calling thread, one at a time; at every checkpoint (each
``torch.nn.Module`` forward, and each phase a :class:`~_phases.Phases` enters or leaves) a side that has run for
``slice_seconds`` hands over to the other. Each side's time is the sum of its own slices, so any load that lasts
longer than a couple of slices falls on both sides in the same proportion.

Why greenlets and not threads (the method until 2026-12-07): OpenMP keeps one team of worker threads per thread
that starts a parallel region, and libgomp spins only briefly before sleeping once it manages more threads than
there are CPUs. A second side in its own thread is a second team, so every product of the side that runs waited
for a sleeping worker: ``python benchmarks/openmp_team.py --rounds 4`` (the ``--quick`` trial's 48-clip pass, 2
threads) measured 6.62-6.94 s alone against 7.94-8.15 s beside an idle second team, 1.20x (benchmarks/README.md,
"One OpenMP team"). In one thread both sides share the team a real run has.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

import greenlet
import torch

_SIDE: contextvars.ContextVar[str | None] = contextvars.ContextVar("baton_side", default=None)
"""The workload the running greenlet belongs to (each greenlet has its own context), None outside them."""


class Baton:
    """Alternates the named workloads (:meth:`run_all`) in time slices of about ``slice_seconds``.

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
        self._greenlets: dict[str, greenlet.greenlet] = {}

    def run_all(self, bodies: dict[str, Callable[[], Any]]) -> None:
        """Run each body (a workload's whole work) in its own greenlet of the calling thread under the baton,
        inside ``torch.inference_mode`` (torch keeps that state per thread, so the sides share it; each side's own
        ``inference_mode`` blocks then leave it as they found it, and the thread leaves as it came in). Re-raises a
        body's exception once every side has finished; ``KeyboardInterrupt`` or ``SystemExit`` in one side ends the
        others at once (their ``finally`` blocks run) and is the one re-raised.

        Raises:
            ValueError: ``bodies`` does not name exactly this baton's workloads.
        """
        if set(bodies) != set(self.names):
            raise ValueError(f"bodies must name exactly {self.names} but name {sorted(bodies)}")
        errors: list[BaseException] = []

        def body_of(name: str) -> Callable[[], None]:
            def body() -> None:
                _SIDE.set(name)
                try:
                    self._run(name, bodies[name])
                except greenlet.GreenletExit:
                    pass
                except BaseException as exc:  # handed to the caller below
                    errors.append(exc)
            return body

        def stopping() -> list[BaseException]:
            return [e for e in errors if not isinstance(e, Exception)]

        self._greenlets = {name: greenlet.greenlet(body_of(name)) for name in self.names}
        hook = torch.nn.modules.module.register_module_forward_pre_hook(lambda module, args: self.checkpoint())
        try:
            with torch.inference_mode():
                try:
                    while self._holder is not None and not stopping():
                        self._greenlets[self._holder].switch()  # returns when that side finishes
                finally:
                    for side in self._greenlets.values():
                        if side and not side.dead:  # started and suspended: unwind it inside the outer mode
                            side.throw()
        finally:
            hook.remove()
        if errors:
            raise (stopping() or errors)[0]

    def _run(self, name: str, body: Callable[[], Any]) -> None:
        self._started = time.perf_counter()
        try:
            body()
        finally:
            self.spent[name] += time.perf_counter() - self._started
            self._done.add(name)
            self._holder = self._next(name)

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
        name = _SIDE.get()
        if name is None or name not in self._greenlets:
            return
        now = time.perf_counter()
        if now - self._started < self.slice_seconds:
            return
        self.spent[name] += now - self._started
        following = self._next(name)
        if following != name and following is not None:
            self.handovers += 1
            self._holder = following
            self._greenlets[following].switch()  # back here when the baton returns to this side
        self._started = time.perf_counter()

    def clock(self) -> float:
        """The calling side's own seconds so far (its finished slices plus the current one); for
        :class:`~_phases.Phases`, so a phase that waits for the baton is charged only its running time."""
        name = _SIDE.get()
        if name is None or name not in self.spent:
            return time.perf_counter()
        return self.spent[name] + (time.perf_counter() - self._started)
