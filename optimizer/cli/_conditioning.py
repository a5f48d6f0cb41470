"""Command-line inputs that condition generation on audio (issue 12): ``--continuation`` and ``--melody``.

The flags live here; reading and checking the files is :mod:`optimizer.run`'s (:func:`optimizer.run.load_conditioning`),
and these adapters hand it the parsed values.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from optimizer.run import Conditioning, load_conditioning
from optimizer.run import read_melodies as _read_melodies

__all__ = ["add_conditioning_arguments", "add_melody_argument", "check_conditioning", "read_melodies"]


def add_conditioning_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``conditioning`` group: ``--continuation FILE`` (repeatable)."""
    group = parser.add_argument_group("conditioning")
    group.add_argument("--continuation", action="append", type=Path, metavar="FILE", default=None,
                       help="audio prompt to continue (repeatable; prompt i continues file i mod N); --duration "
                            "is then the continuation's length and prompt + continuation must fit 30 s")
    add_melody_argument(group)


def add_melody_argument(parser) -> None:
    """Add ``--melody FILE`` (repeatable) to a parser or argument group."""
    parser.add_argument("--melody", action="append", type=Path, metavar="FILE", default=None,
                        help="melody to condition a MusicGen-Melody model on (repeatable; prompt i follows file "
                             "i mod N; audio of at least 1 s, its chroma as transformers computes it)")


def read_melodies(args: argparse.Namespace) -> list | None:
    """``--melody`` read by :func:`optimizer.run.read_melodies` (``[T]`` waveforms at 32 kHz), or None."""
    return _read_melodies(getattr(args, "melody", None))


def check_conditioning(args: argparse.Namespace) -> Conditioning:
    """``--melody`` and ``--continuation`` read and checked (:func:`optimizer.run.load_conditioning`).

    Raises:
        UsageError: as :func:`optimizer.run.load_conditioning`.
    """
    return load_conditioning(melody=getattr(args, "melody", None), continuation=getattr(args, "continuation", None),
                             model=args.model, duration=float(args.duration))

