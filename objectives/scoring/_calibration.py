"""Repetition relative to a genre: how much more a clip repeats itself than real music of the genre does.

Raw :func:`~objectives.scoring.repetition_score` is high on well-made loop-based music (a 10 s electronic
excerpt that repeats a 2-bar phrase exactly scores 1.0), so minimising it pushes such genres toward chaos.
The objective is instead the excess over a reference: the ``quantile`` of raw repetition on excerpts of real
music of the genre, at the clip length. Shipped genres carry that reference in their ``[calibration]`` table
(``benchmarks/calibrate_repetition.py``); ``--reference DIR`` computes it from the user's own audio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# librosa and the repetition scorer are imported where used: genre files (which carry a calibration) are read
# by programs that never score audio.

__all__ = [
    "DEFAULT_QUANTILE",
    "MAX_REFERENCE",
    "RepetitionCalibration",
    "calibrate_repetition",
    "interior_excerpts",
    "reference_repetition",
    "repetition_excess",
]

DEFAULT_QUANTILE = 0.9
"""Quantile of raw repetition on real excerpts taken as the genre's reference (see benchmarks/README.md)."""
MAX_REFERENCE = 0.75
"""Highest reference allowed, so that a stuck loop (raw repetition >= 0.97) still scores >= 0.88 in every genre."""
SAMPLE_RATE = 32_000
"""Rate reference audio is loaded at: MusicGen's, so reference and generated clips get the same features."""
MAX_REFERENCE_EXCERPTS = 200
"""Most excerpts scored from a reference folder (about a minute of CPU at 10 s)."""


def repetition_excess(raw: float, reference: float) -> float:
    """The repetition objective: raw repetition beyond the genre's reference, rescaled to [0, 1].

    ``clip((raw - reference) / (1 - reference), 0, 1)``: 0 for a clip repeating no more than the
    ``quantile`` of real music of the genre, 1 for a clip that is a copy of itself throughout.

    Args:
        raw: :func:`~objectives.scoring.repetition_score` of the clip, in [0, 1].
        reference: the genre's reference at the clip's length, in [0, :data:`MAX_REFERENCE`].

    Raises:
        ValueError: ``reference`` outside [0, MAX_REFERENCE].
    """
    if not 0.0 <= reference <= MAX_REFERENCE:
        raise ValueError(f"reference repetition must be in [0, {MAX_REFERENCE}] but got {reference}.")
    return float(np.clip((raw - reference) / (1.0 - reference), 0.0, 1.0))


@dataclass(frozen=True, kw_only=True)
class RepetitionCalibration:
    """A genre's reference repetition, measured on real music.

    Attributes:
        durations: excerpt lengths measured, seconds, strictly increasing, each in (0, 30].
        reference: the ``quantile`` of raw repetition at each duration, each in [0, :data:`MAX_REFERENCE`]
            (raw repetition grows with the excerpt length, as a longer excerpt holds more phrase repeats).
        quantile: which quantile, in (0, 1).
        source: what music and which command produced the values (for anyone repeating the run).
    """

    durations: tuple[float, ...]
    reference: tuple[float, ...]
    quantile: float = DEFAULT_QUANTILE
    source: str = ""

    def __post_init__(self) -> None:
        if not self.durations or len(self.durations) != len(self.reference):
            raise ValueError("durations and repetition must be non-empty lists of the same length.")
        if any(not 0.0 < d <= 30.0 for d in self.durations) or list(self.durations) != sorted(set(self.durations)):
            raise ValueError(f"durations must be strictly increasing seconds in (0, 30] but got "
                             f"{list(self.durations)}.")
        if any(not 0.0 <= r <= MAX_REFERENCE for r in self.reference):
            raise ValueError(f"repetition values must be in [0, {MAX_REFERENCE}] (a higher reference would let a "
                             f"stuck loop pass) but got {list(self.reference)}.")
        if not 0.0 < self.quantile < 1.0:
            raise ValueError(f"quantile must be in (0, 1) but got {self.quantile}.")

    def reference_at(self, duration: float) -> float:
        """The reference for clips of ``duration`` seconds: linear between measured lengths, the nearest
        measured value outside them."""
        return float(np.interp(duration, self.durations, self.reference))

    def to_dict(self) -> dict[str, Any]:
        """The genre file's ``[calibration]`` table."""
        return {"source": self.source, "quantile": self.quantile, "durations": list(self.durations),
                "repetition": list(self.reference)}

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> RepetitionCalibration:
        """Parse a ``[calibration]`` table (keys ``source``, ``quantile``, ``durations``, ``repetition``).

        Raises:
            ValueError: an unknown or missing key (``source`` may not be empty; ``quantile`` defaults to
                :data:`DEFAULT_QUANTILE`), or a value of the wrong type or range.
        """
        unknown = set(table) - {"source", "quantile", "durations", "repetition"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r} (known: source, quantile, durations, repetition).")
        if not isinstance(table.get("source", ""), str):
            raise ValueError("source must be a string.")
        numbers = []
        for key in ("durations", "repetition"):
            value = table.get(key)
            if not isinstance(value, list) or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                                      for v in value):
                raise ValueError(f"{key} must be a list of numbers.")
            numbers.append(tuple(float(v) for v in value))
        quantile = table.get("quantile", DEFAULT_QUANTILE)
        if not isinstance(quantile, int | float) or isinstance(quantile, bool):
            raise ValueError("quantile must be a number.")
        calibration = cls(durations=numbers[0], reference=numbers[1], quantile=float(quantile),
                          source=table.get("source", ""))
        if not calibration.source.strip():
            raise ValueError("missing key 'source': say where the numbers come from (the benchmark command and the "
                             "music it measured), as the shipped genre files do.")
        return calibration


def calibrate_repetition(scores: Mapping[float, Sequence[float]], *, quantile: float = DEFAULT_QUANTILE,
                         source: str = "") -> RepetitionCalibration:
    """A calibration from raw repetition scores of real excerpts, per excerpt length.

    Args:
        scores: ``{duration in seconds: raw repetition of each excerpt of that length}``.
        quantile: the quantile taken, in (0, 1).
        source: where the excerpts came from.

    Raises:
        ValueError: a duration with no scores, or a bad quantile.
    """
    durations = sorted(scores)
    if any(len(scores[d]) == 0 for d in durations):
        raise ValueError("every duration needs at least one score.")
    reference = tuple(min(MAX_REFERENCE, round(float(np.quantile(scores[d], quantile)), 4)) for d in durations)
    return RepetitionCalibration(durations=tuple(float(d) for d in durations), reference=reference,
                                 quantile=quantile, source=source)


def interior_excerpts(audio: np.ndarray, sample_rate: int, seconds: float, count: int) -> list[np.ndarray]:
    """Up to ``count`` evenly spaced excerpts from inside a track (between 10 % and 90 % of its length, so
    intros and endings are left out), skipping near-silent ones (RMS < -60 dBFS).

    Args:
        audio: ``[T]`` mono waveform.
        sample_rate: Hz.
        seconds: excerpt length, > 0.
        count: most excerpts, >= 1.
    """
    size = round(seconds * sample_rate)
    first, last = round(0.1 * len(audio)), round(0.9 * len(audio)) - size
    if last < first:
        return []
    starts = np.unique(np.linspace(first, last, count).round().astype(int))
    clips = [audio[s:s + size] for s in starts]
    return [c for c in clips if np.sqrt(np.mean(np.square(c, dtype=np.float64))) > 1e-3]


def reference_repetition(files: Sequence[Path], duration: float, *, quantile: float = DEFAULT_QUANTILE,
                         per_file: int = 4, config: Any = None) -> float:
    """The reference repetition of the user's own audio (``--reference DIR``) at one clip length.

    Every file is loaded at 32 kHz mono, as generated clips are scored; up to ``per_file`` interior excerpts
    of ``duration`` seconds each (:func:`interior_excerpts`; the middle of a file too short for that) are
    scored, at most :data:`MAX_REFERENCE_EXCERPTS` in all (files and excerpts thinned evenly).

    Args:
        files: audio files.
        duration: clip length, seconds.
        quantile: the quantile taken, in (0, 1).
        per_file: most excerpts per file.
        config: :class:`~objectives.scoring.RepetitionConfig` (the study's); default its defaults.

    Returns:
        The quantile, capped at :data:`MAX_REFERENCE`.

    Raises:
        ValueError: an unreadable file, or no excerpt of ``duration`` seconds in any file.
    """
    from objectives._audio_input import read_audio
    from objectives.scoring._repetition import repetition_score

    most_files = max(1, MAX_REFERENCE_EXCERPTS // per_file)
    if len(files) > most_files:  # a large folder is thinned evenly before anything is decoded
        files = [files[i] for i in np.linspace(0, len(files) - 1, most_files).round().astype(int)]
    clips: list[np.ndarray] = []
    for path in files:
        wave = read_audio(path, SAMPLE_RATE, mono=True, what="reference audio")  # the one audio validator
        inside = interior_excerpts(wave, SAMPLE_RATE, duration, per_file)
        size = round(duration * SAMPLE_RATE)
        if not inside and len(wave) >= size:  # too short to leave intro and ending out: its middle
            inside = [wave[(len(wave) - size) // 2:][:size]]
        clips.extend(inside)
    if not clips:
        raise ValueError(f"no reference file is at least {duration:g} s long (the clip length).")
    if len(clips) > MAX_REFERENCE_EXCERPTS:
        clips = [clips[i] for i in np.linspace(0, len(clips) - 1, MAX_REFERENCE_EXCERPTS).round().astype(int)]
    scores = [repetition_score(c, SAMPLE_RATE, config) for c in clips]
    return calibrate_repetition({duration: scores}, quantile=quantile).reference[0]
