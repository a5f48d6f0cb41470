"""``optimize``: search MusicGen decoding parameters for a genre and export Pareto presets.

The entry point: parse, refuse flags the chosen mode would ignore (:mod:`optimizer.cli._pairings`), build
:class:`~optimizer.run.RunOptions` and hand them to :func:`optimizer.run.optimize`, which runs every mode;
``--list-genres`` only prints, here. Errors become one line here.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from rich.console import Console

from optimizer._errors import EXIT_FAILED, EXIT_USAGE, UsageError
from optimizer.cli._errors import one_line
from optimizer.cli._options import run_options
from optimizer.cli._pairings import check_pairings, export_ignored
from optimizer.cli._parser import DEFAULT_CLAP, DEFAULT_MODEL, DEFAULT_STORAGE, build_parser, parse_args
from optimizer.cli._warnings import quiet_library_warnings
from optimizer.run import resume_command

__all__ = ["DEFAULT_CLAP", "DEFAULT_MODEL", "DEFAULT_STORAGE", "build_parser", "main"]


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
    from optimizer.run import optimize

    if args.list_genres:  # it only prints
        return _list_genres()
    return optimize(run_options(args, given), console=console, notice=lambda: _say_ignored(given, console))


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
