"""argparse types for numbers at the edge of their type: refused while parsing, before anything is loaded."""

from __future__ import annotations

import argparse
import re

__all__ = ["SEED_MAX", "racing_level_arg", "seed_arg"]

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


def racing_level_arg(text: str) -> float:
    """Parse a ``--racing-level`` value: the one-sided level of racing's dominance test.

    Args:
        text: a decimal number strictly between 0 and 0.5 (0 would never stop a dominated trial; 0.5 and above
            would stop trials whose scores are merely not better on average).

    Returns:
        The level.

    Raises:
        argparse.ArgumentTypeError: not a number, not finite, or outside (0, 0.5); the value shown is cut to 24
            characters.
    """
    stripped = text.strip()
    shown = stripped if len(stripped) <= 24 else stripped[:21] + "..."
    try:
        value = float(stripped) if len(stripped) <= 40 else None
    except ValueError:
        value = None
    if value is None or not 0.0 < value < 0.5:  # NaN fails both comparisons
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 0.5 (exclusive), e.g. 0.05, but got "
                                         f"{shown!r}")
    return value
