"""Fréchet distance between two sets of embeddings (FAD when the embeddings are of audio)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_EMBEDDINGS", "EmbeddingStats", "frechet_distance"]

MIN_EMBEDDINGS = 2
"""Fewest embeddings a covariance (``ddof=1``), hence a Fréchet distance, can be estimated from: a trial needs
at least this many clips (prompts x replicates) for FAD, and a reference folder this many excerpts."""


@dataclass(frozen=True)
class EmbeddingStats:
    """Mean and covariance of a set of embeddings: the Gaussian the Fréchet distance compares.

    Attributes:
        mean: ``[D]``.
        cov: ``[D, D]`` sample covariance (``ddof=1``).
        n: number of embeddings it was estimated from.
        factor: ``[n, D]`` centred embeddings over ``sqrt(n - 1)`` (so ``cov = factor.T @ factor``), kept when
            ``n`` is below ``D``: the distance then needs an ``[n, n]`` eigenproblem instead of ``[D, D]``.
    """

    mean: np.ndarray
    cov: np.ndarray
    n: int
    factor: np.ndarray | None = None

    @classmethod
    def from_embeddings(cls, embeddings: np.ndarray) -> EmbeddingStats:
        """Estimate from ``[N, D]`` embeddings.

        Raises:
            ValueError: fewer than 2 embeddings, or non-finite values.
        """
        x = np.asarray(embeddings, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < MIN_EMBEDDINGS:
            raise ValueError(f"need at least {MIN_EMBEDDINGS} embeddings of shape [N, D] but got shape "
                             f"{list(x.shape)}.")
        if not np.all(np.isfinite(x)):
            raise ValueError("embeddings must be finite.")
        mean = x.mean(axis=0)
        factor = (x - mean) / np.sqrt(x.shape[0] - 1)
        return cls(mean=mean, cov=factor.T @ factor, n=int(x.shape[0]),
                   factor=factor if x.shape[0] < x.shape[1] else None)


def frechet_distance(a: EmbeddingStats, b: EmbeddingStats) -> float:
    """Fréchet (2-Wasserstein) distance between the Gaussians fitted to two embedding sets, >= 0.

    ``d² = ||μa − μb||² + Tr(Σa + Σb − 2 (Σa Σb)^½)`` (Dowson & Landau 1982), the formula of FID (Heusel et
    al. 2017) and of the Fréchet Audio Distance (Kilgour et al. 2019); on CLAP embeddings as fadtk (Gui et al.
    2024) recommends for music. The value is returned as d² (the convention of FID/FAD).

    ``Tr((Σa Σb)^½)`` is the sum of square roots of the eigenvalues of ``Σa Σb``, taken from a symmetric PSD
    matrix with the same non-zero spectrum: ``F Σb Fᵀ`` (``[n, n]``) when ``Σa = Fᵀ F`` comes from n < D
    embeddings (a trial's 24 clips of 512-d CLAP), else ``Σa^½ Σb Σa^½`` (``[D, D]``). Unlike a general
    matrix square root this stays real and stable for singular covariances.

    The estimate is biased upward for small sets; compare distances only between sets of the same size
    (every trial of a study generates the same number of clips).

    Raises:
        ValueError: the embedding dimensions differ.
    """
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"embedding dimensions differ: {a.mean.shape[0]} vs {b.mean.shape[0]}.")
    diff = a.mean - b.mean
    if b.factor is not None and (a.factor is None or b.n < a.n):
        a, b = b, a
    root_a = a.factor if a.factor is not None else _psd_sqrt(a.cov)
    product = root_a @ b.cov @ root_a.T
    eigenvalues = np.linalg.eigvalsh((product + product.T) / 2.0)
    trace_root = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
    distance = float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2.0 * trace_root)
    return max(distance, 0.0)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
