"""Where ``optimize`` and ``report`` write, by the one output rule of :mod:`optimizer._outputs`, with the flags to
name in a refusal: each path is chosen and checked here before any model loads.

Presets: the default study of a genre (``optimize --genre jazz``, named ``jazz/<model>``) writes
``<presets-dir>/jazz.json``; ``--human`` (``jazz/<model>/human``) writes ``jazz.human.json``; ``--pairwise``
(``jazz/<model>/pairwise``) writes ``jazz.pairwise.json``. A study named by ``--study-name``, or a default study
whose genre file already holds another study's presets (another ``--model``), writes
``jazz[.human|.pairwise].<study slug>.json``; the run prints the path, and ``report`` finds it from the study name.
"""

from __future__ import annotations

from pathlib import Path

from optimizer._files import check_creatable_folder
from optimizer._outputs import (
    check_output,
    clip_folder,
    find_study_output,
    preset_study,
    report_study,
    study_output_path,
)
from optimizer._payloads import has, read
from optimizer._study_payloads import PairwiseSetup, StoredSpec
from optimizer.run._options import RunOptions

__all__ = ["KINDS", "check_presets_path", "clips_folder", "default_name", "find_presets", "precheck_clips",
           "preset_path", "report_path", "study_kind"]

KINDS = ("", "human", "pairwise")
"""Kinds of study, each with its own default name suffix and preset file stem: search, rated, pairwise."""
PRESETS_HINT = "pass another --presets-dir"


def default_name(genre: str, model: str, kind: str = "") -> str:
    """The study ``optimize`` names by default: ``<genre>/<model>``, ``+ /human`` or ``+ /pairwise``."""
    from optimizer.search import default_study_name

    return default_study_name(genre, model) + (f"/{kind}" if kind else "")


def study_kind(study) -> str:
    """``"pairwise"``, ``"human"`` (a rating objective) or ``""`` for an existing study."""
    from optimizer import _keys

    if has(study, PairwiseSetup):
        return "pairwise"
    objectives = spec.objectives if (spec := read(study, StoredSpec)) is not None else ()
    return "human" if _keys.RATING in objectives else ""


def preset_path(opts: RunOptions, genre: str, study: str, kind: str = "") -> Path:
    """The preset file of ``study`` (see the module docstring)."""
    stem = f"{genre}.{kind}" if kind else genre
    return study_output_path(opts.presets_dir, stem, ".json", study=study, study_of=preset_study,
                             shared=study == default_name(genre, opts.model, kind))


def check_presets_path(opts: RunOptions, genre: str, study: str, kind: str = "") -> Path:
    """:func:`preset_path`, refused unless it is new or ``study``'s own preset file.

    Raises:
        OutputPathError, UsageError: another file, a special file, or an unwritable folder.
    """
    path = preset_path(opts, genre, study, kind)
    check_output(path, what="the preset file", hint=PRESETS_HINT, study=study, study_of=preset_study)
    return path


def find_presets(folder: Path, genre: str, study: str) -> Path | None:
    """The preset file ``optimize`` wrote for ``study`` in ``folder``, whatever its kind, or None."""
    return find_study_output(folder, [f"{genre}.{k}" if k else genre for k in KINDS], ".json", study=study,
                             study_of=preset_study)


def report_path(out: Path | None, genre: str, study: str, model: str) -> Path:
    """``--out``, or ``reports/<genre>.html`` (the same naming rule as presets), refused unless it is new or this
    tool's report of ``study``.

    Raises:
        OutputPathError, UsageError: as :func:`check_presets_path`.
    """
    if out is None:
        shared = study in {default_name(genre, model, k) for k in KINDS}
        out = study_output_path(Path("reports"), genre, ".html", study=study, study_of=report_study, shared=shared)
        hint = "pass --out"
    else:
        hint = "pass another --out"
    check_output(out, what="the report", hint=hint, study=study, study_of=report_study)
    return out


def clips_folder(opts: RunOptions, study: str) -> Path | None:
    """The folder ``--save-audio`` clips of ``study`` go to (:func:`optimizer._outputs.clip_folder`), or None."""
    if opts.save_audio is None:
        return None
    from optimizer.search import storage_file

    file = storage_file(opts.storage)
    return clip_folder(opts.save_audio, study=study, storage=str(file.resolve()) if file else opts.storage)


def precheck_clips(opts: RunOptions, study: str) -> None:
    """Refuse a ``--save-audio`` folder that is not (and cannot be made) a folder: a file, ``/dev/null``, a FIFO.

    Raises:
        UsageError: one sentence naming the path.
    """
    folder = clips_folder(opts, study)
    if folder is not None:
        check_creatable_folder(folder, "cannot save clips in", "pass another --save-audio folder")
