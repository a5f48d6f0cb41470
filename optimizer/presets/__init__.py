"""Reading and validating preset files: imports neither torch nor Optuna, so other programs can load presets."""

from optimizer.presets._loader import (
    Preset,
    PresetFile,
    PresetFileError,
    UnknownPresetError,
    load_genre_presets,
    load_presets,
    resolve_preset,
)
from optimizer.presets._schema import SCHEMA_VERSION, PresetValidationError, load_schema, validate_presets

__all__ = [
    "SCHEMA_VERSION",
    "Preset",
    "PresetFile",
    "PresetFileError",
    "PresetValidationError",
    "UnknownPresetError",
    "load_genre_presets",
    "load_presets",
    "load_schema",
    "resolve_preset",
    "validate_presets",
]
