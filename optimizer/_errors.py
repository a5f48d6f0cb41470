"""Errors that are the user's to fix: the CLI prints their message as one line and exits 2."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "UsageError"]

EXIT_USAGE = 2
"""Bad input: an argument, a genre file, a model name, a storage URL, an incompatible study."""
EXIT_FAILED = 1
"""The run started but could not finish (every trial failed, no feasible configuration)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""


class UsageError(ValueError):
    """Bad input, stated as one sentence with the rule, the value and the fix."""
