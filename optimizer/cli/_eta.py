"""Time left in a run, from decoding steps and scoring time rather than trial counts.

Trials finish in batches (``--batch-trials``): K trials complete within a second after minutes of decoding,
so a rate of trials per second (rich's ``TimeRemainingColumn``) swings from far too short to far too long. A
pass is decoding steps at a measured time per step, then scoring (CLAP, repetition, artifacts) at a measured
time per pass; the time left is the rest of this pass plus the passes still to run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["RunClock", "format_seconds"]


class RunClock:
    """Measures a run's passes and says how long the rest will take.

    Args:
        target: trials the run must complete, >= 1.
        done: trials complete at the start.
        clock: seconds, monotonic (``time.monotonic``; a fake in tests).
    """

    def __init__(self, *, target: int, done: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.target, self.done, self.clock = target, done, clock
        self.batch = 1
        self.steps_total = self.steps_done = self.ended = 0
        self.step_seconds: float | None = None  # per decoding step, of the pass decoding now or last
        self.after_seconds: float | None = None  # scoring and recording of a pass, last step to last trial told
        self._pass_started = self._last_step = clock()
        self._scoring_since: float | None = None
        self._after_measured: float | None = None
        self._active = False

    def start(self, trials: int) -> None:
        """A pass of ``trials`` trials begins."""
        if self._after_measured is not None:  # the last pass had failures: its scoring time still counts
            self.after_seconds = self._after_measured
        self.batch = max(1, trials)
        self.steps_done, self.ended = 0, 0
        self._pass_started = self._last_step = self.clock()
        self._scoring_since = self._after_measured = None
        self._active = True

    def step(self, n: int, total: int) -> None:
        """Decoding step ``n`` of ``total`` of this pass is done."""
        now = self.clock()
        self.steps_done, self.steps_total = n, total
        if n > 0:
            self.step_seconds = (now - self._pass_started) / n
        self._last_step = now
        if n >= total:
            self._scoring_since = now

    @property
    def scoring(self) -> bool:
        """Decoding of this pass is over and its trials are being scored and recorded."""
        return self._scoring_since is not None

    def trial_end(self) -> None:
        """A trial of this pass was told; the pass's scoring time runs to its last trial."""
        self.done += 1
        self.ended += 1
        if self._scoring_since is not None:
            self._after_measured = self.clock() - self._scoring_since
            if self.ended >= self.batch:
                self.after_seconds, self._after_measured = self._after_measured, None
                self._scoring_since = None
                self._active = False

    def remaining(self) -> float | None:
        """Seconds left, or None before one decoding step was measured and while the first pass is scoring (its
        time is not known yet; while the first pass decodes, the figure leaves scoring out)."""
        if self.step_seconds is None or self.steps_total == 0:
            return None
        if self._scoring_since is not None and self.after_seconds is None:
            return None
        after = self.after_seconds if self.after_seconds is not None else 0.0
        open_in_pass = max(0, self.batch - self.ended) if self._active else 0
        if self._scoring_since is not None:
            left_now = max(0.0, after - (self.clock() - self._scoring_since))
        elif self._active:
            left_now = (self.steps_total - self.steps_done) * self.step_seconds + after
        else:
            left_now = 0.0
        passes = math.ceil(max(0, self.target - self.done - open_in_pass) / self.batch)
        return left_now + passes * (self.steps_total * self.step_seconds + after)


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss``, or ``-:--:--`` when unknown."""
    if seconds is None:
        return "-:--:--"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
