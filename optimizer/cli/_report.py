"""``report``: a self-contained HTML report of a genre's study (plots, presets against baselines, prompts)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from optimizer._errors import EXIT_USAGE, UsageError
from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._errors import one_line
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
    args = build_parser().parse_args(argv)
    quiet_library_warnings()
    try:
        path = _run(args)
    except UsageError as exc:
        print(f"report: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Report written to {path}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> Path:
    if bool(args.genre) == bool(args.genre_file):
        raise UsageError("give exactly one of --genre NAME or --genre-file PATH (see optimize --list-genres).")
    if args.study_name is not None and not (0 < len(args.study_name) <= 512):
        raise UsageError("--study-name must have 1 to 512 characters.")
    from optimizer.search import load_genre, load_genre_file

    genre = (load_genre_file(args.genre_file) if args.genre_file else load_genre(args.genre)).name
    from optimizer.run import find_presets, report_path
    from optimizer.search import default_study_name

    name = args.study_name or default_study_name(genre, args.model)
    out = report_path(args.out, genre, name, args.model)  # before the study is read or a figure drawn

    import matplotlib

    matplotlib.use("Agg")  # a file is written; no window is ever opened
    import optuna

    from optimizer.export import NoFeasibleTrialError, build_presets
    from optimizer.report import build_report, read_presets_document, write_report

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = _existing_study(args.storage, name)
    presets_path = args.presets or find_presets(Path("presets"), genre, name)  # the study's own file, if any
    if presets_path is not None:
        document = read_presets_document(presets_path, study_name=name)
        source = str(presets_path)
    else:
        try:
            document = build_presets(study, genre=genre)
            source = "computed from the study (no preset file)"
        except NoFeasibleTrialError:
            document, source = None, "none: the study has no feasible trial yet"
    text = build_report(study, genre=genre, document=document, presets_source=source)
    try:
        return write_report(text, out, study=name, hint="pass another --out")
    except OSError as exc:
        raise UsageError(f"cannot write the report to {str(out)!r}: {exc.strerror or exc}.") from None


def _existing_study(url: str, name: str):
    from optimizer._keys import STUDY_SPEC
    from optimizer._payloads import has
    from optimizer._study_payloads import StoredSpec
    from optimizer.search import load_existing_study

    study = load_existing_study(url, name, no_storage="run optimize first or pass --storage",
                                no_study="pass --model or --study-name as given to optimize", write=False)
    if not has(study, StoredSpec):
        raise UsageError(f"study {name!r} was not created by optimize (it has no {STUDY_SPEC} attribute).")
    return study


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
