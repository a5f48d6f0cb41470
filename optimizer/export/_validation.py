"""Re-validating Pareto candidates on held-out prompts and fresh seeds before presets are chosen.

Scores seen during a search are optimistic: the sampler kept the configurations that happened to score well
on the search prompts and seeds (the winner's curse). Every candidate (the feasible search front and the
baselines) is therefore generated again on the genre's held-out prompts with ``--validate-seeds`` new seeds,
and presets are chosen on these scores. Results are cached in the study (``mgopt:validation:v1``) under a
key of the validation setup, so a re-export re-uses them and a study shared by workers validates once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import optuna
from scipy import stats

from objectives import DecodingParams, Evaluation, registered
from optimizer._payloads import has, read, require, write
from optimizer._record_payloads import TrialParams
from optimizer._study_payloads import ValidationCache
from optimizer._trial_payloads import BaselineLabel
from optimizer.export._pareto import feasible_front

__all__ = [
    "DEFAULT_VALIDATE_SEEDS",
    "VALIDATION_BASE_SEED",
    "ValidationSetup",
    "candidates",
    "prompt_clustered",
    "validate_candidates",
]

DEFAULT_VALIDATE_SEEDS = 4
"""Seeds per held-out prompt: twice the search's default of 2, so validation is the sharper measurement."""
VALIDATION_BASE_SEED = 1
"""Base of the validation seeds; the search uses 0, so validation never re-draws a search seed."""


@dataclass(frozen=True)
class ValidationSetup:
    """What the candidates are re-generated on.

    Attributes:
        prompts: the genre's held-out prompts (or its search prompts when it has none: then only the seeds
            are new, and ``source`` says so).
        source: ``heldout`` or ``search``.
        replicates: seeds per prompt, >= 1.
        base_seed: :data:`VALIDATION_BASE_SEED`.
        duration: clip length in seconds (the study's).
    """

    prompts: tuple[str, ...]
    source: str
    replicates: int
    base_seed: int
    duration: float

    @classmethod
    def for_genre(cls, *, heldout: Sequence[str], search: Sequence[str], replicates: int,
                  duration: float) -> ValidationSetup:
        """Held-out prompts when the genre has them, else the search prompts with new seeds.

        Raises:
            ValueError: ``replicates`` < 1.
        """
        if replicates < 1:
            raise ValueError(f"validation needs at least one seed per prompt but got {replicates}.")
        source = "heldout" if heldout else "search"
        return cls(prompts=tuple(heldout or search), source=source, replicates=replicates,
                   base_seed=VALIDATION_BASE_SEED, duration=float(duration))

    def key(self) -> str:
        """A short digest of the setup: cached results are used only for the same setup."""
        text = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """The setup as the preset file's ``validation`` block records it."""
        return {"source": self.source, "prompts": list(self.prompts), "seeds_per_prompt": self.replicates,
                "base_seed": self.base_seed, "interval": "95% Student-t over per-prompt means"}


def candidates(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """What is re-validated: the feasible search front, then the baseline trials (for comparison)."""
    front = feasible_front(study)
    numbers = {t.number for t in front}
    labelled = [(t, label) for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if (label := read(t, BaselineLabel)) and has(t, TrialParams) and t.number not in numbers]
    seen: set[str] = set()
    unique_baselines = []
    for t, label in labelled:
        if label.label not in seen:
            seen.add(label.label)
            unique_baselines.append(t)
    return front + unique_baselines


def prompt_clustered(values: Sequence[float], prompt_of: Sequence[int]) -> dict[str, Any]:
    """Mean, standard error and 95 % interval of clip scores, treating prompts as the sampling unit.

    Seeds of one prompt are not independent draws of the genre: a configuration that suits a prompt does so
    for every seed. So the clips are averaged per prompt and the spread is taken across prompt means
    (standard error ``std(ddof=1) / sqrt(P)``, interval ``mean ± t(0.975, P-1) · stderr``, Student's t). With
    a single prompt, clips are the unit instead. ``n`` is the number of units.

    Raises:
        ValueError: no values, or a NaN/infinite value.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("validation scores must be a non-empty list of finite numbers.")
    prompts = np.asarray(prompt_of)
    units = np.array([x[prompts == p].mean() for p in np.unique(prompts)]) if len(np.unique(prompts)) > 1 else x
    mean = float(units.mean())
    if units.size < 2:
        return {"mean": mean, "stderr": 0.0, "n": int(units.size), "ci95": [mean, mean]}
    stderr = float(units.std(ddof=1) / math.sqrt(units.size))
    half = float(stats.t.ppf(0.975, units.size - 1)) * stderr
    return {"mean": mean, "stderr": stderr, "n": int(units.size), "ci95": [mean - half, mean + half]}


def _summary(evaluation: Evaluation) -> dict[str, Any]:
    """Every re-validated objective: a prompt-clustered interval where it has per-unit samples, else its number."""
    out: dict[str, Any] = {}
    for objective in registered():
        if not objective.revalidated or (value := objective.value(evaluation)) is None:
            continue  # not measured in this study (fad without a reference set, melody without melodies)
        out[objective.name] = (prompt_clustered(*objective.samples(evaluation)) if objective.samples is not None
                               else value)
    return out | {"feasible": evaluation.feasible, "constraints": dict(evaluation.constraints)}


Evaluate = Callable[[list[DecodingParams]], Sequence["Evaluation | BaseException"]]


def validate_candidates(study: optuna.Study, trials: Sequence[optuna.trial.FrozenTrial], setup: ValidationSetup,
                        evaluate: Evaluate | None) -> dict[int, dict[str, Any]]:
    """Validation results of ``trials``, generating only those not cached in the study for ``setup``.

    Args:
        study: the study; its ``mgopt:validation:v1`` user attr caches results per setup key.
        trials: the candidates (:func:`candidates`).
        setup: prompts, seeds and duration of the validation.
        evaluate: generates and scores configurations on ``setup`` (an ``Evaluator.evaluate_many`` with the
            validation prompts and seeds, behind out-of-memory halving); one result or exception per
            configuration. None when no model is loaded: then only cached results are returned.

    Returns:
        ``{trial number: {clap: {mean, stderr, n, ci95}, repetition: {...}, diversity: {...} (n = prompts),
        [fad], feasible, constraints}}``, or ``{trial number: {"error": reason}}`` where the re-generation failed.
    """
    key = setup.key()
    cache = read(study, ValidationCache)
    results: dict[int, dict[str, Any]] = dict(cache.trials) if cache is not None and cache.key == key else {}
    missing = [t for t in trials if t.number not in results]
    if missing and evaluate is not None:
        params = [require(t, TrialParams).params for t in missing]
        for trial, outcome in zip(missing, evaluate(params), strict=True):
            if isinstance(outcome, BaseException):
                results[trial.number] = {"error": f"{type(outcome).__name__}: {str(outcome)[:200]}"}
            else:
                try:
                    results[trial.number] = _summary(outcome)
                except ValueError as exc:  # a NaN score
                    results[trial.number] = {"error": f"ValueError: {exc}"}
        write(study, ValidationCache(key, setup.describe(), results))
    return {t.number: results[t.number] for t in trials if t.number in results}
