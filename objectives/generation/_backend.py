"""What every MusicGen backend returns and promises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from objectives._params import DecodingParams

__all__ = ["GeneratedAudio", "MusicGenBackend", "StepCallback"]

StepCallback = Callable[[int, int], None]
"""Called after each decoding step with ``(steps_done, steps_total)``."""


@dataclass(frozen=True)
class GeneratedAudio:
    """A batch of generated clips.

    Attributes:
        audio: ``[N, T]`` float32 mono waveforms in [-1, 1] at ``sample_rate``.
        sample_rate: Hz (32 000 for MusicGen).
        codes: ``[N, K, F]`` int64 EnCodec tokens (K codebooks, F frames at the codec's frame rate), or
            ``None`` where the backend does not expose them.
        channels: ``[N, C, T]`` float32 per-channel waveforms of a stereo model (C = 2; ``audio`` is then their
            mean, the mono mix), or ``None`` for a mono model.
        prompt_audio: for a continuation, per clip the decoded audio prompt ``[T_p]`` (mono mix) that precedes
            ``audio`` (which holds the continuation only); ``None`` otherwise.
    """

    audio: np.ndarray
    sample_rate: int
    codes: np.ndarray | None
    channels: np.ndarray | None = None
    prompt_audio: tuple[np.ndarray, ...] | None = None


class MusicGenBackend(Protocol):
    """A MusicGen model that decodes rows, each with its own prompt, decoding parameters and seed."""

    name: str
    """The model name as the user gave it (hub id, local directory or ``debug``)."""
    backend: str
    """The library that decodes: ``transformers`` or ``audiocraft`` (what a study and a preset record)."""
    sample_rate: int
    """Output sample rate in Hz."""
    max_batch: int
    """Most rows decoded in one pass (>= 1); longer requests are split into passes. Callers may set it to hold a
    whole batch of trials (``optimize`` sizes it to ``--batch-size`` or every clip of a batch); a backend that
    decodes row by row keeps it and ignores it."""

    def row_bytes(self, duration: float) -> int | None:
        """Estimated device memory one row needs while decoding ``duration`` seconds, in bytes (weights not
        included), or None where the backend does not batch rows and cannot tell."""
        ...

    def generate(
        self,
        prompts: Sequence[str],
        params: Sequence[DecodingParams],
        seeds: Sequence[int],
        *,
        duration: float,
        on_step: StepCallback | None = None,
        audio_prompts: Sequence[np.ndarray] | None = None,
        melodies: Sequence[np.ndarray] | None = None,
    ) -> GeneratedAudio:
        """Generate ``len(prompts)`` clips of ``duration`` seconds; row i uses ``params[i]`` and ``seeds[i]``, and
        continues ``audio_prompts[i]`` or follows ``melodies[i]`` where given (a backend without that
        conditioning raises ``ValueError``)."""
        ...
