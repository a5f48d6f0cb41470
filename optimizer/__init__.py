"""The Optuna side: search space, genres, study, ask/tell runner, Pareto selection, preset export, CLI.

Preset reading and validation import without torch; the rest is loaded on first use (PEP 562).
"""

from __future__ import annotations

from objectives._lazy import lazy_getattr

__all__ = [
    "EmptyStudyError",
    "Genre",
    "GenreError",
    "IncompatibleStudyError",
    "MissingExtraError",
    "NoFeasibleTrialError",
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
    "Preset": "optimizer.presets._loader",
    "PresetFile": "optimizer.presets._loader",
    "PresetFileError": "optimizer.presets._loader",
    "UnknownPresetError": "optimizer.presets._loader",
    "load_presets": "optimizer.presets._loader",
    "load_genre_presets": "optimizer.presets._loader",
    "resolve_preset": "optimizer.presets._loader",
    "Genre": "optimizer.search._genre",
    "list_genres": "optimizer.search._genre",
    "load_genre": "optimizer.search._genre",
    "load_genre_file": "optimizer.search._genre",
    "NoFeasibleTrialError": "optimizer.export._presets",
    "PresetValidationError": "optimizer.presets._schema",
    "build_presets": "optimizer.export._presets",
    "load_schema": "optimizer.presets._schema",
    "validate_presets": "optimizer.presets._schema",
    "write_presets": "optimizer.export._presets",
    "RunSummary": "optimizer.search._runner",
    "enqueue_references": "optimizer.search._baselines",
    "run_trials": "optimizer.search._runner",
    "SearchSpace": "optimizer.search._space",
    "StudySpec": "optimizer.search._study",
    "load_or_create_study": "optimizer.search._study",
    "make_sampler": "optimizer.search._samplers",
    "feasible_front": "optimizer.export._pareto",
    "name_front": "optimizer.export._pareto",
    **{name: "optimizer._errors" for name in ("EmptyStudyError", "GenreError", "IncompatibleStudyError",
                                              "MissingExtraError", "PresetDocumentError", "StorageError",
                                              "StudyNotFoundError",
                                              "UsageError")},
}


__getattr__ = lazy_getattr(__name__, _LAZY)
