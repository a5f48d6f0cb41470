"""The Optuna side: search space, genres, study, ask/tell runner, Pareto selection, preset export, CLI.

Preset reading and validation import without torch; the rest is loaded on first use (PEP 562).
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer._errors import (
        EmptyStudyError,
        GenreError,
        IncompatibleStudyError,
        MissingExtraError,
        NoFeasibleTrialError,
        NoValidatedCandidateError,
        PresetDocumentError,
        StorageError,
        StudyNotFoundError,
        UnknownGenreError,
        UsageError,
    )
    from optimizer.export import build_presets, feasible_front, name_front, write_presets
    from optimizer.presets import (
        Preset,
        PresetFile,
        PresetFileError,
        PresetValidationError,
        UnknownPresetError,
        load_genre_presets,
        load_presets,
        load_schema,
        resolve_preset,
        validate_presets,
    )
    from optimizer.search import (
        Genre,
        RunSummary,
        SearchSpace,
        StudySpec,
        enqueue_references,
        list_genres,
        load_genre,
        load_genre_file,
        load_or_create_study,
        make_sampler,
        run_trials,
    )

__all__ = [
    "EmptyStudyError",
    "Genre",
    "GenreError",
    "IncompatibleStudyError",
    "MissingExtraError",
    "NoFeasibleTrialError",
    "NoValidatedCandidateError",
    "Preset",
    "PresetDocumentError",
    "PresetFile",
    "PresetFileError",
    "PresetValidationError",
    "RunSummary",
    "SearchSpace",
    "StorageError",
    "StudyNotFoundError",
    "StudySpec",
    "UnknownGenreError",
    "UnknownPresetError",
    "UsageError",
    "build_presets",
    "enqueue_references",
    "feasible_front",
    "list_genres",
    "load_genre",
    "load_genre_file",
    "load_genre_presets",
    "load_or_create_study",
    "load_presets",
    "load_schema",
    "make_sampler",
    "name_front",
    "resolve_preset",
    "run_trials",
    "validate_presets",
    "write_presets",
]

_LAZY = {
    "EmptyStudyError": "optimizer._errors",
    "GenreError": "optimizer._errors",
    "IncompatibleStudyError": "optimizer._errors",
    "MissingExtraError": "optimizer._errors",
    "NoFeasibleTrialError": "optimizer._errors",
    "NoValidatedCandidateError": "optimizer._errors",
    "PresetDocumentError": "optimizer._errors",
    "StorageError": "optimizer._errors",
    "StudyNotFoundError": "optimizer._errors",
    "UnknownGenreError": "optimizer._errors",
    "UsageError": "optimizer._errors",
    "build_presets": "optimizer.export",
    "feasible_front": "optimizer.export",
    "name_front": "optimizer.export",
    "write_presets": "optimizer.export",
    "Preset": "optimizer.presets",
    "PresetFile": "optimizer.presets",
    "PresetFileError": "optimizer.presets",
    "PresetValidationError": "optimizer.presets",
    "UnknownPresetError": "optimizer.presets",
    "load_genre_presets": "optimizer.presets",
    "load_presets": "optimizer.presets",
    "load_schema": "optimizer.presets",
    "resolve_preset": "optimizer.presets",
    "validate_presets": "optimizer.presets",
    "Genre": "optimizer.search",
    "RunSummary": "optimizer.search",
    "SearchSpace": "optimizer.search",
    "StudySpec": "optimizer.search",
    "enqueue_references": "optimizer.search",
    "list_genres": "optimizer.search",
    "load_genre": "optimizer.search",
    "load_genre_file": "optimizer.search",
    "load_or_create_study": "optimizer.search",
    "make_sampler": "optimizer.search",
    "run_trials": "optimizer.search",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
