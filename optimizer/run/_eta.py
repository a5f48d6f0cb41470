"""Time left in a run, from decoding steps and scoring time rather than trial counts.

Trials finish in batches (``--batch-trials``): K trials complete within a second after minutes of decoding,
so a rate of trials per second (rich's ``TimeRemainingColumn``) swings from far too short to far too long. A
pass is decoding steps at a measured time per step, then scoring (CLAP, repetition, artifacts) at a measured
time per pass; the time left is the rest of this pass plus the passes still to run.

Until one pass's scoring was measured, the figure is a lower bound (:attr:`RunClock.bound`): while the first pass
decodes it leaves scoring out, and while that pass scores it counts the scoring time seen so far. It is shown as
"at least", never blanked. What the progress shows is a :class:`SteadyEstimate` of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["RunClock", "SteadyEstimate", "format_left", "format_seconds"]


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

    @property
    def bound(self) -> bool:
        """No pass's scoring was measured yet: :meth:`remaining` is a lower bound, not an estimate."""
        return self.after_seconds is None

    def remaining(self) -> float | None:
        """Seconds left, or None before one decoding step was measured. While :attr:`bound`, a lower bound: the
        first pass's scoring counts as the time it has taken so far (nothing while that pass decodes)."""
        if self.step_seconds is None or self.steps_total == 0:
            return None
        after = self.after_seconds if self.after_seconds is not None else 0.0
        if self._scoring_since is not None and self.after_seconds is None:
            after = self.clock() - self._scoring_since
        open_in_pass = max(0, self.batch - self.ended) if self._active else 0
        if self._scoring_since is not None:
            left_now = max(0.0, after - (self.clock() - self._scoring_since))
        elif self._active:
            left_now = (self.steps_total - self.steps_done) * self.step_seconds + after
        else:
            left_now = 0.0
        passes = math.ceil(max(0, self.target - self.done - open_in_pass) / self.batch)
        return left_now + passes * (self.steps_total * self.step_seconds + after)


class SteadyEstimate:
    """The time left as shown: a countdown that takes a new estimate only when the estimate leaves it.

    The rule ("one estimate that only improves"): between two updates at ``t0 < t1`` the shown value counts
    down with the clock, ``shown(t1) = shown(t0) - (t1 - t0)`` (never below 0), unless the new raw estimate
    lies more than ``tolerance`` (relative, default 10 %) away from that countdown; only then is the raw estimate
    shown. So a run whose passes take as long as measured shows a figure that falls one second per second and
    never goes up; noise within the tolerance does not move it; a real change (a slower pass, the first
    measured scoring) replaces it at once. Once a figure exists it is never blanked.

    Args:
        clock: seconds, monotonic (the :class:`RunClock`'s).
        tolerance: relative distance from the countdown within which a new estimate is ignored, >= 0.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, tolerance: float = 0.1) -> None:
        self.clock, self.tolerance = clock, tolerance
        self._shown: float | None = None
        self._at = 0.0

    def update(self, raw: float | None) -> float | None:
        """The value to show now, given the raw estimate ``raw`` (None: not known yet)."""
        now = self.clock()
        if self._shown is None:
            if raw is not None:
                self._shown, self._at = raw, now
            return self._shown
        countdown = max(0.0, self._shown - (now - self._at))
        if raw is not None and abs(raw - countdown) > self.tolerance * max(countdown, 1.0):
            countdown = raw
        self._shown, self._at = countdown, now
        return countdown


def format_left(seconds: float | None, *, bound: bool) -> str:
    """``about h:mm:ss left``, ``at least h:mm:ss left`` for a lower bound, or ``-:--:-- left`` when unknown."""
    if seconds is None:
        return f"{format_seconds(None)} left"
    return f"{'at least' if bound else 'about'} {format_seconds(seconds)} left"


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss``, or ``-:--:--`` when unknown."""
    if seconds is None:
        return "-:--:--"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
