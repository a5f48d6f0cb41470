"""Repetition: how much of a clip is a near-exact copy of another part of itself (a stuck loop)."""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import fftconvolve

__all__ = ["RepetitionConfig", "repetition_score", "token_repetition"]


@dataclass(frozen=True, kw_only=True)
class RepetitionConfig:
    """Constants of :func:`repetition_score`, chosen on real soundtrack music (``benchmarks/validate_scores.py``;
    the measured trade-offs are in ``benchmarks/README.md``) and checked on synthetic loops in ``tests/objectives``.

    Attributes:
        hop_seconds: feature hop, seconds. Default 0.032.
        segment_seconds: length of the segments compared, seconds; one-frame matches (a recurring drum
            hit) are not repetition, a whole segment recurring is. Default 1.5 (0.75 let a recurring beat with
            similar harmony count: real ambient and orchestral excerpts scored 0.1-0.3).
        min_lag_seconds: lags shorter than this are ignored (the near diagonal: a sustained note is
            similar to itself a few frames later). Default 0.4.
        max_lag_seconds: lags longer than this are ignored, or None for all: a stuck MusicGen loop repeats
            within a bar or two (0.5-2 s), while exact repeats of 2- and 4-bar phrases (4-8 s) are how loop-based
            genres are made and scored 1.0 on well-made electronic tracks. Default 3.0; a loop longer than that
            is not detected.
        low, high: segment similarity at or below ``low`` counts 0, at or above ``high`` counts 1, linear
            between. Defaults 0.7 and 0.9 (from 0.5, ordinary phrase similarity counted).
    """

    hop_seconds: float = 0.032
    segment_seconds: float = 1.5
    min_lag_seconds: float = 0.4
    max_lag_seconds: float | None = 3.0
    low: float = 0.7
    high: float = 0.9


def _features(audio: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """``[F, D]`` frames of chroma (timbre-free harmony) and MFCC 1-19 (timbre), each dimension
    z-scored over the clip so only change over time counts (raw chroma/mel frames are all alike, which
    is why the mean off-diagonal mel cosine saturates near 0.99), then L2-normalised."""
    n_fft = 4 * hop
    chroma = librosa.feature.chroma_stft(y=audio, sr=sample_rate, n_fft=n_fft, hop_length=hop, tuning=0.0)
    mfcc = librosa.feature.mfcc(y=audio, sr=sample_rate, n_mfcc=20, n_fft=n_fft, hop_length=hop)[1:]
    feats = np.concatenate([chroma, mfcc]).T.astype(np.float64)
    feats = (feats - feats.mean(axis=0)) / (feats.std(axis=0) + 1e-8)
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    return feats / np.maximum(norms, 1e-8)


def repetition_score(audio: np.ndarray, sample_rate: int, config: RepetitionConfig | None = None) -> float:
    """Share of a clip's time that repeats another segment of the same clip near-exactly, in [0, 1].

    1. Frames of mean-centred, standardised chroma + MFCC (see ``_features``) and their cosine
       self-similarity matrix ``S[i, j]``.
    2. Segment similarity: ``S`` averaged along each diagonal over ``segment_seconds``, so a match must
       hold for a whole segment, not one frame. A stuck loop makes a long diagonal near 1; a steady beat
       under changing harmony and melody makes short, partial matches only.
    3. Diagonals closer than ``min_lag_seconds`` to the main one, or farther than ``max_lag_seconds``, are
       ignored.
    4. Each segment's best match elsewhere is mapped to [0, 1] by a ramp between ``low`` and ``high``;
       every frame takes the best value of the segments covering it; the score is the mean over frames.

    So a clip looped from its first bar scores near 1, and music that never repeats a whole segment within
    ``max_lag_seconds`` near 0. A looped share counts its source too: the last third of a clip replaced by
    the preceding 1 s repeated scores about 0.45.

    Args:
        audio: ``[T]`` float32 mono waveform.
        sample_rate: Hz.
        config: constants; defaults to :class:`RepetitionConfig()`.

    Returns:
        The repetition share; 0.0 for silent clips and clips shorter than one segment plus the minimum lag
        (1.9 s by default).
    """
    cfg = config or RepetitionConfig()
    hop = max(1, round(cfg.hop_seconds * sample_rate))
    seg = max(1, round(cfg.segment_seconds / cfg.hop_seconds))
    min_lag = max(1, round(cfg.min_lag_seconds / cfg.hop_seconds))
    if not np.any(audio) or len(audio) // hop < seg + min_lag + 1:
        return 0.0
    feats = _features(np.asarray(audio, dtype=np.float32), sample_rate, hop)
    frames = feats.shape[0]
    sim = feats @ feats.T
    # Mean over `seg` consecutive frames along each diagonal: smoothed[i, j] = mean_k sim[i + k, j + k].
    smoothed = fftconvolve(sim, np.eye(seg) / seg, mode="valid")
    n = smoothed.shape[0]
    lag = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    smoothed[lag < min_lag] = -1.0
    if cfg.max_lag_seconds is not None:
        smoothed[lag > round(cfg.max_lag_seconds / cfg.hop_seconds)] = -1.0
    best = smoothed.max(axis=1)
    match = np.clip((best - cfg.low) / (cfg.high - cfg.low), 0.0, 1.0)
    # Frame t is covered by segments starting in [t - seg + 1, t].
    padded = np.concatenate([match, np.zeros(seg - 1)])
    coverage = maximum_filter1d(padded, size=seg, origin=(seg - 1) // 2, mode="constant")
    return float(coverage[:frames].mean())


def token_repetition(codes: np.ndarray, *, n: int = 10) -> float:
    """Share of repeated n-grams in the first codebook's token stream, in [0, 1].

    ``1 - distinct / total`` over the n-grams (n frames = ``n / 50`` seconds for MusicGen) of codebook 0,
    whose tokens carry the coarse content; a token-level loop repeats exactly.

    Args:
        codes: ``[K, F]`` EnCodec tokens of one clip.
        n: n-gram length in frames. Default 10 (0.2 s at 50 Hz).
    """
    stream = np.asarray(codes)[0]
    total = len(stream) - n + 1
    if total <= 1:
        return 0.0
    grams = np.lib.stride_tricks.sliding_window_view(stream, n)
    distinct = len(np.unique(grams, axis=0))
    return float(1.0 - distinct / total)
