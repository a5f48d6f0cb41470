"""The one step from a parsed command line to the application layer's typed options (:mod:`optimizer.run`)."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from optimizer.run import GenerateOptions, ReportOptions, RunOptions

__all__ = ["generate_options", "report_options", "run_options"]

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


def generate_options(args: argparse.Namespace) -> GenerateOptions:
    """The ``generate`` command line as :class:`~optimizer.run.GenerateOptions` (checked by
    :func:`optimizer.run.generate`).

    Args:
        args: the namespace of the ``generate`` parser, every default filled in.
    """
    values = {f.name: getattr(args, f.name) for f in fields(GenerateOptions)}
    for name in _TUPLES & values.keys():
        values[name] = tuple(values[name] or ())
    return GenerateOptions(**values)


def report_options(args: argparse.Namespace) -> ReportOptions:
    """The ``report`` command line as :class:`~optimizer.run.ReportOptions` (checked by
    :func:`optimizer.run.report`).

    Args:
        args: the namespace of :func:`optimizer.cli._report.build_parser`, every default filled in.
    """
    return ReportOptions(**{f.name: getattr(args, f.name) for f in fields(ReportOptions)})
