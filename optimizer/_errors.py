"""Errors that are the user's to fix: the CLI prints their message as one line and exits 2."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from optimizer._version import tool_version

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "OneLineArgumentParser", "StorageWriteError", "UsageError",
           "plain_text"]

EXIT_USAGE = 2
"""Bad input: an argument, a genre file, a model name, a storage URL, an incompatible study."""
EXIT_FAILED = 1
"""The run started but could not finish (every trial failed, no feasible configuration)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGTERM gives 143: :func:`optimizer._interrupts.exit_code`)."""


class UsageError(ValueError):
    """Bad input, stated as one sentence with the rule, the value and the fix."""


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain_text(text: str) -> str:
    """``text`` without reStructuredText inline markup: double-backtick literals and role references
    (``:func:`name```) become their bare text.

    Module docstrings double as ``--help`` descriptions; a terminal shows markup literally.
    """
    return _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text))


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line (not usage + error) and exits with :data:`EXIT_USAGE`,
    adds ``--version`` (the installed distribution's version) and prints its help as plain text (no
    reStructuredText markup from docstrings used as descriptions)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--version", action="version", version=f"%(prog)s {tool_version()}",
                          help="print the version and exit")

    def format_help(self) -> str:
        """The help text, without reStructuredText markup (see :func:`plain_text`)."""
        return plain_text(super().format_help())

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class StorageWriteError(RuntimeError):
    """The storage refused a write during a run (full disk, read-only file system): one sentence, exit
    :data:`EXIT_FAILED` (the input was good; the machine was not), with what was complete kept."""
