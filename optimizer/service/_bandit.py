"""Thompson sampling over a genre's Pareto presets, learning from listener feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ArmStats", "feedback_reward", "thompson_choice"]


@dataclass(frozen=True)
class ArmStats:
    """Feedback gathered for one preset (an arm).

    Attributes:
        trial: the preset's trial number (its identity across re-exports with the same study).
        reward_sum: sum of rewards in [0, 1].
        reward_sq_sum: sum of squared rewards (for the standard error).
        n: number of feedbacks.
        served: times it was served.
    """

    trial: int
    reward_sum: float = 0.0
    reward_sq_sum: float = 0.0
    n: int = 0
    served: int = 0

    @property
    def alpha(self) -> float:
        """Beta posterior's alpha with a uniform Beta(1, 1) prior."""
        return 1.0 + self.reward_sum

    @property
    def beta(self) -> float:
        """Beta posterior's beta with a uniform Beta(1, 1) prior."""
        return 1.0 + self.n - self.reward_sum

    @property
    def mean(self) -> float | None:
        """Mean reward, or None without feedback."""
        return self.reward_sum / self.n if self.n else None

    @property
    def stderr(self) -> float | None:
        """Standard error of the mean reward (ddof=1), or None below two feedbacks."""
        if self.n < 2:
            return None
        variance = max(0.0, (self.reward_sq_sum - self.reward_sum ** 2 / self.n) / (self.n - 1))
        return float(np.sqrt(variance / self.n))


def feedback_reward(*, rating: int | None = None, thumbs: str | None = None) -> float:
    """Map feedback to a reward in [0, 1]: a 1-10 rating to ``(rating - 1) / 9``; thumbs up 1, down 0.

    Fractional rewards update the Beta posterior as fractional successes (the standard Bernoulli
    relaxation of Thompson sampling for bounded rewards, Agrawal & Goyal 2012).

    Raises:
        ValueError: neither or both given, or out of range.
    """
    if (rating is None) == (thumbs is None):
        raise ValueError("give exactly one of rating (1-10) or thumbs ('up' or 'down').")
    if rating is not None:
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
            raise ValueError(f"rating must be an integer from 1 to 10 but got {rating!r}.")
        return (rating - 1) / 9.0
    if thumbs not in ("up", "down"):
        raise ValueError(f"thumbs must be 'up' or 'down' but got {thumbs!r}.")
    return 1.0 if thumbs == "up" else 0.0


def thompson_choice(arms: Sequence[ArmStats], rng: np.random.Generator) -> int:
    """Index of the arm to serve: draw each arm's mean reward from its Beta posterior, take the largest.

    Raises:
        ValueError: no arms.
    """
    if not arms:
        raise ValueError("no presets to choose from.")
    draws = rng.beta([a.alpha for a in arms], [a.beta for a in arms])
    return int(np.argmax(draws))
