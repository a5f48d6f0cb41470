"""Choosing named presets on the feasible Pareto front."""

from __future__ import annotations

import numpy as np
import optuna

from optimizer import _keys

__all__ = ["feasible_front", "name_front"]


def feasible_front(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """COMPLETE, feasible (every constraint <= 0), non-dominated trials that carry their parameters,
    sorted by descending CLAP. Degenerate trials can never appear here."""
    front = [t for t in study.best_trials
             if _keys.PARAMS in t.user_attrs and all(v <= 0.0 for v in t.constraints.values())]
    return sorted(front, key=lambda t: (-t.values[0], t.values[1], t.number))


def name_front(front: list[optuna.trial.FrozenTrial]) -> dict[str, optuna.trial.FrozenTrial]:
    """Name the front's members: ``balanced``, ``max_clap``, ``min_repetition``, then ``pareto_<n>``.

    ``balanced`` is the knee point, taken as the member closest (Euclidean) to the ideal point after
    min-max normalising each objective over the front (the "compromise solution" of multi-criteria
    decision making); with one member, every name points at it.

    Raises:
        ValueError: empty front.
    """
    if not front:
        raise ValueError("the Pareto front is empty.")
    values = np.array([t.values for t in front], dtype=np.float64)
    clap, repetition = values[:, 0], values[:, 1]
    # Regret per objective in [0, 1]: 0 at the front's best value, 1 at its worst.
    span = np.where(np.ptp(values, axis=0) > 0, np.ptp(values, axis=0), 1.0)
    regret = np.stack([(clap.max() - clap) / span[0], (repetition - repetition.min()) / span[1]], axis=1)
    named = {
        "balanced": front[int(np.argmin(np.linalg.norm(regret, axis=1)))],
        "max_clap": front[int(np.lexsort((repetition, -clap))[0])],
        "min_repetition": front[int(np.lexsort((-clap, repetition))[0])],
    }
    chosen = {t.number for t in named.values()}
    for t in front:
        if t.number not in chosen:
            named[f"pareto_{t.number}"] = t
    return named
