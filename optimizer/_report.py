"""A self-contained HTML report of one study: Optuna's plots, presets against baselines, per-prompt scores.

The page has no external assets: every figure is a PNG embedded as a base64 ``data:`` URI, and every piece
of text that comes from a user (prompts, study and preset names) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from optimizer import _keys
from optimizer._errors import UsageError
from optimizer._files import write_text_atomic
from optimizer._report_plots import (
    PlotUnavailable,
    ScoreInterval,
    hypervolume_history_png,
    hypervolume_reference_point,
    param_importances_png,
    pareto_front_png,
    per_prompt_heatmap_png,
    preset_intervals_png,
)

__all__ = ["Z95", "build_report", "confidence_interval", "read_presets_document", "write_report"]

Z95 = 1.96
"""Standard-normal quantile of a two-sided 95 % interval: ``mean ± 1.96 · stderr``."""

_MAX_PRESET_BYTES = 2_000_000
"""Largest preset file a report reads: optimize writes a few kB per preset; 16 MB of small JSON objects took
700 MB to parse."""
MAX_REPORT_ENTRIES = 64
"""Most presets plus baselines a report shows: each adds a row to every chart, and a chart's size grows with its
rows (optimize exports fewer than ten). A 20 003-preset file grew the report to 8 GB before this limit."""
_MAX_NAME = 64
"""Longest preset name shown (the preset schema's limit); names are chart labels."""
_SCORES = (("clap", "CLAP adherence (higher is better)"), ("repetition", "repetition (lower is better)"))


def confidence_interval(score: Mapping[str, Any]) -> tuple[float, float]:
    """The 95 % confidence interval of a ``{mean, stderr, n[, ci95]}`` score, in the score's units.

    A stored ``ci95: [low, high]`` (held-out re-validation writes one) is used as given; otherwise the normal
    approximation ``mean ± 1.96 · stderr``, where ``stderr`` is the standard error over the clips (sample
    standard deviation / sqrt(n)). With few clips the normal approximation is narrower than a Student-t
    interval would be.

    Raises:
        ValueError: ``mean`` or ``stderr`` is missing or not a finite number.
    """
    stored = score.get("ci95")
    if isinstance(stored, (list, tuple)) and len(stored) == 2 and all(_finite(v) for v in stored):
        return float(stored[0]), float(stored[1])
    mean, stderr = score.get("mean"), score.get("stderr")
    if not (isinstance(mean, (int, float)) and isinstance(stderr, (int, float)) and _finite(mean)
            and _finite(stderr)):
        raise ValueError(f"a score needs finite mean and stderr but got {dict(score)!r}.")
    return mean - Z95 * stderr, mean + Z95 * stderr


def read_presets_document(path: Path, *, study_name: str) -> dict[str, Any]:
    """Read a preset file for the report and check the parts it shows.

    The check is deliberately narrower than the schema: entries may carry fields newer than this version
    (for example held-out ``validation`` scores and ``optimism``), which the report shows when present.

    Raises:
        UsageError: the file is missing, unreadable, not JSON, lacks ``presets`` with CLAP and repetition
            scores, was exported from another study, or names more than :data:`MAX_REPORT_ENTRIES` presets
            and baselines (or a name longer than 64 characters).
    """
    from optimizer._parsing import DocumentError, read_json_file

    if not os.path.lexists(path):
        raise UsageError(f"{path}: no such preset file; pass --presets PATH or leave it out to compute the "
                         "presets from the study.")
    try:  # the loader's reader: a FIFO, deep nesting or a 5000-digit integer is one sentence, not a hang or trace
        document = read_json_file(path, max_bytes=_MAX_PRESET_BYTES, what="preset file")
    except DocumentError as exc:
        raise UsageError(str(exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("presets"), dict) or not document["presets"]:
        raise UsageError(f"{path}: not a preset file (no 'presets' object).")
    baselines = document.setdefault("baselines", {})
    if not isinstance(baselines, dict):
        raise UsageError(f"{path}: 'baselines' must be an object.")
    count = len(document["presets"]) + len(baselines)
    if count > MAX_REPORT_ENTRIES:
        raise UsageError(f"{path}: {count} presets and baselines, more than the {MAX_REPORT_ENTRIES} a report can "
                         "show; pass a preset file exported by optimize, or leave --presets out to compute the "
                         "presets from the study.")
    for group in ("presets", "baselines"):
        for name, entry in document[group].items():
            if len(name) > _MAX_NAME:
                raise UsageError(f"{path}: {group} name {name[:20]!r}... is longer than {_MAX_NAME} characters.")
            _check_entry(path, f"{group}.{name}", entry)
    provenance = document.get("provenance")
    exported_from = provenance.get("study") if isinstance(provenance, dict) else None
    if exported_from is not None and exported_from != study_name:
        raise UsageError(f"{path} was exported from study {exported_from!r}, not {study_name!r}; pass the matching "
                         "--study-name or --presets.")
    return document


def _check_entry(path: Path, where: str, entry: Any) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("trial"), int) or not isinstance(
            entry.get("scores"), dict):
        raise UsageError(f"{path}: {where} needs a 'trial' number and 'scores'.")
    for name, _ in _SCORES:
        score = entry["scores"].get(name)
        if not isinstance(score, dict) or not (_finite(score.get("mean")) and _finite(score.get("stderr"))):
            raise UsageError(f"{path}: {where}.scores.{name} needs a finite mean and stderr.")


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
        document: the preset document (a preset file's content, or :func:`~optimizer._presets.build_presets`
            of the study); None when the study has no feasible trial to name presets from.
        presets_source: where ``document`` came from, shown in the summary.

    Returns:
        One HTML document, UTF-8 text, with every figure embedded.

    Raises:
        UsageError: the study has no completed trial.
    """
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise UsageError(f"study {study.study_name!r} has no completed trial yet; run optimize first.")
    spec = study.user_attrs.get(_keys.STUDY_SPEC, {})
    names = list(study.metric_names or spec.get("objectives") or
                 [f"objective {i}" for i in range(len(study.directions))])
    directions = [d.name.lower() for d in study.directions]
    by_number = {t.number: t for t in complete}
    entries = _entries(document)
    sections = [
        _summary(study, genre, spec, complete, presets_source),
        _pareto_section(study, names, entries, by_number),
        _hypervolume_section(study, names),
        _importance_section(study, names, directions),
        _presets_section(entries, has_document=document is not None),
        _per_prompt_section(entries, by_number, list(spec.get("prompts", []))),
    ]
    title = f"{genre}: MusicGen decoding report"
    return _PAGE.format(title=_e(title), body="\n".join(sections))


def write_report(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` atomically (a reader never sees half a report), creating its folder.

    Raises:
        OSError: the folder cannot be created or written.
    """
    return write_text_atomic(path, text)


# --- sections ---------------------------------------------------------------------------------------------

def _summary(study: optuna.Study, genre: str, spec: Mapping[str, Any], complete: list, presets_source: str) -> str:
    states = [t.state for t in study.get_trials(deepcopy=False)]
    feasible = sum(1 for t in complete if _feasible(t))
    rows = [
        ("genre", genre), ("study", study.study_name), ("model", spec.get("model", "?")),
        ("CLAP checkpoint", spec.get("clap", "?")), ("clip length", f"{spec.get('duration', '?')} s"),
        ("prompts × seeds", f"{len(spec.get('prompts', []))} × {spec.get('replicates', '?')}"),
        ("trials", f"{len(complete)} complete ({feasible} feasible, {len(complete) - feasible} degenerate), "
                   f"{states.count(optuna.trial.TrialState.FAIL)} failed, "
                   f"{states.count(optuna.trial.TrialState.RUNNING)} running"),
        ("presets", presets_source),
        ("generated", datetime.now(timezone.utc).isoformat(timespec="seconds")),
    ]
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(str(v))}</td></tr>" for k, v in rows)
    return (f"<h1>{_e(genre)}: MusicGen decoding report</h1>\n<table class='summary'>{table}</table>\n"
            "<p>Confidence intervals are 95 %: mean ± 1.96 × standard error over the clips (normal "
            "approximation), or the interval stored with a held-out re-validation where the preset file has "
            "one.</p>")


def _pareto_section(study: optuna.Study, names: list[str], entries: list[tuple[str, str, dict[str, Any]]],
                    trials: Mapping[int, optuna.trial.FrozenTrial]) -> str:
    names_of: dict[int, list[str]] = {}  # with one front member, every name points at the same trial
    for name, kind, entry in entries:
        if kind == "preset" and entry["trial"] in trials:
            names_of.setdefault(entry["trial"], []).append(name)
    labels = {", ".join(preset_names): list(trials[number].values) for number, preset_names in names_of.items()}
    labelled = ", labelled with their preset names" if len(names) == 2 else ""
    caption = ("Every completed trial by its objective values (Optuna's plot_pareto_front). \"Best Trial\" "
               f"points form the feasible Pareto front{labelled}; infeasible trials (a clip was silent, noise or "
               "clipped) are drawn as such and can never become presets.")
    return _figure_section("pareto", "Pareto front",
                           lambda: pareto_front_png(study, target_names=names, labels=labels), caption)


def _hypervolume_section(study: optuna.Study, names: list[str]) -> str:
    try:
        reference = hypervolume_reference_point(study)
    except PlotUnavailable as exc:
        return _section("hypervolume", "Hypervolume history", f"<p class='missing'>{_e(str(exc))}</p>")
    shown = ", ".join(f"{n} {v:.4g}" for n, v in zip(names, reference, strict=True))
    caption = (f"Hypervolume dominated by the feasible trials completed so far, by trial number (Optuna's "
               f"plot_hypervolume_history); a flat tail means recent trials stopped improving the front. "
               f"Reference point ({shown}): the worst feasible value of each objective moved outwards by 10 % "
               f"of its observed range, so the numbers compare trials of this study only.")
    return _figure_section("hypervolume", "Hypervolume history",
                           lambda: hypervolume_history_png(study, reference_point=reference), caption)


def _importance_section(study: optuna.Study, names: list[str], directions: list[str]) -> str:
    parts = []
    for i, (name, direction) in enumerate(zip(names, directions, strict=True)):
        caption = (f"How much each decoding parameter matters for reaching the best 10 % of trials on {name} "
                   f"({direction}), by Optuna's plot_param_importances (PED-ANOVA, which handles top_k and "
                   "top_p existing only under their strategy). Importances sum to 1 and are relative.")
        parts.append(_figure(f"importance-{name}",
                             lambda i=i, name=name, direction=direction: param_importances_png(
                                 study, objective=i, name=name, direction=direction), caption))
    return _section("importances", "Parameter importances", "\n".join(parts))


def _presets_section(entries: list[tuple[str, str, dict[str, Any]]], *, has_document: bool) -> str:
    if not entries:
        why = ("no feasible trial, so no preset" if not has_document else "the preset file names no preset")
        return _section("presets", "Presets against baselines", f"<p class='missing'>There is {why} to show.</p>")
    held_out = any("validation" in entry for _, _, entry in entries)
    head = ["name", "kind", "trial", "strategy", "temperature", "top_k", "top_p", "cfg_coef",
            "CLAP [95 % CI]", "repetition [95 % CI]"]
    if held_out:
        head += ["held-out CLAP [95 % CI]", "held-out repetition [95 % CI]", "optimism CLAP", "optimism repetition"]
    rows = []
    for name, kind, entry in entries:
        params = entry.get("params", {})
        strategy = entry.get("strategy", "?")
        label = name + ("" if entry.get("feasible", True) else " (degenerate)")
        cells = [label, kind, str(entry["trial"]), strategy,
                 "-" if strategy == "greedy" else _num(params.get("temperature"), 2),
                 str(params.get("top_k")) if strategy == "top_k" else "-",
                 _num(params.get("top_p"), 3) if strategy == "top_p" else "-",
                 _num(params.get("cfg_coef"), 2)]
        cells += [_interval_text(entry["scores"].get(s)) for s, _ in _SCORES]
        if held_out:
            validation = entry.get("validation") or {}
            optimism = entry.get("optimism") or {}
            cells += [_interval_text(validation.get(s)) for s, _ in _SCORES]
            cells += [_num(optimism.get(s), 3) for s, _ in _SCORES]
        rows.append(cells)
    table = _table(head, rows, css="presets")
    panels = []
    for score, title in _SCORES:
        in_study = [_interval(_chart_label(name, kind), entry["scores"].get(score)) for name, kind, entry in entries]
        validated = [_interval(_chart_label(name, kind), (entry.get("validation") or {}).get(score))
                     for name, kind, entry in entries]
        panels.append((title, [p for p in in_study if p], [p for p in validated if p]))
    caption = ("Each preset and baseline: mean with its 95 % confidence interval on the study's prompts"
               + (" (circles) and on held-out prompts (squares, where re-validated)" if held_out else "")
               + ". Intervals that do not overlap mark a clear difference; overlapping ones may still differ, "
               "since every trial is scored on the same seeds and paired differences are tighter than these "
               "intervals.")
    note = ("<p>Optimism: the study score minus the held-out score as stored in the preset file; a large "
            "value means the preset was selected partly for luck on the study's prompts.</p>" if held_out else "")
    chart = _figure("preset-intervals", lambda: preset_intervals_png(panels), caption)
    return _section("presets", "Presets against baselines", table + note + chart)


def _per_prompt_section(entries: list[tuple[str, str, dict[str, Any]]], trials: Mapping[int, Any],
                        prompts: list[str]) -> str:
    labelled: list[tuple[str, dict[str, dict[str, float]]]] = []
    for name, _, entry in entries:
        trial = trials.get(entry["trial"])
        stored = trial.user_attrs.get(_keys.PER_PROMPT, []) if trial is not None else []
        scores = {str(row["prompt"]): row for row in stored if isinstance(row, dict) and "prompt" in row}
        labelled.append((f"{name} (#{entry['trial']})", scores))
    for _, scores in labelled:  # prompts missing from the study spec still get a column
        prompts += [p for p in scores if p not in prompts]
    if not labelled or not prompts:
        return _section("per-prompt", "Per-prompt scores",
                        "<p class='missing'>No preset or baseline carries per-prompt scores.</p>")
    legend = _table(["", "prompt"], [[f"P{i + 1}", p] for i, p in enumerate(prompts)], css="prompts")
    panels = []
    for score, title in _SCORES:
        values = np.array([[_float(scores.get(p, {}).get(score)) for p in prompts] for _, scores in labelled])
        panels.append((f"mean {title}", values))
    rows = [[label, f"P{i + 1}", prompt, _num(scores.get(prompt, {}).get("clap"), 3),
             _num(scores.get(prompt, {}).get("repetition"), 3)]
            for label, scores in labelled for i, prompt in enumerate(prompts)]
    caption = ("Mean score over the seeds of each prompt, for each preset and baseline (its trial number after "
               "#). A prompt where every preset does poorly is hard for the model, not for the decoding.")
    chart = _figure("per-prompt-heatmap",
                    lambda: per_prompt_heatmap_png([label for label, _ in labelled], len(prompts), panels), caption)
    table = _table(["preset", "", "prompt", "CLAP", "repetition"], rows, css="per-prompt")
    return _section("per-prompt", "Per-prompt scores", legend + chart + table)


# --- helpers ------------------------------------------------------------------------------------------------

def _entries(document: Mapping[str, Any] | None) -> list[tuple[str, str, dict[str, Any]]]:
    if document is None:
        return []
    return ([(name, "preset", entry) for name, entry in document.get("presets", {}).items()]
            + [(name, "baseline", entry) for name, entry in document.get("baselines", {}).items()])


def _chart_label(name: str, kind: str) -> str:
    return name if kind == "preset" else f"{name} (baseline)"


def _figure_section(anchor: str, title: str, render, caption: str) -> str:
    return _section(anchor, title, _figure(anchor, render, caption))


def _figure(anchor: str, render, caption: str) -> str:
    try:
        png = render()
    except PlotUnavailable as exc:
        return f"<p class='missing' id='{_e(anchor)}'>{_e(str(exc))}</p>"
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure id='{_e(anchor)}'><img alt='{_e(anchor)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _section(anchor: str, title: str, body: str) -> str:
    # "sec-": a section and its only figure would otherwise share an id, which HTML forbids.
    return f"<section id='sec-{_e(anchor)}'>\n<h2>{_e(title)}</h2>\n{body}\n</section>"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, css: str) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{_e(css)}'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _interval(label: str, score: Any) -> ScoreInterval | None:
    if not isinstance(score, Mapping) or not _finite(score.get("mean")):
        return None
    try:
        low, high = confidence_interval(score)
    except ValueError:
        return None
    return ScoreInterval(label=label, mean=float(score["mean"]), low=low, high=high)


def _interval_text(score: Any) -> str:
    interval = _interval("", score)
    if interval is None:
        return "-"
    n = score.get("n")
    return f"{interval.mean:.3f} [{interval.low:.3f}, {interval.high:.3f}]" + (f" n={n}" if isinstance(n, int) else "")


def _num(value: Any, digits: int) -> str:
    return f"{float(value):.{digits}f}" if _finite(value) else "-"


def _float(value: Any) -> float:
    return float(value) if _finite(value) else math.nan


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _feasible(trial: optuna.trial.FrozenTrial) -> bool:
    return all(v <= 0.0 for v in trial.constraints.values())


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }}
td {{ font-variant-numeric: tabular-nums; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
figcaption {{ color: #555; font-size: 0.9em; }}
.missing {{ color: #a60; font-style: italic; }}
</style></head>
<body>
{body}
</body></html>
"""
