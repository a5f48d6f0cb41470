"""A self-contained HTML report of one study: Optuna's plots, presets against baselines, per-prompt scores.

The page has no external assets: every figure is a PNG embedded as a base64 ``data:`` URI, and every piece
of text that comes from a user (prompts, study and preset names) is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna

from optimizer._errors import EmptyStudyError
from optimizer._outputs import replace_own_file, report_meta, report_study
from optimizer._payloads import read
from optimizer._study_payloads import StoredSpec
from optimizer.report._document import MAX_REPORT_ENTRIES, read_presets_document, report_entries
from optimizer.report._html import PAGE, Z95, confidence_interval, escape
from optimizer.report._racing_section import racing_section
from optimizer.report._sections import (
    hypervolume_section,
    importance_section,
    pareto_section,
    per_prompt_section,
    presets_section,
    summary_section,
)

__all__ = ["MAX_REPORT_ENTRIES", "Z95", "build_report", "confidence_interval", "read_presets_document",
           "write_report"]

def build_report(study: optuna.Study, *, genre: str, document: Mapping[str, Any] | None,
                 presets_source: str) -> str:
    """The HTML report of ``study``.

    Sections: summary; Pareto front; hypervolume history; parameter importances per objective; presets
    against baselines (table and error-bar chart of 95 % confidence intervals, held-out validation and
    optimism where the preset file has them); per-prompt scores of every preset and baseline (heatmap and
    table). A section the study cannot support yet (too few trials, nothing feasible) says so in a sentence.

    Args:
        study: a study created by ``optimize`` with at least one completed trial.
        genre: the genre name, for the title.
        document: the preset document (a preset file's content, or :func:`~optimizer.export._presets.build_presets`
            of the study); None when the study has no feasible trial to name presets from.
        presets_source: where ``document`` came from, shown in the summary.

    Returns:
        One HTML document, UTF-8 text, with every figure embedded.

    Raises:
        EmptyStudyError: the study has no completed trial.
    """
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise EmptyStudyError(f"study {study.study_name!r} has no completed trial yet; run optimize first.")
    spec = stored.values if (stored := read(study, StoredSpec)) is not None else {}
    names = list(study.metric_names or spec.get("objectives") or
                 [f"objective {i}" for i in range(len(study.directions))])
    directions = [d.name.lower() for d in study.directions]
    by_number = {t.number: t for t in complete}
    entries = report_entries(document)
    sections = [
        summary_section(study, genre, spec, complete, presets_source),
        pareto_section(study, names, entries, by_number),
        hypervolume_section(study, names),
        importance_section(study, names, directions),
        presets_section(entries, has_document=document is not None),
        per_prompt_section(entries, by_number, list(spec.get("prompts", []))),
        racing_section(study, names),
    ]
    title = f"{genre}: MusicGen decoding report"
    return PAGE.format(meta=report_meta(study.study_name), title=escape(title),
                       body="\n".join(s for s in sections if s))


def write_report(text: str, path: Path, *, study: str, hint: str) -> Path:
    """Write ``text`` to ``path`` atomically (a reader never sees half a report), creating its folder; an existing
    ``path`` is replaced only when it is this tool's report of ``study`` (:mod:`optimizer._outputs`).

    Raises:
        OutputPathError: ``path`` is another file, another study's report or a special file (``hint`` ends it).
        OSError: the folder cannot be created or written.
    """
    return replace_own_file(path, text, what="the report", hint=hint, study=study, study_of=report_study)
