"""The one place that turns a library error into the CLI's one-line message with the flag that fixes it.

Library code (everything outside ``optimizer/cli/``) raises typed errors (:mod:`optimizer._errors`,
:mod:`objectives._errors`) whose messages state the rule, the value and the fix in words; only here are
command-line flags named.
"""

from __future__ import annotations

from optimizer._errors import (
    GenreError,
    IncompatibleStudyError,
    MissingExtraError,
    PresetDocumentError,
    StorageError,
    UsageError,
)

__all__ = ["one_line"]

_STUDY_HINTS = {"compare": "drop --compare or pass --study-name NEW"}
"""Flag hints of :class:`IncompatibleStudyError` by field; every other field: ``pass --study-name NEW``."""

_PRESET_HINTS = {"missing": "pass --presets PATH or leave it out", "too_many": "or leave --presets out",
                 "other_study": "pass the matching --study-name or --presets"}
"""Flag hints of :class:`PresetDocumentError` (the ``report`` command) by reason."""


def _hint(exc: Exception) -> str | None:
    if isinstance(exc, IncompatibleStudyError):
        return _STUDY_HINTS.get(exc.field, "pass --study-name NEW")
    if isinstance(exc, GenreError) and str(exc).startswith("unknown genre"):
        return "pass --genre-file PATH; --list-genres describes them"
    if isinstance(exc, PresetDocumentError) and exc.reason in _PRESET_HINTS:
        return _PRESET_HINTS[exc.reason]
    if isinstance(exc, StorageError):
        return "check --storage"
    if isinstance(exc, MissingExtraError) and exc.feature == "pairwise mode":
        return "needed by --pairwise"
    if type(exc).__name__ == "NoFeasibleTrialError" and str(exc).endswith("without re-validation."):
        return "pass --validate-seeds 0"
    if type(exc).__name__ == "ModelLoadError" and getattr(exc, "option", None):  # objectives.generation's
        belongs_to = getattr(exc, "belongs_to", None)
        return f"pass it as --{belongs_to}" if belongs_to else f"to --{exc.option}"  # type: ignore[attr-defined]
    if type(exc).__name__ == "DeviceError":  # objectives._errors.DeviceError (objectives is not imported here)
        return "pass --device cpu" if str(exc).endswith("use the CPU.") else "pass --device auto, cpu, cuda or mps"
    return None


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

