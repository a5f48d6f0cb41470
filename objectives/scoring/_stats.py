"""Mean and standard error of a score over a trial's clips."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ScoreSummary", "summarize"]


@dataclass(frozen=True)
class ScoreSummary:
    """A score's mean, its standard error (sample std / sqrt(n), ddof=1; 0 when n = 1) and n."""

    mean: float
    stderr: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreSummary:
        """The inverse of :meth:`to_dict`; a ``stderr`` of None (not estimable, e.g. one listener rating in a
        preset file) becomes NaN."""
        stderr = data["stderr"]
        return cls(mean=float(data["mean"]), stderr=math.nan if stderr is None else float(stderr), n=int(data["n"]))


def summarize(values: Sequence[float] | np.ndarray) -> ScoreSummary:
    """Summarise per-clip scores.

    Raises:
        ValueError: No values, or a NaN/infinite value (a score that cannot be trusted).
    """
    import numpy as np  # here, not at the top: the preset loader imports ScoreSummary and must not need numpy

    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("cannot summarise an empty list of scores.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"scores must be finite but got {x[~np.isfinite(x)][:3].tolist()}.")
    stderr = float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else 0.0
    return ScoreSummary(mean=float(x.mean()), stderr=stderr, n=int(x.size))
