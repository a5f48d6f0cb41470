"""Reading a preset file for the report: the parts it shows, checked; presets and baselines as one list."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from objectives import registered
from optimizer._errors import PresetDocumentError
from optimizer.report._html import finite

__all__ = ["MAX_REPORT_ENTRIES", "SCORES", "chart_label", "read_presets_document", "report_entries"]

_MAX_PRESET_BYTES = 2_000_000
"""Largest preset file a report reads: optimize writes a few kB per preset; 16 MB of small JSON objects took
700 MB to parse."""
MAX_REPORT_ENTRIES = 64
"""Most presets plus baselines a report shows: each adds a row to every chart, and a chart's size grows with its
rows (optimize exports fewer than ten). A 20 003-preset file grew the report to 8 GB before this limit."""
_MAX_NAME = 64
"""Longest preset name shown (the preset schema's limit); names are chart labels."""
SCORES = tuple((o.name, f"{o.title} ({'higher' if o.direction == 'maximize' else 'lower'} is better)")
               for o in registered() if o.fixed)
"""The fixed objectives (every study has them) and their chart titles."""


def read_presets_document(path: Path, *, study_name: str) -> dict[str, Any]:
    """Read a preset file for the report and check the parts it shows.

    The check is deliberately narrower than the schema: entries may carry fields newer than this version
    (for example held-out ``validation`` scores and ``optimism``), which the report shows when present.

    Raises:
        PresetDocumentError: the file is missing, unreadable, not JSON, lacks ``presets`` with CLAP and repetition
            scores, was exported from another study, or names more than :data:`MAX_REPORT_ENTRIES` presets
            and baselines (or a name longer than 64 characters).
    """
    from optimizer._parsing import DocumentError, read_json_file

    if not os.path.lexists(path):
        raise PresetDocumentError(path, "missing", f"{path}: no such preset file; give an existing one, or none to "
                                                   "compute the presets from the study.")
    try:  # the loader's reader: a FIFO, deep nesting or a 5000-digit integer is one sentence, not a hang or trace
        document = read_json_file(path, max_bytes=_MAX_PRESET_BYTES, what="preset file")
    except DocumentError as exc:
        raise PresetDocumentError(path, "malformed", str(exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("presets"), dict) or not document["presets"]:
        raise PresetDocumentError(path, "malformed", f"{path}: not a preset file (no 'presets' object).")
    baselines = document.setdefault("baselines", {})
    if not isinstance(baselines, dict):
        raise PresetDocumentError(path, "malformed", f"{path}: 'baselines' must be an object.")
    count = len(document["presets"]) + len(baselines)
    if count > MAX_REPORT_ENTRIES:
        raise PresetDocumentError(path, "too_many", f"{path}: {count} presets and baselines, more than the "
                                  f"{MAX_REPORT_ENTRIES} a report can show; give a preset file exported by optimize, "
                                  "or none to compute the presets from the study.")
    for group in ("presets", "baselines"):
        for name, entry in document[group].items():
            if len(name) > _MAX_NAME:
                raise PresetDocumentError(path, "malformed", f"{path}: {group} name {name[:20]!r}... is longer than "
                                                             f"{_MAX_NAME} characters.")
            _check_entry(path, f"{group}.{name}", entry)
    provenance = document.get("provenance")
    exported_from = provenance.get("study") if isinstance(provenance, dict) else None
    if exported_from is not None and exported_from != study_name:
        raise PresetDocumentError(path, "other_study", f"{path} was exported from study {exported_from!r}, not "
                                  f"{study_name!r}; give the matching study name or preset file.")
    return document


def _check_entry(path: Path, where: str, entry: Any) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("trial"), int) or not isinstance(
            entry.get("scores"), dict):
        raise PresetDocumentError(path, "malformed", f"{path}: {where} needs a 'trial' number and 'scores'.")
    for name, _ in SCORES:
        score = entry["scores"].get(name)
        if not isinstance(score, dict) or not (finite(score.get("mean")) and finite(score.get("stderr"))):
            raise PresetDocumentError(path, "malformed", f"{path}: {where}.scores.{name} needs a finite mean and "
                                                         "stderr.")


def report_entries(document: Mapping[str, Any] | None) -> list[tuple[str, str, dict[str, Any]]]:
    if document is None:
        return []
    return ([(name, "preset", entry) for name, entry in document.get("presets", {}).items()]
            + [(name, "baseline", entry) for name, entry in document.get("baselines", {}).items()])


def chart_label(name: str, kind: str) -> str:
    return name if kind == "preset" else f"{name} (baseline)"
