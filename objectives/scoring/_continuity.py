"""Continuity at the seam between an audio prompt and its continuation."""

from __future__ import annotations

import librosa
import numpy as np

__all__ = ["MAX_SEAM_RATIO", "seam_continuity"]

MAX_SEAM_RATIO = 100.0
"""Cap of :func:`seam_continuity`, so a static prompt (no change within it) stays a finite number."""

_N_MFCC, _N_FFT, _HOP = 20, 2048, 512


def seam_continuity(prompt: np.ndarray, continuation: np.ndarray, sample_rate: int, *,
                    window_seconds: float = 0.5) -> float:
    """How much the sound changes across the seam, relative to how much it changes within the prompt.

    Timbre and level are summarised by the mean of 20 MFCCs (librosa, n_fft 2048, hop 512) over three
    stretches of ``window_seconds``: ``A`` the prompt's last, ``B`` the continuation's first, ``C`` the
    prompt's stretch before ``A``. The score is ``||mean(B) - mean(A)|| / ||mean(A) - mean(C)||``: the
    feature distance across the boundary over the distance between two neighbouring stretches inside the
    prompt (the prompt's own rate of change).

    * about 1: the continuation moves on from the prompt no faster than the prompt itself moves;
    * well above 1: an audible jump at the seam (new timbre, level drop, silence);
    * below 1: smoother than the prompt's own variation.

    Args:
        prompt: ``[T_p]`` float mono waveform, at least ``2 x window_seconds`` long.
        continuation: ``[T_c]`` float mono waveform, at least ``window_seconds`` long.
        sample_rate: Hz.
        window_seconds: length of each compared stretch. Default 0.5.

    Returns:
        The ratio in [0, 100] (capped at :data:`MAX_SEAM_RATIO`); 0 when nothing changes anywhere.

    Raises:
        ValueError: a waveform too short for the stretches.
    """
    w = round(window_seconds * sample_rate)
    if len(prompt) < 2 * w or len(continuation) < w:
        raise ValueError(f"seam continuity needs a prompt of at least {2 * window_seconds:g} s and a continuation of "
                         f"at least {window_seconds:g} s but got {len(prompt) / sample_rate:.2f} s and "
                         f"{len(continuation) / sample_rate:.2f} s.")

    def features(y: np.ndarray) -> np.ndarray:
        mfcc = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=sample_rate, n_mfcc=_N_MFCC,
                                    n_fft=_N_FFT, hop_length=_HOP, center=False) if len(y) >= _N_FFT else None
        if mfcc is None or mfcc.shape[1] == 0:
            raise ValueError(f"window_seconds must cover at least {_N_FFT} samples.")
        return mfcc.mean(axis=1)

    a, b, c = features(prompt[-w:]), features(continuation[:w]), features(prompt[-2 * w:-w])
    across = float(np.linalg.norm(b - a))
    within = float(np.linalg.norm(a - c))
    if across == 0.0:
        return 0.0
    return min(across / within, MAX_SEAM_RATIO) if within > 0.0 else MAX_SEAM_RATIO
