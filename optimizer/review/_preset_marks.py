"""Marking the exported presets in the study, so the dashboard shows which trial is ``balanced``, ``max_clap``...

A finished trial's user and system attrs cannot change (Optuna raises ``UpdateFinishedTrialError``), so the marks
are the study user attr :data:`~optimizer._keys.PRESET_MARKS` (machine-readable), a section of the study's
dashboard note (a table of preset -> trial) and one line at the top of each preset trial's note. Each export
replaces the previous marks, and leaves whatever else the notes hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna_dashboard import get_note, save_note

from optimizer._payloads import read, write
from optimizer._study_payloads import PresetMarks

__all__ = ["STUDY_NOTE_BEGIN", "STUDY_NOTE_END", "TRIAL_NOTE_PREFIX", "mark_presets", "preset_trials"]

STUDY_NOTE_BEGIN = "#### Exported presets"
"""First line of the section of the study note that every export rewrites."""
STUDY_NOTE_END = "*This section is rewritten by every export of the study.*"
"""Last line of that section."""
TRIAL_NOTE_PREFIX = "> **Exported preset:"
"""Start of the one line at the top of a preset trial's note."""


@dataclass(frozen=True)
class _TrialHandle:
    # get_note/save_note take a live optuna.Trial but read only these; building one for a finished trial runs
    # the sampler's before_trial (NSGA-II then writes a system attr and fails).
    study: optuna.Study
    storage: optuna.storages.BaseStorage
    _trial_id: int


def preset_trials(document: dict[str, Any]) -> dict[int, list[str]]:
    """Trial number -> names of the presets in ``document`` that come from it, in the file's order."""
    marks: dict[int, list[str]] = {}
    for name, entry in document["presets"].items():
        marks.setdefault(int(entry["trial"]), []).append(name)
    return marks


def mark_presets(study: optuna.Study, document: dict[str, Any], path: Path) -> list[int]:
    """Record in ``study`` which trials the preset file at ``path`` (just written from ``document``) names.

    Sets :data:`~optimizer._keys.PRESET_MARKS`, rewrites the study note's section between
    :data:`STUDY_NOTE_BEGIN` and :data:`STUDY_NOTE_END` (appended when absent), puts a line starting with
    :data:`TRIAL_NOTE_PREFIX` at the top of each preset trial's note, and removes that line from trials the
    previous export named and this one does not. Text outside these marks is kept. Call it only after the file
    was written: the marks claim the file holds these presets.

    Returns:
        The numbers of the marked trials, sorted.
    """
    marks = preset_trials(document)
    stored = read(study, PresetMarks)
    previous = stored.presets if stored is not None else {}
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    for number in sorted({*marks, *(int(n) for n in previous.values())}):
        if number in trials:
            handle = _TrialHandle(study, study._storage, trials[number]._trial_id)
            body = _without_trial_mark(get_note(handle))
            if number in marks:
                line = (f"{TRIAL_NOTE_PREFIX} {', '.join(marks[number])}** in `{path}` "
                        f"({document['generated_at']})")
                body = f"{line}\n\n{body}" if body else line
            save_note(handle, body)
    save_note(study, _with_study_section(get_note(study), _study_section(document, path)))
    write(study, PresetMarks(file=str(path), generated_at=document["generated_at"],
                             presets={name: int(entry["trial"]) for name, entry in document["presets"].items()}))
    return sorted(marks)


def _without_trial_mark(body: str) -> str:
    lines = body.split("\n")
    if lines and lines[0].startswith(TRIAL_NOTE_PREFIX):
        lines = lines[2:] if len(lines) > 1 and not lines[1].strip() else lines[1:]
    return "\n".join(lines)


def _study_section(document: dict[str, Any], path: Path) -> str:
    rows = [f"| {name} | {entry['trial']} |" for name, entry in document["presets"].items()]
    return "\n".join([STUDY_NOTE_BEGIN, "", f"`{path}`, exported {document['generated_at']}:", "",
                      "| preset | trial |", "|---|---|", *rows, "", STUDY_NOTE_END])


def _with_study_section(body: str, section: str) -> str:
    lines = body.split("\n")
    if STUDY_NOTE_BEGIN in lines:
        begin = lines.index(STUDY_NOTE_BEGIN)
        if STUDY_NOTE_END in lines[begin:]:
            end = lines.index(STUDY_NOTE_END, begin)
            return "\n".join([*lines[:begin], section, *lines[end + 1:]])
    return f"{body.rstrip()}\n\n{section}" if body.strip() else section
