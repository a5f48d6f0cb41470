"""Melody adherence: how closely a clip follows the melody it was conditioned on."""

from __future__ import annotations

import numpy as np

__all__ = ["melody_adherence"]


def melody_adherence(melody_chroma: np.ndarray, clip: np.ndarray, sample_rate: int) -> float:
    """Chroma cosine similarity between the conditioning melody and the generated clip.

    The metric of the MusicGen paper (Copet et al., "Simple and Controllable Music Generation", NeurIPS 2023,
    section 4, "melody conditioning"): the chromagrams of the reference melody and of the output, computed
    the way the conditioning is (:func:`~objectives._chroma.melody_chroma`: quantised, one-hot per
    frame), compared frame by frame with the cosine similarity and averaged over time. With one-hot frames
    the cosine is 1 where the dominant pitch classes agree and 0 elsewhere, so the score is the share of
    frames on the melody's pitch class.

    Args:
        melody_chroma: ``[F_m, 12]`` chroma of the melody as conditioned (repeated by the model when shorter
            than the clip; the clip is compared with the melody repeated the same way).
        clip: ``[T]`` float mono waveform.
        sample_rate: Hz.

    Returns:
        Mean cosine similarity over the clip's frames, in [0, 1].
    """
    from objectives._chroma import melody_chroma as chroma_of

    generated = chroma_of(clip, sample_rate)
    reference = np.tile(melody_chroma, (-(-len(generated) // len(melody_chroma)), 1))[: len(generated)]
    dot = np.sum(reference * generated, axis=1)
    norms = np.linalg.norm(reference, axis=1) * np.linalg.norm(generated, axis=1)
    return float(np.mean(np.where(norms > 0, dot / np.maximum(norms, 1e-12), 0.0)))
