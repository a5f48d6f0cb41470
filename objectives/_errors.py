"""Errors of the objectives package that are the user's to fix; messages name no command-line flag."""

from __future__ import annotations

__all__ = ["DeviceError", "DeviceUnavailableError", "ModelLoadError", "first_line"]


class DeviceError(ValueError):
    """A torch device that is malformed or not available on this machine.

    Attributes:
        requested: the device as asked for (``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``).
    """

    def __init__(self, requested: str, message: str) -> None:
        super().__init__(message)
        self.requested = requested


class DeviceUnavailableError(DeviceError):
    """A device kind this machine or torch build lacks altogether (no CUDA GPU, no MPS): the CPU is the fix."""


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says what to do, in words (no command-line flag).

    Attributes:
        option: which input was wrong: ``"model"`` (the MusicGen), ``"clap"`` or ``"backend"``; None when unknown.
            The CLI names its flag (:func:`optimizer.cli._errors.one_line`).
        belongs_to: the input a directory given as ``option`` suits instead (a CLAP checkpoint given as the
            MusicGen: ``"clap"``), else None.
    """

    def __init__(self, message: str, *, option: str | None = None, belongs_to: str | None = None) -> None:
        super().__init__(message)
        self.option, self.belongs_to = option, belongs_to


def first_line(exc: BaseException) -> str:
    """An exception's first line, at most 200 characters (transformers' messages run to paragraphs)."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200].rstrip(".")
