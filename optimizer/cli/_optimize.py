"""``optimize``: search MusicGen decoding parameters for a genre and export Pareto presets.

The entry point: parse, refuse flags the chosen mode would ignore (:mod:`optimizer.cli._pairings`), then hand
over to the mode's module (:data:`MODES`); errors become one line here.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from importlib import import_module

from rich.console import Console

from optimizer._errors import EXIT_FAILED, EXIT_USAGE, UsageError
from optimizer.cli._errors import one_line
from optimizer.cli._options import run_options
from optimizer.cli._pairings import check_pairings, export_ignored, mode_of
from optimizer.cli._parser import DEFAULT_CLAP, DEFAULT_MODEL, DEFAULT_STORAGE, build_parser, parse_args
from optimizer.cli._warnings import quiet_library_warnings
from optimizer.run import resume_command

__all__ = ["DEFAULT_CLAP", "DEFAULT_MODEL", "DEFAULT_STORAGE", "MODES", "build_parser", "main"]

MODES: dict[str, tuple[str, str]] = {
    "human": ("optimizer.cli._human", "run_human_mode"),
    "human-dashboard": ("optimizer.cli._human", "run_human_mode"),
    "pairwise": ("optimizer.cli._pairwise", "run_pairwise_mode"),
    "pairwise-export": ("optimizer.cli._pairwise", "run_pairwise_mode"),
}
"""Interactive modes (:func:`optimizer.cli._pairings.mode_of`) -> (module, function ``(options, setup, console) -> exit
code``); search and export are :mod:`optimizer.run`'s, and ``--list-genres`` and ``--dashboard`` alone need no genre."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``optimize`` console script.

    Args:
        argv: the arguments after the program name; None reads ``sys.argv``.

    Returns:
        The exit code: 0 done, 1 the run could not finish (:data:`~optimizer._errors.EXIT_FAILED`), 2 bad input
        (one sentence on stderr, nothing written), 130 Ctrl-C, 143 SIGTERM.
    """
    from objectives import DeviceError, ModelLoadError  # worded with the flag that fixes them (one_line)
    from optimizer._errors import StorageWriteError  # a full disk mid-run: one sentence, exit 1
    from optimizer.search import exit_code, handle_interrupts, interrupt_name

    console = Console(stderr=True)
    args, given = parse_args(argv)
    quiet_library_warnings()
    with handle_interrupts():  # SIGTERM as Ctrl-C; a second signal cannot cut the cleanup short
        try:
            check_pairings(given, args)
            return _run(args, given, console)
        except (UsageError, ModelLoadError, DeviceError) as exc:
            console.print(f"optimize: error: {one_line(exc)}", markup=False, highlight=False, soft_wrap=True)
            return EXIT_USAGE
        except StorageWriteError as exc:
            console.print(f"optimize: error: {exc}.", markup=False, highlight=False, soft_wrap=True)
            return EXIT_FAILED
        except KeyboardInterrupt:  # while loading models, validating or exporting: no trial of ours is running
            console.print(f"optimize: interrupted by {interrupt_name()}; no file was left half-written. "
                          f"Resume with: {resume_command()}", markup=False, highlight=False, soft_wrap=True)
            return exit_code()


def _run(args: argparse.Namespace, given: frozenset[str], console: Console) -> int:
    from optimizer.run import prepare, run_export_only, run_search

    mode = mode_of(args)
    if mode == "list-genres":
        return _list_genres()
    options = run_options(args, given)
    if mode == "dashboard":
        from optimizer.cli._dashboard import run_dashboard

        return run_dashboard(options, console)
    setup = prepare(options)
    if mode == "search":
        return run_search(options, setup, console)
    if mode == "export":
        return run_export_only(options, setup, console, notice=lambda: _say_ignored(given, console))
    module, function = MODES[mode]
    run: Callable[..., int] = getattr(import_module(module), function)
    return run(options, setup, console)


def _say_ignored(given: frozenset[str], console: Console) -> None:
    ignored = export_ignored(given)
    if ignored:
        verb = "is" if len(ignored) == 1 else "are"
        console.print(f"note: --export-only exports the study's completed trials; {', '.join(ignored)} {verb} "
                      "ignored.", markup=False, highlight=False, soft_wrap=True)


def _list_genres() -> int:
    """Each genre, its prompt count and its whole description, wrapped at words to the terminal's width."""
    import shutil
    import textwrap

    from optimizer.search import list_genres, load_genre

    width = shutil.get_terminal_size().columns  # $COLUMNS, the terminal's, else 80
    for name in list_genres():
        genre = load_genre(name)
        head = f"{name:12s} {len(genre.prompts):3d} prompts  "
        print(textwrap.fill(genre.description, width=max(width, len(head) + 30), initial_indent=head,
                            subsequent_indent=" " * len(head), break_long_words=False, break_on_hyphens=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
