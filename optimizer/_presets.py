"""Exporting the Pareto front as a preset file other programs load, and validating such files."""

from __future__ import annotations

import copy
import json
import math
import os
import statistics
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import optuna

from objectives._params import DecodingParams
from optimizer import _keys
from optimizer._pareto import feasible_front, malformed_trials, name_front
from optimizer._schema import SCHEMA_VERSION, validate_presets

__all__ = ["NoFeasibleTrialError", "build_presets", "rating_summaries", "write_presets"]

_OBJECTIVE_TEXT = {
    "clap": "CLAP prompt adherence: cosine of prompt text and clip audio embeddings (higher is better)",
    "repetition": "share of the clip that repeats another segment near-exactly, 0-1 (lower is better)",
    "diversity": "mean pairwise cosine distance of CLAP audio embeddings across seeds of a prompt (higher is "
                 "more varied)",
    "rating": "a listener's rating of the trial's clips in optuna-dashboard, 1-10 (higher is better); scores.rating "
              "pools every rated trial with the same params (stderr null below 2 ratings)",
}


class NoFeasibleTrialError(RuntimeError):
    """The study has no completed, non-degenerate trial to export."""


def _params_key(trial: optuna.trial.FrozenTrial) -> str:
    return json.dumps(trial.user_attrs[_keys.PARAMS], sort_keys=True)


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
        if t.values is not None and len(t.values) == len(objectives) and _keys.PARAMS in t.user_attrs:
            pooled.setdefault(_params_key(t), []).append(float(t.values[index]))
    return {key: {"mean": statistics.fmean(r), "stderr": statistics.stdev(r) / math.sqrt(len(r)) if len(r) > 1
                  else None, "n": len(r)} for key, r in pooled.items()}


def _entry(trial: optuna.trial.FrozenTrial, feedback: dict[str, Any],
           ratings: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    params = DecodingParams.from_dict(trial.user_attrs[_keys.PARAMS])
    scores = copy.deepcopy(trial.user_attrs[_keys.SCORES])  # entries must not share nested dicts
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
    }


def build_presets(study: optuna.Study, *, genre: str) -> dict[str, Any]:
    """The preset document of ``study``: named Pareto presets, baselines and provenance.

    Raises:
        NoFeasibleTrialError: no completed, feasible trial.
    """
    front = feasible_front(study)
    if not front:
        raise NoFeasibleTrialError(
            f"study {study.study_name!r} has no completed, non-degenerate trial to export yet; run more trials.")
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    feasible = [t for t in complete if all(v <= 0.0 for v in t.constraints.values())]
    spec = study.user_attrs[_keys.STUDY_SPEC]
    objectives = list(spec.get("objectives", _keys.OBJECTIVES))
    directions = [d.name.lower() for d in study.directions]
    feedback = study.user_attrs.get(_keys.LISTENER_FEEDBACK, {})
    malformed = {t.number for t in malformed_trials(study)}
    ratings = rating_summaries([t for t in complete if t.number not in malformed], objectives)
    baselines: dict[str, Any] = {}
    for t in complete:
        label = t.user_attrs.get(_keys.BASELINE)
        if label and label not in baselines and _keys.PARAMS in t.user_attrs:
            feasible_t = all(v <= 0.0 for v in t.constraints.values())
            baselines[label] = {**_entry(t, feedback, ratings), "feasible": feasible_t}
    try:
        tool_version = version("musicgen-decoding-optimizer")
    except PackageNotFoundError:
        tool_version = "unknown"
    return {
        "schema_version": SCHEMA_VERSION,
        "genre": genre,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": {
            "tool": "musicgen-decoding-optimizer",
            "tool_version": tool_version,
            "study": study.study_name,
            "model": spec["model"],
            "backend": spec["backend"],
            "clap": spec["clap"],
            "duration_s": spec["duration"],
            "replicates": spec["replicates"],
            "base_seed": spec["base_seed"],
            "prompts": spec["prompts"],
            "n_trials_complete": len(complete),
            "n_trials_feasible": len(feasible),
        },
        "objectives": [{"name": n, "direction": d, "description": _OBJECTIVE_TEXT[n]}
                       for n, d in zip(objectives, directions, strict=True)],
        "presets": {name: _entry(t, feedback, ratings)
                    for name, t in name_front(front, objectives, directions).items()},
        "baselines": baselines,
    }


def write_presets(document: dict[str, Any], path: Path) -> Path:
    """Validate ``document`` and write it to ``path`` atomically (a reader never sees half a file).

    Raises:
        PresetValidationError: the document does not match the schema (nothing is written).
        OSError: the folder cannot be created or written.
    """
    validate_presets(document, source=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
