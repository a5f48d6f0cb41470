"""Command-line value types the benchmark scripts share (argparse ``type=`` callables, so a bad value is argparse's
one-line usage error with exit 2, never a traceback)."""

from __future__ import annotations

import argparse
import re

__all__ = ["whole_numbers"]

_LIST = re.compile(r"[0-9]+(?:,[0-9]+)*")
"""ASCII digit runs only: ``str.isdigit`` and ``int`` also take ``'²'`` or Arabic-Indic digits."""


def whole_numbers(text: str) -> list[int]:
    """``"1,8,48"`` -> ``[1, 8, 48]``: comma-separated whole numbers, each at least 1 (clip counts, rows, batches).

    Raises:
        argparse.ArgumentTypeError: anything else (empty, signs, spaces, zero, non-ASCII digits).
    """
    numbers = [int(part) for part in text.split(",")] if _LIST.fullmatch(text) else []
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"must be comma-separated whole numbers of at least 1 but got {text!r}")
    return numbers
