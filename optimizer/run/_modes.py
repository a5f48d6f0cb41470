"""Which mode a :class:`~optimizer.run.RunOptions` describes, read from its values alone, and the mode flags that
cannot be combined (refused here for Python callers; the command line refuses them earlier, by the flags typed)."""

from __future__ import annotations

from optimizer._errors import UsageError
from optimizer.run._options import RunOptions

__all__ = ["MODE_NAMES", "check_mode", "mode_of"]

MODE_NAMES = ("search", "export", "human", "human-dashboard", "pairwise", "pairwise-export", "dashboard")
"""Every mode :func:`mode_of` returns."""

_FLAGS = {"dashboard": "--dashboard", "human": "--human", "pairwise": "--pairwise", "export_only": "--export-only"}
"""The mode options, in the command line's order, and how the command line spells them."""

_PAIRS = {frozenset({"human", "dashboard"}), frozenset({"pairwise", "export_only"})}
"""Mode options that combine: ``human`` with ``dashboard`` serves the dashboard while waiting for ratings;
``pairwise`` with ``export_only`` re-exports a pairwise study."""


def mode_of(options: RunOptions) -> str:
    """The mode ``options`` choose (one of :data:`MODE_NAMES`): ``human`` (``human-dashboard`` with ``dashboard``),
    else ``dashboard`` alone, else ``pairwise`` (``pairwise-export`` with ``export_only``), else ``export`` with
    ``export_only``, else ``search``. Reads the four mode options only; :func:`check_mode` refuses the
    combinations this order would otherwise settle silently."""
    if options.human:
        return "human-dashboard" if options.dashboard else "human"
    if options.dashboard:
        return "dashboard"
    if options.pairwise:
        return "pairwise-export" if options.export_only else "pairwise"
    return "export" if options.export_only else "search"


def check_mode(options: RunOptions) -> None:
    """Refuse mode options that do not combine, and ``no_artifacts`` with a mode that needs the clips; the
    sentences are the command line's (which refuses them first, by the flags typed).

    Raises:
        UsageError: one sentence naming the two options, as flags.
    """
    chosen = [name for name in _FLAGS if getattr(options, name)]
    for i, first in enumerate(chosen):
        for second in chosen[i + 1:]:
            if frozenset({first, second}) not in _PAIRS:
                raise UsageError(f"{_FLAGS[first]} cannot be combined with {_FLAGS[second]}: they are different "
                                 "modes; run them as separate commands.")
    if options.no_artifacts and options.human:
        raise UsageError("--human needs the clips in the dashboard to rate them, so it cannot be combined with "
                         "--no-artifacts.")
    if options.no_artifacts and options.pairwise:
        raise UsageError("--pairwise needs the clips in the artifact folder (the listener compares them there); "
                         "drop --no-artifacts.")
