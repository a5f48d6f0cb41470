"""The application entry for Python callers: one ``optimize`` run from :class:`~optimizer.run.RunOptions`."""

from __future__ import annotations

from rich.console import Console

from optimizer._errors import UsageError
from optimizer.run._options import RunOptions

__all__ = ["optimize"]


def optimize(options: RunOptions, *, console: Console | None = None) -> int:
    """Run (or resume) the search ``options`` describe and export its presets, or with ``export_only`` only
    export them; no argparse involved.

    Args:
        options: the run; checked here before anything is written.
        console: where progress and the preset table's path go (stderr when None).

    Returns:
        The exit code: 0 done, 1 (:data:`~optimizer._errors.EXIT_FAILED`) the run could not finish (a stop on
        failures, nothing feasible to export); the preset file is :func:`optimizer.run.preset_path`'s.

    Raises:
        UsageError: an option out of range, an incompatible study, an unwritable output (nothing written), or
            ``human``, ``pairwise`` or ``dashboard`` (interactive modes: the ``optimize`` command only for now).
        ModelLoadError, DeviceError: a model that cannot be loaded, a device that is not there.
    """
    from optimizer.run._export import run_export_only
    from optimizer.run._search import run_search
    from optimizer.run._setup import prepare

    if options.human or options.pairwise or options.dashboard:
        raise UsageError("human, pairwise and dashboard runs are interactive: use the optimize command.")
    console = console or Console(stderr=True)
    setup = prepare(options)
    if options.export_only:
        return run_export_only(options, setup, console)
    return run_search(options, setup, console)
