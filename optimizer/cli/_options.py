"""The one step from a parsed command line to the application layer's typed options (:mod:`optimizer.run`)."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from optimizer.run import RunOptions

__all__ = ["run_options"]

_TUPLES = {"extra_objectives", "prompt_suffixes", "continuation", "melody"}
"""Repeatable flags: argparse lists (None when not given), tuples in :class:`~optimizer.run.RunOptions`."""


def run_options(args: argparse.Namespace, given: frozenset[str]) -> RunOptions:
    """The ``optimize`` command line as :class:`~optimizer.run.RunOptions` (ranges are checked later, by
    :func:`optimizer.run.prepare`, with the flag named).

    Args:
        args: the namespace of :func:`optimizer.cli._parser.parse_args`, every default filled in.
        given: the destinations the command line set.
    """
    values = {f.name: getattr(args, f.name) for f in fields(RunOptions) if f.name != "given"}
    for name in _TUPLES:
        values[name] = tuple(values[name] or ())
    values["presets_dir"] = Path(values["presets_dir"])
    return RunOptions(**values, given=frozenset(given))
