"""How long a search will decode, said before it starts (a 30 s x 64-seed run on a CPU takes days)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from objectives import DecodingParams

if TYPE_CHECKING:
    from objectives.generation import MusicGenBackend

__all__ = ["FRAME_RATE", "LONG_RUN_S", "RATE_ENV", "RunEstimate", "estimate_run", "measure_step_rate",
           "rate_from_env"]

FRAME_RATE = 50
"""MusicGen decoding steps per second of audio (EnCodec frames at 50 Hz)."""
LONG_RUN_S = 3600.0
"""Estimates from this many seconds up are shown as a warning, with what reduces them."""
RATE_ENV = "MGOPT_STEPS_PER_SECOND"
"""Environment variable: a decoding rate (steps/s of one full pass) to use instead of measuring one, e.g. to
plan a run for a slower machine; tests use it to stand for a slow device."""


@dataclass(frozen=True)
class RunEstimate:
    """The decoding time still ahead of a search (CLAP scoring and re-validation come on top).

    Attributes:
        seconds: estimated decoding time, seconds.
        trials: trials still to run.
        steps_per_second: decoding steps per second of one pass of ``rows`` clips (measured or given).
        rows: clips decoded together in one pass.
        device: where it runs (``cpu``, ``cuda:0``, ...).
        measured: the rate was measured on the loaded model (False: given).
    """

    seconds: float
    trials: int
    steps_per_second: float
    rows: int
    device: str
    measured: bool = True

    @property
    def long(self) -> bool:
        """At least :data:`LONG_RUN_S`: worth saying so before starting."""
        return self.seconds >= LONG_RUN_S

    def describe(self) -> str:
        """``about 6 h 10 min on cpu for 50 trial(s)`` (the decoding alone)."""
        return f"about {_duration_text(self.seconds)} on {self.device} for {self.trials} trial(s)"


def measure_step_rate(generator: MusicGenBackend, prompt: str, rows: int, *, steps: int = 6) -> float | None:
    """Decoding steps per second of one pass of ``rows`` clips, timed over ``steps`` steps after a first
    (warm-up) step; None when the backend reports too few steps or the pass fails (e.g. out of memory).

    Args:
        generator: the loaded backend (decoding ``rows`` clips in one pass).
        prompt: a text prompt (every row gets it).
        rows: clips decoded together, >= 1.
        steps: timed steps, >= 1.
    """
    times: list[float] = []
    try:
        generator.generate([prompt] * rows, [DecodingParams()] * rows, list(range(rows)),
                           duration=(steps + 1) / FRAME_RATE, on_step=lambda *_: times.append(time.perf_counter()))
    except (RuntimeError, ValueError, MemoryError):  # torch's out-of-memory is a RuntimeError
        return None
    if len(times) < steps + 1 or times[steps] <= times[0]:
        return None
    return steps / (times[steps] - times[0])


def estimate_run(generator: MusicGenBackend, prompts: Sequence[str], *, trials: int, clips_per_trial: int,
                 batch_trials: int, rows_per_pass: int, duration: float, device: str,
                 steps_per_second: float | None = None) -> RunEstimate | None:
    """Estimate the decoding time of ``trials`` more trials; None when none is left or no rate can be measured.

    Each pass decodes ``min(batch_trials, trials) x clips_per_trial`` clips, in sub-passes of at most
    ``rows_per_pass`` rows, for ``duration x 50`` steps each. The rate is ``steps_per_second`` when given
    (e.g. :func:`rate_from_env`), else measured on the generator: a few steps at the pass's row count.

    Args:
        generator: the loaded backend.
        prompts: the run's prompts (the first is used to measure).
        trials: trials still to run.
        clips_per_trial: prompts x replicates.
        batch_trials: trials per decoding pass, >= 1.
        rows_per_pass: most clips the generator decodes at once (its ``max_batch``).
        duration: clip length, seconds.
        device: the device, for the message.
        steps_per_second: a rate to use instead of measuring (steps/s of one pass, > 0).
    """
    if trials <= 0:
        return None
    rows_total = min(batch_trials, trials) * clips_per_trial
    rows = min(rows_total, max(1, rows_per_pass))
    rate = measure_step_rate(generator, prompts[0], rows) if steps_per_second is None else steps_per_second
    if rate is None:
        return None
    passes = math.ceil(trials / batch_trials) * math.ceil(rows_total / rows)
    seconds = passes * duration * FRAME_RATE / rate
    return RunEstimate(seconds=seconds, trials=trials, steps_per_second=rate, rows=rows, device=device,
                       measured=steps_per_second is None)


def rate_from_env() -> float | None:
    """The rate in :data:`RATE_ENV` (decoding steps per second), or None when it is unset or empty.

    Raises:
        ValueError: it is set but not a finite positive number.
    """
    text = os.environ.get(RATE_ENV, "").strip()
    if not text:
        return None
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"{RATE_ENV} must be a positive number of decoding steps per second but got {text[:40]!r}.")
    return rate


def _duration_text(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours / 24:.1f} days"
