"""Exclusive wall time per phase, by wrapping the callables a run goes through (benchmark helper, not library)."""

from __future__ import annotations

import contextvars
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Phases:
    """Accumulates each phase's exclusive wall time: a phase nested in another (the text encoder inside a
    ``generate`` call, storage writes inside an artifact upload) is counted in the inner phase only.

    Attributes:
        seconds: phase name -> exclusive seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock  # seconds; a side's own clock under _interleave.Baton
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []  # [start, seconds spent in children]
        self._undo: list[Callable[[], None]] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the body as ``name`` (exclusive of phases entered inside it)."""
        frame = [self.clock(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            elapsed = self.clock() - frame[0]
            self.seconds[name] += elapsed - frame[1]
            if self._stack:
                self._stack[-1][1] += elapsed

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        """Replace ``owner.attribute`` (a function of a module or a method of an object) by a timed version;
        :meth:`restore` puts the original back."""
        original = getattr(owner, attribute)
        had_own = isinstance(owner, type) or attribute in getattr(owner, "__dict__", {})

        @functools.wraps(original)
        def timed(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
        self._undo.append((lambda: setattr(owner, attribute, original)) if had_own
                          else (lambda: delattr(owner, attribute)))

    def wrap_public_methods(self, owner: Any, name: str) -> None:
        """Time every public method of an object (an Optuna storage) as ``name``."""
        for attribute in dir(owner):
            if not attribute.startswith("_") and callable(getattr(owner, attribute, None)):
                self.wrap(owner, attribute, name)

    def restore(self) -> None:
        """Undo every :meth:`wrap`, last first."""
        while self._undo:
            self._undo.pop()()

    def shares(self, total: float) -> dict[str, float]:
        """Each phase's share of ``total`` seconds, plus ``other`` for the rest (never below 0)."""
        out = {name: seconds / total for name, seconds in self.seconds.items()}
        out["other (optimizer, Python)"] = max(0.0, 1.0 - sum(out.values()))
        return out


class Routed(Phases):
    """Phases whose wrappers charge the calling workload's own :class:`Phases` (:meth:`bind`; a context variable,
    so each thread and each greenlet of :class:`_interleave.Baton` has its own), so two interleaved workloads share
    one set of wrappers; entering or leaving a phase is a checkpoint where a workload may hand over
    (``checkpoint``)."""

    def __init__(self, checkpoint: Callable[[], None]) -> None:
        super().__init__()
        self._checkpoint = checkpoint
        self._bound: contextvars.ContextVar[Phases | None] = contextvars.ContextVar("routed_phases", default=None)

    def bind(self, phases: Phases) -> None:
        """Charge the calling workload's phases to ``phases`` from now on."""
        self._bound.set(phases)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        target = self._bound.get()
        if target is None:  # no workload bound (warm-up): untimed
            yield
            return
        self._checkpoint()
        try:
            with target.phase(name):
                yield
        finally:
            self._checkpoint()
