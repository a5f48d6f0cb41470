"""Turning MusicGen decoding parameters into scores: generation backends, scorers, the composite objective.

Knows nothing of Optuna. ``DecodingParams`` imports without torch; everything else is loaded on first use
(PEP 562), so a program that only reads presets does not need torch installed.
"""

from __future__ import annotations

from objectives._lazy import lazy_getattr
from objectives._params import DecodingParams
from objectives._registry import (
    Objective,
    UnknownObjectiveError,
    fixed_objectives,
    get_objective,
    objective_names,
    register,
    registered,
    revalidated_objectives,
    selectable_objectives,
    unregister,
)

__all__ = [
    "DEBUG_MODELS",
    "DEBUG_MODEL_NAME",
    "AudioInputError",
    "ClipScores",
    "DecodingParams",
    "Evaluation",
    "Evaluator",
    "Objective",
    "UnknownObjectiveError",
    "audio_header",
    "fixed_objectives",
    "get_objective",
    "load_clap",
    "load_generator",
    "objective_names",
    "read_audio",
    "register",
    "registered",
    "replicate_seed",
    "revalidated_objectives",
    "selectable_objectives",
    "unregister",
]

_LAZY = {
    "DEBUG_MODELS": "objectives._debug",
    "DEBUG_MODEL_NAME": "objectives._debug",
    "AudioInputError": "objectives._audio_input",
    "audio_header": "objectives._audio_input",
    "read_audio": "objectives._audio_input",
    "ClipScores": "objectives._evaluation",
    "Evaluation": "objectives._evaluation",
    "Evaluator": "objectives._evaluation",
    "replicate_seed": "objectives._evaluation",
    "load_clap": "objectives._loading",
    "load_generator": "objectives._loading",
}


__getattr__ = lazy_getattr(__name__, _LAZY)
