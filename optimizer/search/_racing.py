"""Racing: stop evaluating a trial once it is infeasible, or dominated by the feasible front with confidence.

A trial's prompts x seeds are decoded in stages (:func:`stage_plan`: one seed of half the prompts, then one seed of
every prompt, then everything). After each stage but the last, :func:`decide` looks at the clips scored so far:

* **infeasible**: a degeneracy constraint (silence, noise, clipping) is violated. A trial's constraint is its worst
  clip's value (:class:`~objectives.Evaluator`), so a violation among some clips is a violation of the whole
  trial: this verdict is exact, not estimated.
* **dominated**: on every objective, the trial's *optimistic* one-sided bound at level ``alpha`` (mean plus or minus
  ``t(1 - alpha, n - 1)`` prompt-clustered standard errors, towards better) is still dominated by one fully
  evaluated feasible trial. This is an intersection-union test (Berger 1982): the trial is stopped only when each
  of the M one-sided tests rejects "this objective could still beat that point", so the chance of stopping a
  trial whose true means are *not* dominated by that point is at most ``alpha`` with no multiplicity correction
  across objectives. Front points are taken as known (they are full evaluations; their own noise, and the
  winner's curse that makes them optimistic, are what ``benchmarks/racing.py`` measures the effect of).
* otherwise **continue**.

This is F-Race's idea (Birattari et al. 2002; irace, López-Ibáñez et al. 2016) with a multi-objective elimination
test instead of Friedman's. Kept here as ~100 lines rather than taken from a library: no maintained Python racing
package takes a Pareto front and prompt-clustered errors. Objectives without per-clip samples at a stage (``fad``,
a set statistic; ``diversity`` before a prompt has two seeds) get an unbounded optimistic bound: they can never
be the reason a trial stops.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np
from scipy import stats

from objectives.scoring._feasibility import is_feasible

__all__ = ["DEFAULT_LEVEL", "Samples", "Verdict", "decide", "optimistic_bounds", "stage_plan"]

DEFAULT_LEVEL = 0.05
"""One-sided level ``alpha`` of the dominance test: the conventional 5 %; ``benchmarks/racing.py`` prints the
trade-off of other levels."""

Samples = tuple[Sequence[float], Sequence[int]]
"""Per-unit scores of one objective and the prompt index of each (an :class:`~objectives.Objective`'s ``samples``)."""

Row = tuple[int, int]


class Verdict(StrEnum):
    """What :func:`decide` says about a partly evaluated trial."""

    CONTINUE = "continue"
    INFEASIBLE = "infeasible"
    DOMINATED = "dominated"


def stage_plan(prompts: int, replicates: int) -> tuple[tuple[Row, ...], ...]:
    """The cumulative rows ``(prompt, replicate)`` evaluated after each stage.

    Stage 1: replicate 0 of every other prompt (prompts 0, 2, 4, ...: half of them, spread over the genre file's
    list); stage 2: replicate 0 of every prompt; stage 3: every prompt x replicate. A stage that adds nothing
    (one prompt, one replicate) is left out, so the last stage is always the full evaluation.

    Args:
        prompts: P >= 1.
        replicates: R >= 1.

    Returns:
        Stages in order, each the sorted rows evaluated by its end (prompt-major, as ``Evaluator`` orders rows).

    Raises:
        ValueError: ``prompts`` or ``replicates`` < 1.
    """
    if prompts < 1 or replicates < 1:
        raise ValueError(f"a stage plan needs >= 1 prompt and replicate but got {prompts} and {replicates}.")
    plans = [[(p, 0) for p in range(0, prompts, 2)], [(p, 0) for p in range(prompts)],
             [(p, r) for p in range(prompts) for r in range(replicates)]]
    stages: list[tuple[Row, ...]] = []
    for rows in plans:
        if not stages or len(rows) > len(stages[-1]):
            stages.append(tuple(sorted(rows)))
    return tuple(stages)


def optimistic_bounds(samples: Sequence[Samples | None], directions: Sequence[str], level: float) -> np.ndarray:
    """Each objective's one-sided bound towards better at ``level``, from prompt-clustered standard errors.

    Clips are averaged per prompt and the spread is taken across prompt means, as re-validation's
    ``prompt_clustered`` does (seeds of one prompt are not independent draws of the genre; with one prompt the
    clips are the units). The bound is ``mean + s * t(1 - level, n - 1) * stderr`` with ``s`` = +1 to maximise,
    -1 to minimise (Student's t, ``n`` units). Fewer than 2 units, or no samples, give an unbounded value.

    Args:
        samples: per objective, ``(values, prompt of each)`` or None (not measured at this stage).
        directions: ``maximize`` / ``minimize`` per objective.
        level: one-sided ``alpha`` in (0, 0.5].

    Returns:
        ``[M]`` float64 bounds (``±inf`` where unbounded).

    Raises:
        ValueError: ``level`` out of range, lengths differ, or a NaN/infinite score.
    """
    if not 0.0 < level <= 0.5:
        raise ValueError(f"the racing level must be in (0, 0.5] but got {level}.")
    if len(samples) != len(directions):
        raise ValueError(f"{len(samples)} objectives' samples but {len(directions)} directions.")
    out = np.empty(len(directions))
    for j, (sample, direction) in enumerate(zip(samples, directions, strict=True)):
        sign = 1.0 if direction == "maximize" else -1.0
        units = None if sample is None else _prompt_units(*sample)
        if units is None or units.size < 2:
            out[j] = sign * math.inf
            continue
        stderr = float(units.std(ddof=1) / math.sqrt(units.size))
        out[j] = float(units.mean()) + sign * float(stats.t.ppf(1.0 - level, units.size - 1)) * stderr
    return out


def decide(*, constraints: Mapping[str, float], samples: Sequence[Samples | None], directions: Sequence[str],
           front: np.ndarray | Sequence[Sequence[float]], level: float = DEFAULT_LEVEL) -> Verdict:
    """Whether a partly evaluated trial stops (infeasible, dominated with confidence) or continues.

    Args:
        constraints: the constraint values over the clips so far (worst clip's measurement minus its limit).
        samples: per objective, the clips' (or prompts') scores so far and their prompt indices, or None.
        directions: ``maximize`` / ``minimize`` per objective, the study's order.
        front: ``[N, M]`` objective values of fully evaluated feasible trials (any of them, not only the
            non-dominated ones: dominance is transitive); ``N`` may be 0.
        level: one-sided ``alpha`` of each objective's test, in (0, 0.5] (:data:`DEFAULT_LEVEL`).

    Returns:
        :attr:`Verdict.INFEASIBLE` when a constraint is violated, :attr:`Verdict.DOMINATED` when one front point is
        at least as good as every optimistic bound and better on one, else :attr:`Verdict.CONTINUE`.

    Raises:
        ValueError: see :func:`optimistic_bounds`; a front whose width is not the number of objectives.
    """
    if not is_feasible(constraints):
        return Verdict.INFEASIBLE
    bounds = optimistic_bounds(samples, directions, level)
    points = np.asarray(front, dtype=np.float64).reshape(-1, len(directions))
    if points.size == 0:
        return Verdict.CONTINUE
    sign = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    better_or_equal = points * sign >= bounds * sign
    strictly = points * sign > bounds * sign
    dominated = np.any(np.all(better_or_equal, axis=1) & np.any(strictly, axis=1))
    return Verdict.DOMINATED if dominated else Verdict.CONTINUE


def _prompt_units(values: Sequence[float], prompt_of: Sequence[int]) -> np.ndarray | None:
    """Per-prompt means (clips when there is one prompt); None for no values. Re-validation's ``prompt_clustered``
    (optimizer.export) does the same, but search may not import export (export imports search)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return None
    if not np.all(np.isfinite(x)):
        raise ValueError(f"scores must be finite but got {x[~np.isfinite(x)][:3].tolist()}.")
    prompts = np.asarray(prompt_of)
    distinct = np.unique(prompts)
    return np.array([x[prompts == p].mean() for p in distinct]) if distinct.size > 1 else x
