"""The application entry for Python callers and the command line alike: one ``optimize`` run, in whichever mode
a :class:`~optimizer.run.RunOptions` describes (:func:`~optimizer.run.mode_of`)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from rich.console import Console

from optimizer.run._modes import check_mode, mode_of
from optimizer.run._options import RunOptions

__all__ = ["MODES", "optimize"]

MODES: dict[str, tuple[str, str]] = {
    "search": ("optimizer.run._search", "run_search"),
    "human": ("optimizer.run._human", "run_human_mode"),
    "human-dashboard": ("optimizer.run._human", "run_human_mode"),
    "pairwise": ("optimizer.run._pairwise", "run_pairwise_mode"),
    "pairwise-export": ("optimizer.run._pairwise", "run_pairwise_mode"),
}
"""Modes that run a genre's study (:func:`~optimizer.run.mode_of`) -> (module, function ``(options, setup, console)
-> exit code``), imported on use; ``export`` (:func:`~optimizer.run.run_export_only`) and ``dashboard`` alone (no
genre) are dispatched by :func:`optimize` itself."""


def optimize(options: RunOptions, *, console: Console | None = None,
             notice: Callable[[], None] | None = None) -> int:
    """Run what ``options`` describe: a search (resumed if its study exists), ``export_only``, ``human`` (with or
    without ``dashboard``), ``pairwise`` (with or without ``export_only``), or ``dashboard`` alone; no argparse
    involved.

    Args:
        options: the run; checked here before anything is written.
        console: where progress, prompts to the listener and the preset table's path go (stderr when None).
        notice: with ``export_only`` (not pairwise), called once the study is found and matches, before the
            export (the command line notes the flags it ignores there); None: nothing.

    Returns:
        The exit code: 0 done (``dashboard`` alone: stopped by Ctrl-C), 1 (:data:`~optimizer._errors.EXIT_FAILED`)
        the run could not finish (a stop on failures, nothing feasible to export), 130 Ctrl-C in ``human`` or
        ``pairwise`` (their trials stay in the study for the next run); the preset file is
        :func:`optimizer.run.preset_path`'s (``human`` and ``pairwise`` studies have their own).

    Raises:
        UsageError: an option out of range, mode options that do not combine, an incompatible study, an
            unwritable output, a dashboard port in use (nothing written).
        ModelLoadError, DeviceError: a model that cannot be loaded, a device that is not there.
    """
    from optimizer.run._setup import prepare

    check_mode(options)
    mode = mode_of(options)
    console = console or Console(stderr=True)
    if mode == "dashboard":
        from optimizer.run._dashboard import run_dashboard

        return run_dashboard(options, console)
    setup = prepare(options)
    if mode == "export":
        from optimizer.run._export import run_export_only

        return run_export_only(options, setup, console, notice=notice)
    module, function = MODES[mode]
    run: Callable[..., int] = getattr(import_module(module), function)
    return run(options, setup, console)
