"""Exporting the Pareto front as a preset file other programs load, and validating such files."""

from __future__ import annotations

import copy
import json
import math
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna

from objectives import get_objective, revalidated_objectives
from objectives.scoring import is_feasible
from optimizer import _keys
from optimizer._errors import NoFeasibleTrialError, NoValidatedCandidateError
from optimizer._outputs import preset_study, replace_own_file
from optimizer._payloads import has, read, require
from optimizer._record_payloads import PerPrompt, TrialParams
from optimizer._study_payloads import ListenerFeedback, StoredSpec
from optimizer._trial_payloads import BaselineLabel, TrialScores
from optimizer._version import DISTRIBUTION, tool_version
from optimizer.export._pareto import feasible_front, malformed_trials, name_front, name_points, non_dominated
from optimizer.presets import SCHEMA_VERSION, validate_presets

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = [
    "NoFeasibleTrialError",
    "baseline_entries",
    "build_presets",
    "preset_entry",
    "provenance",
    "rating_summaries",
    "write_presets",
]

def _mean(score: Any) -> float | None:
    """The mean of a ``{mean, stderr, n}`` score or a plain number; None when absent."""
    if isinstance(score, dict):
        return float(score["mean"])
    return None if score is None else float(score)


def _validation_fields(trial: optuna.trial.FrozenTrial, result: dict[str, Any] | None) -> dict[str, Any]:
    """``validation`` (re-validated scores) and ``optimism`` (search minus validation mean, per objective)."""
    if not result or "error" in result:
        return {}
    validation = {k: copy.deepcopy(v) for k, v in result.items() if k in (*revalidated_objectives(), "feasible")}
    scores = require(trial, TrialScores).to_dict()
    optimism = {}
    for name in revalidated_objectives():
        searched, validated = _mean(scores.get(name)), _mean(result.get(name))
        if searched is not None and validated is not None:
            optimism[name] = searched - validated
    return {"validation": validation, "optimism": optimism}


def _params_key(trial: optuna.trial.FrozenTrial) -> str:
    return json.dumps(require(trial, TrialParams).values, sort_keys=True)


def rating_summaries(trials: list[optuna.trial.FrozenTrial], objectives: list[str]) -> dict[str, dict[str, Any]]:
    """Listener ratings pooled per configuration: ``{params as sorted JSON: {mean, stderr, n}}``.

    Every COMPLETE trial with the same ``mgopt:params:v1`` counts (one rating each). ``stderr`` is the sample
    standard deviation over sqrt(n) (ddof=1), and None for a single rating: one rating says nothing about how
    much listeners disagree, and 0 would claim they never do. Empty when ``rating`` is not an objective.
    """
    if _keys.RATING not in objectives:
        return {}
    index = objectives.index(_keys.RATING)
    pooled: dict[str, list[float]] = {}
    for t in trials:
        if t.values is not None and len(t.values) == len(objectives) and has(t, TrialParams):
            pooled.setdefault(_params_key(t), []).append(float(t.values[index]))
    return {key: {"mean": statistics.fmean(r), "stderr": statistics.stdev(r) / math.sqrt(len(r)) if len(r) > 1
                  else None, "n": len(r)} for key, r in pooled.items()}


def preset_entry(trial: optuna.trial.FrozenTrial, feedback: dict[str, Any],
                 validation: dict[int, dict[str, Any]] | None = None,
                 ratings: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One preset entry of ``trial`` (it must carry ``mgopt:params:v1`` and ``mgopt:scores:v1``): trial number,
    strategy, params, scores (with the preset service's listener feedback where ``feedback`` has the trial, and
    the pooled listener rating of its params where ``ratings`` has them), the audiocraft and transformers
    renderings, and ``validation``/``optimism`` where ``validation`` has the trial."""
    params = require(trial, TrialParams).params
    scores = require(trial, TrialScores).to_dict()  # new dicts: entries must not share nested dicts
    if isinstance(scores.get("diversity"), (int, float)):  # recorded before diversity had a standard error
        scores["diversity"] = {"mean": float(scores["diversity"]), "stderr": None, "n": _prompt_count(trial)}
    if str(trial.number) in feedback:
        scores["listener_feedback"] = dict(feedback[str(trial.number)])
    if ratings and _params_key(trial) in ratings:
        scores["rating"] = dict(ratings[_params_key(trial)])
    return {
        "trial": trial.number,
        "strategy": params.strategy,
        "params": params.to_dict(),
        "scores": scores,
        "audiocraft": params.to_audiocraft(),
        "transformers": params.to_transformers(),
        **_validation_fields(trial, (validation or {}).get(trial.number)),
    }


def _prompt_count(trial: optuna.trial.FrozenTrial) -> int:
    """The number of prompts a trial was evaluated on (its per-prompt scores), at least 1."""
    return max(1, len((read(trial, PerPrompt) or PerPrompt()).rows))


def baseline_entries(trials: list[optuna.trial.FrozenTrial], feedback: dict[str, Any],
                     validation: dict[int, dict[str, Any]] | None = None,
                     ratings: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The enqueued reference trials among ``trials`` (first of each label), as entries with ``feasible``."""
    baselines: dict[str, Any] = {}
    for t in trials:
        label = stored.label if (stored := read(t, BaselineLabel)) is not None else None
        if label and label not in baselines and has(t, TrialParams):
            entry = preset_entry(t, feedback, validation, ratings)
            baselines[label] = {**entry, "feasible": is_feasible(t.constraints)}
    return baselines


def provenance(study: optuna.Study | PreferentialStudy, *, n_complete: int, n_feasible: int) -> dict[str, Any]:
    """The ``provenance`` block: tool and version, study name and the setup stored in its study spec."""
    spec = require(study, StoredSpec).values
    return {
        "tool": DISTRIBUTION,
        "tool_version": tool_version(),
        "study": study.study_name,
        "model": spec["model"],
        "backend": spec["backend"],
        "clap": spec["clap"],
        "duration_s": spec["duration"],
        "audio_channels": spec.get("audio_channels", 1),
        **({"dtype": spec["dtype"]} if spec.get("dtype") else {}),
        **({"conditioning": {k: spec[k] for k in ("continuation", "melody") if spec.get(k)}}
           if spec.get("continuation") or spec.get("melody") else {}),
        "replicates": spec["replicates"],
        "base_seed": spec["base_seed"],
        "prompts": spec["prompts"],
        "n_trials_complete": n_complete,
        "n_trials_feasible": n_feasible,
    }


def _validated_front(front: list[optuna.trial.FrozenTrial], results: dict[int, dict[str, Any]],
                     objectives: list[str], directions: list[str]) -> dict[str, optuna.trial.FrozenTrial]:
    """Named presets among the search front, chosen on re-validated scores (objectives a validation cannot
    measure, such as a rating, keep their search values); candidates degenerate on validation drop out.

    Raises:
        NoValidatedCandidateError: no candidate stayed non-degenerate on validation.
    """
    passed = [t for t in front if results.get(t.number, {}).get("feasible")]
    revalidated = revalidated_objectives()
    if not passed:
        raise NoValidatedCandidateError(
            f"none of the {len(front)} Pareto candidate(s) stayed non-degenerate when re-generated on the "
            "validation prompts; run more trials, or export without re-validation.")
    values = np.array([[_mean(results[t.number].get(name)) if name in revalidated else t.values[i]
                        for i, name in enumerate(objectives)] for t in passed], dtype=np.float64)
    keep = non_dominated(values, directions)
    chosen = [passed[i] for i in keep]
    named = {name: chosen[i] for name, i in name_points(values[keep], objectives, directions).items()}
    picked = {t.number for t in named.values()}
    return named | {f"pareto_{t.number}": t for t in chosen if t.number not in picked}


def build_presets(study: optuna.Study, *, genre: str, validation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The preset document of ``study``: named Pareto presets, baselines and provenance.

    Args:
        study: a study of this tool.
        genre: the genre name.
        validation: ``{"setup": ValidationSetup.describe(), "results": {trial number: result}}`` from
            :func:`optimizer.export._validation.validate_candidates`, or None. With it, presets are chosen among the
            search front by their re-validated scores, every entry carries ``validation`` and ``optimism``
            (search mean minus validation mean: positive means the search overrated a maximised objective,
            negative means it underrated a minimised one), and the document lists every candidate.

    Raises:
        NoFeasibleTrialError: no completed, feasible trial (or none stayed feasible on validation).
    """
    front = feasible_front(study)
    if not front:
        raise NoFeasibleTrialError(
            f"study {study.study_name!r} has no completed, non-degenerate trial to export yet; run more trials.")
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    feasible = [t for t in complete if is_feasible(t.constraints)]
    spec = require(study, StoredSpec).values
    objectives = list(spec.get("objectives", _keys.BASE_OBJECTIVES))
    directions = [d.name.lower() for d in study.directions]
    feedback = (read(study, ListenerFeedback) or ListenerFeedback()).to_dict()
    results = validation["results"] if validation else None
    malformed = {t.number for t in malformed_trials(study)}
    ratings = rating_summaries([t for t in complete if t.number not in malformed], objectives)
    named = (_validated_front(front, results, objectives, directions) if results is not None
             else name_front(front, objectives, directions))
    document = {
        "schema_version": SCHEMA_VERSION,
        "genre": genre,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": provenance(study, n_complete=len(complete), n_feasible=len(feasible)),
        "objectives": [{"name": n, "direction": d, "description": get_objective(n).description}
                       for n, d in zip(objectives, directions, strict=True)],
        "presets": {name: preset_entry(t, feedback, results, ratings) for name, t in named.items()},
        "baselines": baseline_entries(complete, feedback, results, ratings),
    }
    if validation is not None and results is not None:
        chosen = {t.number for t in named.values()}
        document["validation"] = {**validation["setup"], "candidates": [
            {"trial": t.number, "selected": t.number in chosen,
             **({"error": results[t.number]["error"]} if "error" in results.get(t.number, {}) else {}),
             **_validation_fields(t, results.get(t.number))} for t in front]}
    return document


def write_presets(document: dict[str, Any], path: Path, *, overwrite: bool = False,
                  hint: str = "choose another path") -> Path:
    """Validate ``document`` and write it to ``path`` atomically (a reader never sees half a file).

    An existing ``path`` is replaced only when it is a preset file of the same study (its ``provenance.study``),
    or with ``overwrite`` when it is a regular file; a link, folder or special file never is
    (:mod:`optimizer._outputs`).

    Raises:
        PresetValidationError: the document does not match the schema (nothing is written).
        OutputPathError: ``path`` is another study's or program's file, or a special file (``hint`` ends it).
        OSError: the folder cannot be created or written.
    """
    validate_presets(document, source=str(path))
    return replace_own_file(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n", what="the preset file",
                            hint=hint, study=document["provenance"]["study"], study_of=preset_study,
                            overwrite=overwrite)
