"""Turning MusicGen decoding parameters into scores: generation backends, scorers, the composite objective.

Knows nothing of Optuna. ``DecodingParams`` imports without torch; everything else is loaded on first use
(PEP 562), so a program that only reads presets does not need torch installed.
"""

from typing import TYPE_CHECKING

from objectives._dtypes import DTYPE_NAMES, check_dtype_name
from objectives._errors import DeviceError, DeviceUnavailableError, ModelLoadError
from objectives._lazy import lazy_getattr
from objectives._params import DEFAULT_EXTEND_STRIDE, DecodingParams
from objectives._registry import (
    Diagnostic,
    Objective,
    UnknownObjectiveError,
    diagnostics,
    fixed_objectives,
    get_objective,
    measured_metrics,
    objective_names,
    register,
    register_diagnostic,
    registered,
    revalidated_objectives,
    scorer_of,
    selectable_objectives,
    study_objectives,
    unregister,
)

if TYPE_CHECKING:
    from objectives._audio_input import AudioInputError, audio_header, read_audio
    from objectives._debug import DEBUG_MODEL_NAME, DEBUG_MODELS
    from objectives._evaluation import Evaluator, replicate_seed
    from objectives._loading import check_backend, load_clap, load_generator
    from objectives._results import ClipScores, Evaluation

__all__ = [
    "DEBUG_MODELS",
    "DEBUG_MODEL_NAME",
    "DEFAULT_EXTEND_STRIDE",
    "DTYPE_NAMES",
    "AudioInputError",
    "ClipScores",
    "DecodingParams",
    "DeviceError",
    "DeviceUnavailableError",
    "Diagnostic",
    "Evaluation",
    "Evaluator",
    "ModelLoadError",
    "Objective",
    "UnknownObjectiveError",
    "audio_header",
    "check_backend",
    "check_dtype_name",
    "diagnostics",
    "fixed_objectives",
    "get_objective",
    "lazy_getattr",
    "load_clap",
    "load_generator",
    "measured_metrics",
    "objective_names",
    "read_audio",
    "register",
    "register_diagnostic",
    "registered",
    "replicate_seed",
    "revalidated_objectives",
    "scorer_of",
    "selectable_objectives",
    "study_objectives",
    "unregister",
]

_LAZY = {
    "AudioInputError": "objectives._audio_input",
    "audio_header": "objectives._audio_input",
    "read_audio": "objectives._audio_input",
    "DEBUG_MODELS": "objectives._debug",
    "DEBUG_MODEL_NAME": "objectives._debug",
    "ClipScores": "objectives._results",
    "Evaluation": "objectives._results",
    "Evaluator": "objectives._evaluation",
    "replicate_seed": "objectives._evaluation",
    "check_backend": "objectives._loading",
    "load_clap": "objectives._loading",
    "load_generator": "objectives._loading",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
