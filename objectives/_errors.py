"""Errors of the objectives package that are the user's to fix; messages name no command-line flag."""

from __future__ import annotations

__all__ = ["DeviceError"]


class DeviceError(ValueError):
    """A torch device that is malformed or not available on this machine.

    Attributes:
        requested: the device as asked for (``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``).
    """

    def __init__(self, requested: str, message: str) -> None:
        super().__init__(message)
        self.requested = requested
