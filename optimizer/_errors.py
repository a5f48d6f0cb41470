"""Errors that are the user's to fix: the CLI prints their message as one line and exits 2."""

from __future__ import annotations

from typing import Any

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "EmptyStudyError", "GenreError",
           "IncompatibleStudyError", "MissingExtraError", "NoFeasibleTrialError", "NoValidatedCandidateError",
           "PresetDocumentError", "StorageError", "StorageWriteError", "StudyNotFoundError", "UnknownGenreError",
           "UsageError"]

EXIT_USAGE = 2
"""Bad input: an argument, a genre file, a model name, a storage URL, an incompatible study."""
EXIT_FAILED = 1
"""The run started but could not finish (every trial failed, no feasible configuration)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGTERM gives 143: :func:`optimizer.search._interrupts.exit_code`)."""


class UsageError(ValueError):
    """Bad input, stated as one sentence with the rule, the value and the fix.

    The CLI raises it directly; library code raises one of its typed subclasses below, whose messages name no
    command-line flag (:func:`optimizer.cli._errors.one_line` adds the flag that fixes it).
    """


class StorageWriteError(RuntimeError):
    """The storage refused a write during a run (full disk, read-only file system): one sentence, exit
    :data:`EXIT_FAILED` (the input was good; the machine was not), with what was complete kept."""


class StorageError(UsageError):
    """A storage that cannot be opened or created (malformed URL, missing driver, unreachable server, damaged or
    read-only file). The message names the URL and the reason; no command-line flag.

    Attributes:
        url: the storage as displayed: its password masked (never the secret itself).
    """

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class StudyNotFoundError(UsageError):
    """No storage at the URL, or no study of that name in it (the message lists the studies it holds).

    Attributes:
        url: the storage as displayed (password masked).
        name: the study name looked for.
    """

    def __init__(self, url: str, name: str, message: str) -> None:
        super().__init__(message)
        self.url, self.name = url, name


class EmptyStudyError(UsageError):
    """A study that has no completed trial yet, asked for what needs one (a report)."""


class IncompatibleStudyError(UsageError):
    """An existing study cannot take this run's trials: one of its stored settings differs from this run's.

    The message states the study, the setting, both values and why they cannot be mixed, and ends with the fix in
    words (start a separate study); the CLI adds the flag that does it.

    Attributes:
        study: the study name.
        field: the setting that differs (``model``, ``duration``, ``objectives``, ``scoring``, ``compare``,
            ``kind`` for a pairwise study met by a regular run or the reverse, ...).
        stored: the study's value.
        wanted: this run's value.
    """

    def __init__(self, study: str, field: str, stored: Any, wanted: Any, message: str) -> None:
        super().__init__(message)
        self.study, self.field, self.stored, self.wanted = study, field, stored, wanted


class GenreError(UsageError):
    """An unknown shipped genre, or a genre file that is missing, unreadable or malformed (the message names the
    file and the field)."""


class UnknownGenreError(GenreError):
    """A genre name that is neither shipped nor a genre file (the message lists the shipped ones)."""


class NoFeasibleTrialError(RuntimeError):
    """The study has no completed, non-degenerate trial to export."""


class NoValidatedCandidateError(NoFeasibleTrialError):
    """Every Pareto candidate turned degenerate when re-generated on the validation prompts (exporting without
    re-validation keeps the search's values)."""


class MissingExtraError(UsageError):
    """An optional dependency a mode needs is not installed; the message gives the install command.

    Attributes:
        feature: what needs it (e.g. ``pairwise mode``).
    """

    def __init__(self, feature: str, message: str) -> None:
        super().__init__(message)
        self.feature = feature


class PresetDocumentError(UsageError):
    """A preset file the report cannot use (missing, not a preset file, too many entries, from another study).

    Attributes:
        path: the file.
        reason: ``missing``, ``malformed``, ``too_many`` or ``other_study``.
    """

    def __init__(self, path: object, reason: str, message: str) -> None:
        super().__init__(message)
        self.path, self.reason = path, reason
