"""Diversity: how different the clips of one prompt are across seeds."""

from __future__ import annotations

import numpy as np

__all__ = ["embedding_spread"]


def embedding_spread(embeddings: np.ndarray) -> float:
    """Mean pairwise cosine distance ``1 - cos`` of unit-norm embeddings ``[R, D]``, in [0, 2].

    0 when every seed gave the same clip (or R < 2); larger means more varied output for one prompt.
    """
    e = np.asarray(embeddings, dtype=np.float64)
    r = e.shape[0]
    if r < 2:
        return 0.0
    cos = e @ e.T
    off_diagonal = cos[~np.eye(r, dtype=bool)]
    return float(np.mean(1.0 - off_diagonal))
