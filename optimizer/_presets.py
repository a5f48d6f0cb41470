"""Exporting the Pareto front as a preset file other programs load, and validating such files."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna

from objectives._params import DecodingParams
from optimizer import _keys
from optimizer._pareto import feasible_front, name_front
from optimizer._schema import SCHEMA_VERSION, validate_presets

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = [
    "NoFeasibleTrialError",
    "baseline_entries",
    "build_presets",
    "is_feasible",
    "preset_entry",
    "provenance",
    "write_presets",
]

_OBJECTIVE_TEXT = {
    "clap": "CLAP prompt adherence: cosine of prompt text and clip audio embeddings (higher is better)",
    "repetition": "share of the clip that repeats another segment near-exactly, 0-1 (lower is better)",
    "diversity": "mean pairwise cosine distance of CLAP audio embeddings across seeds of a prompt (higher is "
                 "more varied)",
}


class NoFeasibleTrialError(RuntimeError):
    """The study has no completed, non-degenerate trial to export."""


def preset_entry(trial: optuna.trial.FrozenTrial, feedback: dict[str, Any]) -> dict[str, Any]:
    """One preset entry of ``trial`` (it must carry ``mgopt:params:v1`` and ``mgopt:scores:v1``): trial number,
    strategy, params, scores (with the preset service's listener feedback where ``feedback`` has the trial)
    and the audiocraft and transformers renderings."""
    params = DecodingParams.from_dict(trial.user_attrs[_keys.PARAMS])
    scores = copy.deepcopy(trial.user_attrs[_keys.SCORES])  # entries must not share nested dicts
    if str(trial.number) in feedback:
        scores["listener_feedback"] = dict(feedback[str(trial.number)])
    return {
        "trial": trial.number,
        "strategy": params.strategy,
        "params": params.to_dict(),
        "scores": scores,
        "audiocraft": params.to_audiocraft(),
        "transformers": params.to_transformers(),
    }


def is_feasible(trial: optuna.trial.FrozenTrial) -> bool:
    """Every degeneracy constraint of ``trial`` is <= 0 (no silent, noisy or clipped clip)."""
    return all(v <= 0.0 for v in trial.constraints.values())


def baseline_entries(trials: list[optuna.trial.FrozenTrial], feedback: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The enqueued reference trials among ``trials`` (first of each label), as entries with ``feasible``."""
    baselines: dict[str, Any] = {}
    for t in trials:
        label = t.user_attrs.get(_keys.BASELINE)
        if label and label not in baselines and _keys.PARAMS in t.user_attrs:
            baselines[label] = {**preset_entry(t, feedback), "feasible": is_feasible(t)}
    return baselines


def provenance(study: optuna.Study | PreferentialStudy, *, n_complete: int, n_feasible: int) -> dict[str, Any]:
    """The ``provenance`` block: tool and version, study name and the setup stored in its study spec."""
    spec = study.user_attrs[_keys.STUDY_SPEC]
    try:
        tool_version = version("musicgen-decoding-optimizer")
    except PackageNotFoundError:
        tool_version = "unknown"
    return {
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
        "n_trials_complete": n_complete,
        "n_trials_feasible": n_feasible,
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
    feasible = [t for t in complete if is_feasible(t)]
    spec = study.user_attrs[_keys.STUDY_SPEC]
    objectives = list(spec.get("objectives", _keys.OBJECTIVES))
    directions = [d.name.lower() for d in study.directions]
    feedback = study.user_attrs.get(_keys.LISTENER_FEEDBACK, {})
    return {
        "schema_version": SCHEMA_VERSION,
        "genre": genre,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": provenance(study, n_complete=len(complete), n_feasible=len(feasible)),
        "objectives": [{"name": n, "direction": d, "description": _OBJECTIVE_TEXT[n]}
                       for n, d in zip(objectives, directions, strict=True)],
        "presets": {name: preset_entry(t, feedback)
                    for name, t in name_front(front, objectives, directions).items()},
        "baselines": baseline_entries(complete, feedback),
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
