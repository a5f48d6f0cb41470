"""argparse types for numbers at the edge of their type: refused while parsing, before anything is loaded."""

from __future__ import annotations

import argparse
import re

__all__ = ["SEED_MAX", "seed_arg"]

SEED_MAX = 2**32 - 1
"""Largest seed: Optuna's samplers seed a ``numpy.random.RandomState``, which takes 0 to 2**32 - 1; torch's
generators (the decoding seeds) take more, so this one range fits every consumer."""
_DIGITS = re.compile(r"[+-]?[0-9]{1,40}")


def seed_arg(text: str) -> int:
    """Parse a ``--seed`` value.

    Args:
        text: the command-line string; a decimal integer from 0 to :data:`SEED_MAX`.

    Returns:
        The seed.

    Raises:
        argparse.ArgumentTypeError: not a decimal integer, or outside [0, SEED_MAX]; the message shows at most
            24 characters of the value (a 5000-digit number is never converted or echoed whole).
    """
    stripped = text.strip()
    shown = stripped if len(stripped) <= 24 else stripped[:21] + "..."
    # int() alone would raise on 4301+ digits (Python's int-string limit) and echo the whole value.
    value = int(stripped) if _DIGITS.fullmatch(stripped) else None
    if value is None or not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {SEED_MAX} (2**32 - 1) but got {shown!r}")
    return value
