"""A self-contained HTML report of a genre's study: the application entry of the ``report`` command for Python
callers (:class:`ReportOptions` in, the page's path out)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from optimizer._errors import UsageError
from optimizer.run._options import DEFAULT_MODEL, DEFAULT_STORAGE

__all__ = ["ReportOptions", "report"]


@dataclass(frozen=True)
class ReportOptions:
    """One ``report``; the defaults are the command line's. Checked by :func:`report` before the study is read
    (:class:`~optimizer._errors.UsageError`)."""

    genre: str | None = None
    """A shipped genre name (see ``optimizer.search.list_genres``); exactly one of ``genre`` and ``genre_file``."""
    genre_file: Path | None = None
    """A genre TOML file of your own instead of ``genre``."""
    model: str = DEFAULT_MODEL
    """The model the study was run with, for its default name ``<genre>/<model>``."""
    storage: str = DEFAULT_STORAGE
    """Optuna RDB URL, or a path ending in ``.log`` for a journal file; it must exist and hold the study."""
    study_name: str | None = None
    """1 to 512 characters; None: ``<genre>/<model>``, as ``optimize`` names it."""
    presets: Path | None = None
    """Preset file to compare against the baselines; None: the one ``optimize`` wrote for the study in
    ``presets/`` (relative to the working folder), if any, else presets computed from the study."""
    out: Path | None = None
    """The HTML file; None: ``reports/<genre>.html``, or ``reports/<genre>.<study>.html`` for a named study. Only a
    report of the same study is replaced."""


def report(options: ReportOptions) -> Path:
    """Write the HTML report of a study made by ``optimize``: every figure embedded, the presets against the
    baselines, the prompts.

    Returns:
        The path written.

    Raises:
        UsageError: not exactly one of ``genre`` and ``genre_file``, a study name out of range, an unknown genre,
            no such storage or study, a study not made by ``optimize`` or with no completed trial, an unreadable or
            foreign preset file, an output that is not this study's report or cannot be written; nothing is
            written.
    """
    if bool(options.genre) == bool(options.genre_file):
        raise UsageError("give exactly one of --genre NAME or --genre-file PATH (see optimize --list-genres).")
    if options.study_name is not None and not (0 < len(options.study_name) <= 512):
        raise UsageError("--study-name must have 1 to 512 characters.")
    from optimizer.search import default_study_name, load_genre, load_genre_file

    genre = (load_genre_file(options.genre_file) if options.genre_file else load_genre(str(options.genre))).name
    from optimizer.run._outputs import find_presets, report_path

    name = options.study_name or default_study_name(genre, options.model)
    out = report_path(options.out, genre, name, options.model)  # before the study is read or a figure drawn

    import matplotlib

    matplotlib.use("Agg")  # a file is written; no window is ever opened
    import optuna

    from optimizer.export import NoFeasibleTrialError, build_presets
    from optimizer.report import build_report, read_presets_document, write_report

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = _existing_study(options.storage, name)
    presets_path = options.presets or find_presets(Path("presets"), genre, name)  # the study's own file, if any
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
