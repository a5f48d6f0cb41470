"""Errors that are the user's to fix: the CLI prints their message as one line and exits 2."""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "OneLineArgumentParser", "UsageError"]

EXIT_USAGE = 2
"""Bad input: an argument, a genre file, a model name, a storage URL, an incompatible study."""
EXIT_FAILED = 1
"""The run started but could not finish (every trial failed, no feasible configuration)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGTERM gives 143: :func:`optimizer._interrupts.exit_code`)."""


class UsageError(ValueError):
    """Bad input, stated as one sentence with the rule, the value and the fix."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line (not usage + error) and exits with :data:`EXIT_USAGE`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
