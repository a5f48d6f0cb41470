"""The preset file format: its JSON Schema, version and validation (no torch, no Optuna)."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from objectives import registered

__all__ = ["READABLE_VERSIONS", "SCHEMA_VERSION", "PresetValidationError", "load_schema", "validate_presets"]

SCHEMA_VERSION = 2
"""The preset file version this package writes. 2: ``scores.diversity`` (and ``validation.diversity``) became
``{mean, stderr, n}`` over prompts, so a version-1 loader, which expects a number there, refuses the file with
"upgrade" instead of a field error."""
READABLE_VERSIONS = (1, 2)
"""The versions :func:`validate_presets` accepts: version 1 files (diversity a bare number) still load."""


class PresetValidationError(ValueError):
    """A preset document does not match the shipped JSON Schema (the message names the file and field)."""


@cache
def _shipped_schema() -> dict[str, Any]:
    return json.loads(resources.files("optimizer.presets").joinpath("preset.schema.json").read_text(encoding="utf-8"))


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every preset file validates against: the file shipped in this package,
    plus the score and validation fields of objectives registered beyond those it names
    (:mod:`objectives._registry`), so a new objective needs no schema edit.
    """
    schema = copy.deepcopy(_shipped_schema())
    scores = schema["$defs"]["entry"]["properties"]["scores"]["properties"]
    validation = schema["$defs"]["validation"]["properties"]
    for objective in registered():
        scores.setdefault(objective.name, {"oneOf": [{"$ref": "#/$defs/score"}, {"type": "number"}]})
        if objective.revalidated:
            validation.setdefault(objective.name, {"oneOf": [{"$ref": "#/$defs/interval_score"}, {"type": "number"}]})
    return schema


def validate_presets(document: Any, *, source: str = "preset document") -> None:
    """Check ``document`` against :func:`load_schema`.

    A ``schema_version`` outside :data:`READABLE_VERSIONS` is refused first, with its own message: a newer
    file needs a newer loader, which is not the same as a broken file.

    Raises:
        PresetValidationError: naming ``source`` and the first offending field.
    """
    if isinstance(document, dict) and isinstance(document.get("schema_version"), int) \
            and document["schema_version"] not in READABLE_VERSIONS:
        found = document["schema_version"]
        fix = ("upgrade musicgen-decoding-optimizer to read it" if found > SCHEMA_VERSION
               else "re-export it with optimize --export-only")
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise PresetValidationError(f"{source}: field 'schema_version': version {found} is not supported "
                                    f"(this loader reads versions {readable}); {fix}.")
    validator = jsonschema.Draft202012Validator(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise PresetValidationError(f"{source}: field '{where}': {error.message}")
