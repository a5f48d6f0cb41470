"""Degeneracy checks: silence, noise and clipping, as constraint values (<= 0 means acceptable).

Calibrated on real soundtrack music (``benchmarks/validate_scores.py``, numbers in ``benchmarks/README.md``):
none of the three may rule out an excerpt from inside a real track.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import librosa
import numpy as np

__all__ = ["DegeneracyReport", "DegeneracyThresholds", "degeneracy", "hard_clipped_share"]

_FRAME, _HOP = 2048, 512


@dataclass(frozen=True, kw_only=True)
class DegeneracyThresholds:
    """Limits beyond which a clip is degenerate.

    Attributes:
        silence_db: a frame quieter than this RMS level (dBFS) is silent whatever the clip does: the
            floor below which nothing is audible at a normal listening level. Default -70.
        silence_relative_db: a frame more than this many dB below the clip's loudest frame is silent too, so
            a quiet but musical clip is not silent while a burst followed by near-silence is. Default 50.
        max_silence_ratio: most share of silent frames. Default 0.5 (a fade-out of a few seconds in a 10 s
            clip stays well under it).
        max_flatness: most median spectral flatness (Wiener entropy, 0 = pure tone, 1 = white noise) of
            the non-silent frames; white noise measures about 0.5-0.6 with librosa's defaults, real music at
            most 0.17. Default 0.35.
        clip_level: a sample at or beyond this magnitude is at full scale. Default 0.99.
        min_clip_run: consecutive full-scale samples that make a hard clip; a lossy codec's isolated
            overshoot of a loud master reaches full scale for one or two samples. Default 3.
        max_clipping_ratio: most share of samples inside hard-clip runs. Default 0.003: on real soundtrack
            excerpts it flags only a master with 8.7 ms plateaus at full scale (clipped at mastering) and catches
            95 % of excerpts peak-normalised, raised 6 dB and clipped; 0.001 also flags a loud pop master, 0.01
            catches 76 % (``benchmarks/README.md``).
    """

    silence_db: float = -70.0
    silence_relative_db: float = 50.0
    max_silence_ratio: float = 0.5
    max_flatness: float = 0.35
    clip_level: float = 0.99
    min_clip_run: int = 3
    max_clipping_ratio: float = 0.003


@dataclass(frozen=True)
class DegeneracyReport:
    """Measurements of one clip; ``violations`` turns them into constraint values.

    Attributes:
        silence_ratio: share of frames that are silent (absolute floor or far below the loudest frame), [0, 1].
        flatness: median spectral flatness of the non-silent frames, [0, 1].
        clipping_ratio: share of samples inside runs of ``min_clip_run`` or more full-scale samples, [0, 1].
    """

    silence_ratio: float
    flatness: float
    clipping_ratio: float

    def violations(self, limits: DegeneracyThresholds) -> dict[str, float]:
        """``{"silence", "noise", "clipping"}`` -> measurement minus limit; > 0 means degenerate."""
        return {
            "silence": self.silence_ratio - limits.max_silence_ratio,
            "noise": self.flatness - limits.max_flatness,
            "clipping": self.clipping_ratio - limits.max_clipping_ratio,
        }

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def hard_clipped_share(audio: np.ndarray, *, level: float = 0.99, min_run: int = 3) -> float:
    """Share of samples inside runs of at least ``min_run`` consecutive samples with ``|x| >= level``.

    A hard clip holds the waveform at full scale for many samples; a lossy decoder's overshoot of a loudly
    mastered track pokes past 1.0 for a sample or two between normal samples, which is not counted.

    Args:
        audio: ``[T]`` waveform, float, full scale 1.0 (values beyond it count as full scale).
        level: full-scale threshold, in (0, 1].
        min_run: shortest run that counts, >= 1.

    Returns:
        The share in [0, 1]; 0.0 for an empty clip.
    """
    hot = np.abs(np.asarray(audio)) >= level
    if not hot.any():
        return 0.0
    edges = np.diff(np.concatenate([[0], hot.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = ends - starts
    return float(runs[runs >= min_run].sum() / hot.size)


def degeneracy(audio: np.ndarray, sample_rate: int, limits: DegeneracyThresholds | None = None) -> DegeneracyReport:
    """Measure silence, noisiness and clipping of one clip, as decoded (neither normalised nor limited).

    Args:
        audio: ``[T]`` float32 mono waveform; values beyond ±1 are full scale (what a 16-bit file would hold).
        sample_rate: Hz (frames are 2048 samples, hop 512).
        limits: thresholds (the silence levels and the clip level/run are used here). Default
            :class:`DegeneracyThresholds()`.

    Returns:
        The report; an all-silent clip has flatness 0 and silence ratio 1.
    """
    limits = limits or DegeneracyThresholds()
    y = np.asarray(audio, dtype=np.float32)
    clipping_ratio = hard_clipped_share(y, level=limits.clip_level, min_run=limits.min_clip_run) if y.size else 0.0
    rms = librosa.feature.rms(y=y, frame_length=_FRAME, hop_length=_HOP)[0]
    if not rms.size:
        return DegeneracyReport(silence_ratio=1.0, flatness=0.0, clipping_ratio=clipping_ratio)
    level_db = 20.0 * np.log10(np.maximum(rms, 1e-12))
    silent = level_db < max(limits.silence_db, float(level_db.max()) - limits.silence_relative_db)
    silence_ratio = float(np.mean(silent))
    if silent.all():
        return DegeneracyReport(silence_ratio=silence_ratio, flatness=0.0, clipping_ratio=clipping_ratio)
    flat = librosa.feature.spectral_flatness(y=y, n_fft=_FRAME, hop_length=_HOP)[0]
    n = min(len(flat), len(silent))
    flatness = float(np.median(flat[:n][~silent[:n]]))
    return DegeneracyReport(silence_ratio=silence_ratio, flatness=flatness, clipping_ratio=clipping_ratio)
