"""The Optuna side: search space, genres, study, ask/tell runner, Pareto selection, preset export, CLI.

Preset reading and validation import without torch; the rest is loaded on first use (PEP 562).
"""

from __future__ import annotations

from objectives._lazy import lazy_getattr

__all__ = [
    "Genre",
    "NoFeasibleTrialError",
    "Preset",
    "PresetFile",
    "PresetFileError",
    "PresetValidationError",
    "RunSummary",
    "SearchSpace",
    "StudySpec",
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
    "Preset": "optimizer._loader",
    "PresetFile": "optimizer._loader",
    "PresetFileError": "optimizer._loader",
    "load_presets": "optimizer._loader",
    "load_genre_presets": "optimizer._loader",
    "resolve_preset": "optimizer._loader",
    "Genre": "optimizer._genre",
    "list_genres": "optimizer._genre",
    "load_genre": "optimizer._genre",
    "load_genre_file": "optimizer._genre",
    "NoFeasibleTrialError": "optimizer._presets",
    "PresetValidationError": "optimizer._schema",
    "build_presets": "optimizer._presets",
    "load_schema": "optimizer._schema",
    "validate_presets": "optimizer._schema",
    "write_presets": "optimizer._presets",
    "RunSummary": "optimizer._runner",
    "enqueue_references": "optimizer._baselines",
    "run_trials": "optimizer._runner",
    "SearchSpace": "optimizer._space",
    "StudySpec": "optimizer._study",
    "load_or_create_study": "optimizer._study",
    "make_sampler": "optimizer._samplers",
    "feasible_front": "optimizer._pareto",
    "name_front": "optimizer._pareto",
    "UsageError": "optimizer._errors",
}


__getattr__ = lazy_getattr(__name__, _LAZY)
