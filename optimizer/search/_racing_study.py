"""Racing against a study: the front a partly evaluated trial is raced against, and how a stopped trial is told.

A stopped trial is told **PRUNED**, with its partial scores, stage and verdict in ``mgopt:racing:v1``
(:class:`~optimizer._trial_payloads.RacingStop`) and, when infeasible, its constraint values set. Why PRUNED and
not COMPLETE with the partial means:

* The sampler learns the right thing. Optuna's TPE puts PRUNED trials in its "above" (worse) group, after every
  COMPLETE one, and an infeasible one (constraints set) in its infeasible group: a region that was dominated with
  confidence, or degenerate, is sampled less. GP and NSGA-II read COMPLETE trials only and so ignore stopped ones:
  they never take a half-measured mean for a full one.
* Nothing downstream mistakes a partial mean for a result. ``study.best_trials``, the exported front, re-validation,
  the dashboard's Pareto plot and the report's front read COMPLETE trials, so only fully evaluated trials can
  become presets, without a filter in each of them. A COMPLETE stopped trial whose noisy partial mean happened to
  dominate a fully evaluated one would instead hide that trial from ``best_trials``.
* ``--trials`` still counts configurations tried: :func:`count_finished` counts COMPLETE trials and racing's
  PRUNED ones (a PRUNED trial without the payload is not this tool's and is not counted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import optuna

from objectives.scoring import is_feasible
from optimizer._payloads import read, write
from optimizer._record_payloads import PerPrompt
from optimizer._trial_payloads import RacingStop, StoredScore
from optimizer.search._racing import Samples, Verdict

__all__ = ["count_finished", "race_front", "stop_trial", "stopped_trials"]


def race_front(study: optuna.Study, objectives: Sequence[str], prompts: int) -> np.ndarray:
    """``[N, P, M]`` per-prompt means (``mgopt:per_prompt:v1``) of the study's COMPLETE, feasible trials, the
    points :func:`~optimizer.search._racing.decide` races against; NaN for an objective a trial has no per-prompt
    value of (diversity, fad: they then never stop a trial) and for prompts beyond its rows.

    Args:
        study: the study.
        objectives: its objectives, in the order of its directions.
        prompts: P, the search's prompts.
    """
    rows = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        per_prompt = read(trial, PerPrompt)
        if not is_feasible(trial.constraints or {}) or per_prompt is None:
            continue
        values = np.full((prompts, len(objectives)), math.nan)
        for p, row in enumerate(per_prompt.rows[:prompts]):
            for j, name in enumerate(objectives):
                values[p, j] = row.scores.get(name, math.nan)
        rows.append(values)
    return np.array(rows).reshape(-1, prompts, len(objectives))


def stop_trial(trial: optuna.Trial, *, verdict: Verdict, stage: int, stages: int, clips_full: int, level: float,
               samples: Mapping[str, Samples], constraints: Mapping[str, float]) -> optuna.trial.FrozenTrial:
    """Store the partial evaluation as ``mgopt:racing:v1``, set the constraints, and tell ``trial`` PRUNED.

    Args:
        trial: the running trial.
        verdict: why it stops (not :attr:`Verdict.CONTINUE`).
        stage: the 1-based stage after which it stops, of ``stages``.
        clips_full: clips of a full evaluation.
        level: the racing level.
        samples: per objective measured so far, ``(values, prompt of each)``.
        constraints: constraint values over the clips so far.

    Raises:
        ValueError: ``verdict`` is CONTINUE.
    """
    if verdict is Verdict.CONTINUE:
        raise ValueError("a trial that continues is not stopped.")
    scores = {name: _clustered(values, prompts) for name, (values, prompts) in samples.items() if len(values)}
    clips = max((len(values) for values, _ in samples.values()), default=0)
    payload = RacingStop(verdict=verdict.value, stage=stage, stages=stages, clips=clips, clips_full=clips_full,
                         level=level, scores=scores, constraints=dict(constraints))
    write(trial, payload)
    for name, value in constraints.items():
        trial.set_constraint(name, value)
    return trial.study.tell(trial, state=optuna.trial.TrialState.PRUNED)


def stopped_trials(study: optuna.Study) -> list[tuple[optuna.trial.FrozenTrial, RacingStop]]:
    """The trials racing stopped, with their payloads, in number order."""
    out = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,)):
        payload = read(trial, RacingStop)
        if payload is not None:
            out.append((trial, payload))
    return out


def count_finished(study: optuna.Study) -> int:
    """COMPLETE trials plus the trials racing stopped: what ``--trials`` counts under ``--racing``."""
    complete = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    return complete + len(stopped_trials(study))


def _clustered(values: Sequence[float], prompts: Sequence[int]) -> StoredScore:
    """Mean, prompt-clustered standard error (clips when one prompt) and the number of units."""
    x, p = np.asarray(values, dtype=np.float64), np.asarray(prompts)
    units = np.array([x[p == q].mean() for q in np.unique(p)]) if np.unique(p).size > 1 else x
    stderr = float(units.std(ddof=1) / math.sqrt(units.size)) if units.size > 1 else 0.0
    return StoredScore(mean=float(units.mean()), stderr=stderr, n=int(units.size))
