"""Racing: stop evaluating a trial once it is infeasible, or dominated by the feasible front with confidence.

A trial's prompts x seeds are decoded in stages (:func:`stage_plan`: one seed of half the prompts, then one seed of
every prompt, then everything). After each stage but the last, :func:`decide` looks at the clips scored so far:

* **infeasible**: a degeneracy constraint (silence, noise, clipping) is violated. A trial's constraint is its worst
  clip's value (:class:`~objectives.Evaluator`), so a violation among some clips is a violation of the whole
  trial: this verdict is exact, not estimated.
* **dominated**: for one fully evaluated feasible trial, on every objective the *optimistic* one-sided bound at
  level ``alpha`` of the trial's per-prompt difference to it (mean plus or minus ``t(1 - alpha, n - 1)``
  prompt-clustered standard errors, towards the trial being better) still says the trial is no better. Prompts
  and seeds are shared by all trials (common random numbers), so the comparison is paired on prompts and a
  prompt's difficulty cancels. This is an intersection-union test (Berger 1982): the trial is stopped only when
  each of the M one-sided tests rejects "this objective could still beat that trial", so against one front trial
  the chance of stopping a trial that is not worse is at most ``alpha`` with no correction across objectives.
  Testing against several front trials, and at several stages, adds chances; the front trials' own noise and
  the winner's curse that makes them optimistic add more: ``benchmarks/racing.py`` measures what that costs.
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
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

from objectives import Evaluation
from objectives.scoring import is_feasible

__all__ = ["DEFAULT_LEVEL", "Samples", "Stopped", "Verdict", "decide", "paired_bounds", "stage_plan"]

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


@dataclass(frozen=True)
class Stopped:
    """The outcome of a trial racing stopped (what the trial loop tells PRUNED, instead of an evaluation).

    Attributes:
        verdict: why (not CONTINUE).
        stage: the 1-based stage after which it stopped, of ``stages``.
        stages: stages in the plan.
        level: the racing level it was tested at.
        samples: per objective tested, ``(values, prompt of each)`` over the clips so far.
        evaluation: the evaluation of the rows decoded so far (its clips, audio and constraints).
    """

    verdict: Verdict
    stage: int
    stages: int
    level: float
    samples: Mapping[str, Samples]
    evaluation: Evaluation


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


def paired_bounds(samples: Sequence[Samples | None], reference: np.ndarray, directions: Sequence[str],
                  level: float) -> np.ndarray:
    """Each objective's one-sided bound, towards the trial being better, on its per-prompt difference to one point.

    Seeds and prompts are shared by every trial (common random numbers), so the trial is compared with a fully
    evaluated trial prompt by prompt: the units are ``trial's mean on prompt p - reference's mean on prompt p`` over
    the prompts evaluated so far (a prompt's difficulty cancels; seeds of one prompt are not independent draws of
    the genre, so prompts are the units, as re-validation's ``prompt_clustered`` takes them; with one prompt the
    clips are). The bound is ``mean + s * t(1 - level, n - 1) * stderr`` with ``s`` = +1 to maximise, -1 to
    minimise (Student's t, ``n`` units). Fewer than 2 units, no samples, or no reference value on those prompts
    give an unbounded value.

    Args:
        samples: per objective, ``(values, prompt of each)`` or None (not measured at this stage).
        reference: ``[P, M]`` the reference trial's per-prompt means (NaN where not measured).
        directions: ``maximize`` / ``minimize`` per objective.
        level: one-sided ``alpha`` in (0, 0.5].

    Returns:
        ``[M]`` float64 bounds on the difference (``±inf`` where unbounded).

    Raises:
        ValueError: ``level`` out of range, lengths differ, or a NaN/infinite score.
    """
    if not 0.0 < level <= 0.5:
        raise ValueError(f"the racing level must be in (0, 0.5] but got {level}.")
    if not len(samples) == len(directions) == reference.shape[1]:
        raise ValueError(f"{len(samples)} objectives' samples, {len(directions)} directions, "
                         f"{reference.shape[1]} reference columns.")
    out = np.empty(len(directions))
    for j, (sample, direction) in enumerate(zip(samples, directions, strict=True)):
        sign = 1.0 if direction == "maximize" else -1.0
        units = None if sample is None else _prompt_differences(*sample, reference[:, j])
        if units is None or units.size < 2:
            out[j] = sign * math.inf
            continue
        stderr = float(units.std(ddof=1) / math.sqrt(units.size))
        out[j] = float(units.mean()) + sign * float(stats.t.ppf(1.0 - level, units.size - 1)) * stderr
    return out


def decide(*, constraints: Mapping[str, float], samples: Sequence[Samples | None], directions: Sequence[str],
           front: np.ndarray, level: float = DEFAULT_LEVEL) -> Verdict:
    """Whether a partly evaluated trial stops (infeasible, dominated with confidence) or continues.

    Args:
        constraints: the constraint values over the clips so far (worst clip's measurement minus its limit).
        samples: per objective, the clips' (or prompts') scores so far and their prompt indices, or None.
        directions: ``maximize`` / ``minimize`` per objective, the study's order.
        front: ``[N, P, M]`` per-prompt means of fully evaluated feasible trials (any of them, not only the
            non-dominated ones: dominance is transitive; NaN where not measured); ``N`` may be 0.
        level: one-sided ``alpha`` of each objective's test, in (0, 0.5] (:data:`DEFAULT_LEVEL`).

    Returns:
        :attr:`Verdict.INFEASIBLE` when a constraint is violated; :attr:`Verdict.DOMINATED` when, for one front
        trial, every objective's :func:`paired_bounds` says the trial is no better (and on one, worse) even
        optimistically; else :attr:`Verdict.CONTINUE`.

    Raises:
        ValueError: see :func:`paired_bounds`.
    """
    if not is_feasible(constraints):
        return Verdict.INFEASIBLE
    sign = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    for reference in np.asarray(front, dtype=np.float64):
        better = paired_bounds(samples, reference, directions, level) * sign  # > 0: the trial may still be better
        if np.all(better <= 0.0) and np.any(better < 0.0):
            return Verdict.DOMINATED
    return Verdict.CONTINUE


def _prompt_differences(values: Sequence[float], prompt_of: Sequence[int], reference: np.ndarray) -> np.ndarray | None:
    """Per-prompt mean minus the reference's mean on that prompt (clips minus it when there is one prompt); prompts
    the reference lacks are left out; None for no values."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return None
    if not np.all(np.isfinite(x)):
        raise ValueError(f"scores must be finite but got {x[~np.isfinite(x)][:3].tolist()}.")
    prompts = np.asarray(prompt_of)
    distinct = [p for p in np.unique(prompts) if p < reference.size and np.isfinite(reference[p])]
    if len(distinct) == 1:
        return x[prompts == distinct[0]] - reference[distinct[0]]
    return np.array([x[prompts == p].mean() - reference[p] for p in distinct])
