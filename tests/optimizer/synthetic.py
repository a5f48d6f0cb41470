"""Synthetic studies with known scores, for preset export, loading and the preset service."""

from __future__ import annotations

import dataclasses

import optuna

from objectives import DecodingParams
from optimizer import StudySpec, _keys

SPEC = StudySpec(genre="jazz", model="debug", backend="transformers", clap="debug", duration=2.0, replicates=2,
                 base_seed=0, prompts=("a", "b"))


def _trial(number_hint, clap, repetition, *, feasible=True, params=None, baseline=None):
    params = params or DecodingParams(temperature=0.5 + 0.01 * number_hint, top_k=100 + number_hint)
    attrs = {
        _keys.PARAMS: params.to_dict(),
        _keys.SCORES: {"clap": {"mean": clap, "stderr": 0.01, "n": 4},
                       "repetition": {"mean": repetition, "stderr": 0.02, "n": 4}, "diversity": 0.1},
    }
    if baseline:
        attrs[_keys.BASELINE] = baseline
    return optuna.trial.create_trial(values=[clap, repetition], user_attrs=attrs,
                                     system_attrs={"constraints:noise": -0.1 if feasible else 0.2})


def make_study(points, storage=None, name="jazz/debug", **spec):
    """A study of this tool's shape whose trials have the given ``(clap, repetition[, options])``; ``spec`` changes
    fields of :data:`SPEC` (``model="other"``, ``continuation=(...)``)."""
    study = optuna.create_study(directions=list(_keys.DIRECTIONS), study_name=name, storage=storage)
    study.set_user_attr(_keys.STUDY_SPEC, dataclasses.replace(SPEC, **spec).to_dict())
    for i, point in enumerate(points):
        study.add_trial(_trial(i, *point[:2], **(point[2] if len(point) > 2 else {})))
    return study
