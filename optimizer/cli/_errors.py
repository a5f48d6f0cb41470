"""The one place that turns a library error into the CLI's one-line message with the flag that fixes it.

Library code (everything outside ``optimizer/cli/``) raises typed errors (:mod:`optimizer._errors`,
:mod:`objectives._errors`) whose messages state the rule, the value and the fix in words; only here are
command-line flags named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from objectives import DeviceError, DeviceUnavailableError, ModelLoadError
from optimizer._errors import (
    IncompatibleStudyError,
    MissingExtraError,
    NoValidatedCandidateError,
    PresetDocumentError,
    StorageError,
    UnknownGenreError,
    UsageError,
)

__all__ = ["one_line"]

_STUDY_HINTS = {"compare": "drop --compare or pass --study-name NEW"}
"""Flag hints of :class:`IncompatibleStudyError` by field; every other field: ``pass --study-name NEW``."""

_PRESET_HINTS = {"missing": "pass --presets PATH or leave it out", "too_many": "or leave --presets out",
                 "other_study": "pass the matching --study-name or --presets"}
"""Flag hints of :class:`PresetDocumentError` (the ``report`` command) by reason."""


def _model_hint(exc: ModelLoadError) -> str | None:
    if not exc.option:
        return None
    return f"pass it as --{exc.belongs_to}" if exc.belongs_to else f"to --{exc.option}"


_HINTS: dict[type[Exception], Callable[[Any], str | None]] = {
    IncompatibleStudyError: lambda exc: (f"pass --dtype {exc.stored} or --study-name NEW" if exc.field == "dtype"
                                         else _STUDY_HINTS.get(exc.field, "pass --study-name NEW")),
    UnknownGenreError: lambda exc: "pass --genre-file PATH; --list-genres describes them",
    PresetDocumentError: lambda exc: _PRESET_HINTS.get(exc.reason),
    StorageError: lambda exc: "check --storage",
    MissingExtraError: lambda exc: "needed by --pairwise" if exc.feature == "pairwise mode" else None,
    NoValidatedCandidateError: lambda exc: "pass --validate-seeds 0",
    ModelLoadError: _model_hint,
    DeviceUnavailableError: lambda exc: "pass --device cpu",
    DeviceError: lambda exc: "pass --device auto, cpu, cuda or mps",
}
"""The flag that fixes each error type (the most specific type in the error's MRO wins); None: no hint."""


def _hint(exc: Exception) -> str | None:
    owner = next((cls for cls in type(exc).__mro__ if cls in _HINTS), None)
    return None if owner is None else _HINTS[owner](exc)


def one_line(exc: Exception) -> str:
    """``exc``'s message with the flag that fixes it, e.g. ``study 'x' was run with a different duration (...);
    ...; start a separate study under another name (pass --study-name NEW).``

    Args:
        exc: a :class:`~optimizer._errors.UsageError` (CLI errors pass through unchanged) or a typed library
            error.

    Returns:
        One sentence, ending with a period; the password of any URL in it is shown as ``***``.
    """
    from optimizer.search import mask_secrets  # no password of a URL is ever printed

    message = mask_secrets(str(exc).strip())
    hint = None if type(exc) is UsageError else _hint(exc)
    if hint is None:
        return message
    return f"{message.removesuffix('.')} ({hint})."

