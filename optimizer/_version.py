"""The installed version of this tool (no torch, no Optuna)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "tool_version"]

DISTRIBUTION = "musicgen-decoding-optimizer"
"""The distribution name on PyPI, as in ``pyproject.toml``."""


def tool_version() -> str:
    """The installed distribution's version (e.g. ``"0.1.0"``), or ``"unknown"`` when run from a source tree that
    was never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
