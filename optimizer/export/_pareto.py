"""Choosing named presets on the feasible Pareto front."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import optuna

from objectives.scoring import is_feasible
from optimizer import _keys
from optimizer._payloads import has, read
from optimizer._record_payloads import TrialParams
from optimizer._study_payloads import StoredSpec

__all__ = ["feasible_front", "malformed_trials", "name_front", "name_points", "non_dominated"]


def malformed_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """COMPLETE trials whose values this tool could not have told: a count other than the study's objectives,
    a NaN or infinite value, or a rating outside :data:`~optimizer._keys.RATING_RANGE`. Only a hand-made call
    to the dashboard's tell API (``POST /api/trials/<id>/tell``), which checks none of this, makes them."""
    objectives = spec.objectives if (spec := read(study, StoredSpec)) is not None else []
    rating = objectives.index(_keys.RATING) if _keys.RATING in objectives else None
    low, high = _keys.RATING_RANGE
    bad = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        values = t.values or []
        if len(values) != len(study.directions) or not all(math.isfinite(v) for v in values) \
                or (rating is not None and not low <= values[rating] <= high):
            bad.append(t)
    return bad


def feasible_front(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """COMPLETE, feasible (every constraint <= 0), non-dominated trials that carry their parameters,
    sorted best first on the first objective (CLAP). Degenerate trials can never appear here, nor
    :func:`malformed_trials` (the front is then taken over the other trials, in a scratch in-memory study)."""
    bad = {t.number for t in malformed_trials(study)}
    if not bad:
        best = study.best_trials
    else:
        good = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if t.number not in bad]
        scratch = optuna.create_study(directions=study.directions)
        scratch.add_trials(good)
        best = [good[t.number] for t in scratch.best_trials]  # add_trials numbers them 0, 1, ... in order
    front = [t for t in best if has(t, TrialParams) and is_feasible(t.constraints)]
    return sorted(front, key=lambda t: (-t.values[0], t.values[1], t.number))


def name_front(front: list[optuna.trial.FrozenTrial], objectives: Sequence[str] = _keys.BASE_OBJECTIVES,
               directions: Sequence[str] = _keys.DIRECTIONS) -> dict[str, optuna.trial.FrozenTrial]:
    """Name the front's members: ``balanced``, one extreme per objective (``max_clap``, ``min_repetition``,
    ``max_diversity``...), then ``pareto_<n>`` for the rest.

    ``balanced`` is the knee point, taken as the member closest (Euclidean) to the ideal point after
    min-max normalising each objective over the front (the "compromise solution" of multi-criteria
    decision making); with one member, every name points at it. Ties on an extreme go to the member that
    is better on the other objectives in order.

    Raises:
        ValueError: empty front, or objectives and directions of different lengths.
    """
    if not front:
        raise ValueError("the Pareto front is empty.")
    picked = name_points(np.array([t.values for t in front], dtype=np.float64), objectives, directions)
    return {name: front[i] for name, i in picked.items()} | {
        f"pareto_{t.number}": t for i, t in enumerate(front) if i not in picked.values()}


def name_points(values: np.ndarray, objectives: Sequence[str] = _keys.BASE_OBJECTIVES,
                directions: Sequence[str] = _keys.DIRECTIONS) -> dict[str, int]:
    """Row indices of ``values`` ``[N, M]`` (mutually non-dominated points) for ``balanced`` and one extreme
    per objective; the rule of :func:`name_front`, on any values (search or re-validated scores).

    Raises:
        ValueError: no rows, or objectives, directions and columns of different lengths.
    """
    if len(values) == 0:
        raise ValueError("the Pareto front is empty.")
    if not len(objectives) == len(directions) == values.shape[1]:
        raise ValueError(f"{len(objectives)} objectives, {len(directions)} directions, {values.shape[1]} columns.")
    sign = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    utility = values * sign  # larger is better everywhere
    span = np.ptp(utility, axis=0)
    # Regret per objective in [0, 1]: 0 at the front's best value, 1 at its worst.
    regret = (utility.max(axis=0) - utility) / np.where(span > 0, span, 1.0)
    named = {"balanced": int(np.argmin(np.linalg.norm(regret, axis=1)))}
    for k, (name, direction) in enumerate(zip(objectives, directions, strict=True)):
        order = [utility[:, j] for j in reversed(range(len(objectives))) if j != k] + [utility[:, k]]
        named[f"{'max' if direction == 'maximize' else 'min'}_{name}"] = int(np.lexsort([-c for c in order])[0])
    return named


def non_dominated(values: np.ndarray, directions: Sequence[str]) -> list[int]:
    """Row indices of ``values`` ``[N, M]`` that no other row dominates (at least as good on every objective
    and better on one), in row order."""
    utility = np.asarray(values, dtype=np.float64) * np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    keep = []
    for i, row in enumerate(utility):
        dominated = np.any(np.all(utility >= row, axis=1) & np.any(utility > row, axis=1))
        if not dominated:
            keep.append(i)
    return keep
