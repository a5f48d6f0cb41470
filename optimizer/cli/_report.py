"""``report``: a self-contained HTML report of a genre's study (plots, presets against baselines, prompts)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from optimizer._errors import EXIT_USAGE, UsageError
from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._errors import one_line
from optimizer.cli._options import report_options
from optimizer.cli._warnings import quiet_library_warnings

__all__ = ["build_parser", "main"]

_EXAMPLES = """\
examples:
  report --genre jazz
      reports/jazz.html for study jazz/facebook/musicgen-small in ./optuna.db, with presets/jazz.json
  report --genre jazz --model debug --storage jazz.log --out /tmp/jazz.html
  report --genre-file my_genre.toml --study-name my-run --presets exported.json

The page embeds every figure; open it in any browser or attach it to an issue.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the study is named the way ``optimize`` names it."""
    from optimizer.cli._parser import DEFAULT_MODEL, DEFAULT_STORAGE

    p = OneLineArgumentParser(prog="report", description=__doc__, epilog=_EXAMPLES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--genre", help="a shipped genre (see optimize --list-genres)")
    p.add_argument("--genre-file", type=Path, help="your own genre TOML file instead of --genre")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"the model the study was run with, for its default name (default {DEFAULT_MODEL})")
    p.add_argument("--storage", default=DEFAULT_STORAGE,
                   help=f"Optuna RDB URL, or a path ending in .log for a journal file (default {DEFAULT_STORAGE})")
    p.add_argument("--study-name", help="default: <genre>/<model>, as optimize names it")
    p.add_argument("--presets", type=Path,
                   help="preset file to compare against the baselines (default: the one optimize wrote for the "
                        "study in presets/, if any, else the presets are computed from the study)")
    p.add_argument("--out", type=Path,
                   help="the HTML file to write (default reports/<genre>.html, or reports/<genre>.<study>.html "
                        "for a study named by --study-name); only a report of the same study is replaced")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``report`` console script; returns the exit code."""
    from optimizer.run import report

    args = build_parser().parse_args(argv)
    quiet_library_warnings()
    try:
        path = report(report_options(args))
    except UsageError as exc:
        print(f"report: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Report written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
