"""Scores of multichannel clips: the stereo image and degeneracy over every channel."""

from __future__ import annotations

import numpy as np

from objectives.scoring._degeneracy import DegeneracyReport, DegeneracyThresholds, degeneracy

__all__ = ["MAX_SIDE_MID_RATIO", "channel_degeneracy", "mono_mix", "side_mid_ratio"]

MAX_SIDE_MID_RATIO = 100.0
"""Cap of :func:`side_mid_ratio` (+20 dB of side over mid), so a phase-inverted pair stays a finite number."""


def mono_mix(channels: np.ndarray) -> np.ndarray:
    """The mono downmix ``mean over channels`` of ``[N, C, T]`` clips, ``[N, T]`` (what CLAP hears)."""
    return np.asarray(channels, dtype=np.float32).mean(axis=1)


def side_mid_ratio(channels: np.ndarray) -> float:
    """Side-to-mid energy ratio of a stereo clip: how wide, collapsed or phase-broken its image is.

    With mid ``M = (L + R) / 2`` and side ``S = (L - R) / 2`` (the mid/side decomposition that M/S
    meters and encoders use): ``ratio = sum(S^2) / sum(M^2)``, summed over the whole clip.

    * 0: both channels identical (a collapsed, effectively mono output);
    * about 0.1-0.5: a usual mix (centre-heavy, with width); 1: uncorrelated channels of equal level;
    * above 1: more energy in the difference than in the sum: channels largely out of phase (a phase-broken
      output that vanishes when summed to mono). Capped at :data:`MAX_SIDE_MID_RATIO`.

    Args:
        channels: ``[2, T]`` float waveform (left, right).

    Returns:
        The ratio in [0, 100]; 0 for a silent clip.

    Raises:
        ValueError: not two channels.
    """
    x = np.asarray(channels, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ValueError(f"side_mid_ratio needs [2, T] stereo audio but got shape {x.shape}.")
    mid = float(np.sum(((x[0] + x[1]) / 2.0) ** 2))
    side = float(np.sum(((x[0] - x[1]) / 2.0) ** 2))
    if side == 0.0:
        return 0.0
    return min(side / mid, MAX_SIDE_MID_RATIO) if mid > 0.0 else MAX_SIDE_MID_RATIO


def channel_degeneracy(channels: np.ndarray, sample_rate: int,
                       limits: DegeneracyThresholds | None = None) -> DegeneracyReport:
    """Degeneracy of a multichannel clip: each measurement is the worst channel's.

    A clip is degenerate when any channel is (a silent right channel or a noisy left one ruins a stereo
    clip even if the mono mix looks fine), so the report holds the maximum over channels of the silence
    ratio, flatness and clipping share of :func:`~objectives.scoring.degeneracy`.

    Args:
        channels: ``[C, T]`` float32 waveforms, C >= 1.
        sample_rate: Hz.
        limits: thresholds. Default :class:`DegeneracyThresholds()`.
    """
    reports = [degeneracy(channel, sample_rate, limits) for channel in np.asarray(channels)]
    return DegeneracyReport(silence_ratio=max(r.silence_ratio for r in reports),
                            flatness=max(r.flatness for r in reports),
                            clipping_ratio=max(r.clipping_ratio for r in reports))
