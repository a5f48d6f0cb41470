"""The commands' argument parser: one line for a bad argument, ``--version``, help without docstring markup."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from optimizer._errors import EXIT_USAGE
from optimizer._version import tool_version

__all__ = ["OneLineArgumentParser", "plain_text"]

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
