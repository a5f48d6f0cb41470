"""Degeneracy checks: silence, noise and clipping, as constraint values (<= 0 means acceptable)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import librosa
import numpy as np

__all__ = ["DegeneracyReport", "DegeneracyThresholds", "degeneracy"]


@dataclass(frozen=True, kw_only=True)
class DegeneracyThresholds:
    """Limits beyond which a clip is degenerate.

    Attributes:
        silence_db: a frame quieter than this RMS level (dBFS) is silent. Default -60.
        max_silence_ratio: most share of silent frames. Default 0.5.
        max_flatness: most median spectral flatness (Wiener entropy, 0 = pure tone, 1 = white noise) of
            the non-silent frames; white noise measures about 0.5-0.6 with librosa's defaults, music
            well under 0.2. Default 0.35.
        max_clipping_ratio: most share of samples at or beyond full scale (|x| >= 0.999). Default 0.001.
    """

    silence_db: float = -60.0
    max_silence_ratio: float = 0.5
    max_flatness: float = 0.35
    max_clipping_ratio: float = 0.001


@dataclass(frozen=True)
class DegeneracyReport:
    """Measurements of one clip; ``violations`` turns them into constraint values."""

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


def degeneracy(audio: np.ndarray, sample_rate: int, limits: DegeneracyThresholds | None = None) -> DegeneracyReport:
    """Measure silence, noisiness and clipping of one clip.

    Args:
        audio: ``[T]`` float32 mono waveform (unclipped: values beyond ±1 count as clipped).
        sample_rate: Hz (frames are 2048 samples, hop 512).
        limits: thresholds (only ``silence_db`` is used here). Default :class:`DegeneracyThresholds()`.

    Returns:
        The report; an all-silent clip has flatness 0 and silence ratio 1.
    """
    limits = limits or DegeneracyThresholds()
    y = np.asarray(audio, dtype=np.float32)
    clipping_ratio = float(np.mean(np.abs(y) >= 0.999)) if y.size else 0.0
    rms = librosa.feature.rms(y=y, frame_length=2048, hop_length=512)[0]
    silent = rms < 10.0 ** (limits.silence_db / 20.0)
    silence_ratio = float(np.mean(silent)) if rms.size else 1.0
    if silent.all():
        return DegeneracyReport(silence_ratio=silence_ratio, flatness=0.0, clipping_ratio=clipping_ratio)
    flat = librosa.feature.spectral_flatness(y=y, n_fft=2048, hop_length=512)[0]
    n = min(len(flat), len(silent))
    flatness = float(np.median(flat[:n][~silent[:n]]))
    return DegeneracyReport(silence_ratio=silence_ratio, flatness=flatness, clipping_ratio=clipping_ratio)
