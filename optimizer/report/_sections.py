"""The report's sections: summary, Pareto front, hypervolume, importances, presets, per-prompt scores."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np
import optuna

from objectives import get_objective
from objectives.scoring import is_feasible
from optimizer._payloads import read
from optimizer._record_payloads import PerPrompt
from optimizer.report._document import SCORES, chart_label
from optimizer.report._html import (
    as_float,
    escape,
    figure,
    figure_section,
    html_table,
    interval_text,
    num,
    score_interval,
    section,
)
from optimizer.report._plots import (
    PlotUnavailable,
    hypervolume_history_png,
    hypervolume_reference_point,
    param_importances_png,
    pareto_front_png,
    per_prompt_heatmap_png,
    preset_intervals_png,
)
from optimizer.search import stopped_trials

__all__ = ["hypervolume_section", "importance_section", "pareto_section", "per_prompt_section", "presets_section",
           "summary_section"]


def summary_section(study: optuna.Study, genre: str, spec: Mapping[str, Any], complete: list,
                    presets_source: str) -> str:
    """The summary table: genre, study, model, setup, trial counts, where the presets came from."""
    states = [t.state for t in study.get_trials(deepcopy=False)]
    feasible = sum(1 for t in complete if is_feasible(t.constraints))
    stopped = stopped_trials(study)
    rows = [
        ("genre", genre), ("study", study.study_name), ("model", spec.get("model", "?")),
        ("CLAP checkpoint", spec.get("clap", "?")), ("clip length", f"{spec.get('duration', '?')} s"),
        ("prompts × seeds", f"{len(spec.get('prompts', []))} × {spec.get('replicates', '?')}"),
        ("audio channels", "stereo (2)" if spec.get("audio_channels", 1) == 2 else "mono (1)"),
        ("conditioning", _conditioning(spec)),
        ("trials", f"{len(complete)} complete ({feasible} feasible, {len(complete) - feasible} degenerate), "
                   + (f"{len(stopped)} stopped by racing, " if stopped else "")
                   + f"{states.count(optuna.trial.TrialState.FAIL)} failed, "
                   f"{states.count(optuna.trial.TrialState.RUNNING)} running"),
        ("presets", presets_source),
        ("generated", datetime.now(timezone.utc).isoformat(timespec="seconds")),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return (f"<h1>{escape(genre)}: MusicGen decoding report</h1>\n<table class='summary'>{table}</table>\n"
            "<p>Confidence intervals are 95 %: mean ± 1.96 × standard error over the clips (normal "
            "approximation), or the interval stored with a held-out re-validation where the preset file has "
            "one.</p>")


def _conditioning(spec: Mapping[str, Any]) -> str:
    """What the study's clips were conditioned on besides the text: melodies, audio prompts (file digests)."""
    parts = [f"{what}: {', '.join(spec[key])}" for key, what in (("melody", "melodies"),
                                                                 ("continuation", "continued audio prompts"))
             if spec.get(key)]
    return "; ".join(parts) or "text only"


def pareto_section(study: optuna.Study, names: list[str], entries: list[tuple[str, str, dict[str, Any]]],
                    trials: Mapping[int, optuna.trial.FrozenTrial]) -> str:
    names_of: dict[int, list[str]] = {}  # with one front member, every name points at the same trial
    for name, kind, entry in entries:
        # Unnamed front members (pareto_<trial>) are the plot's "Best Trial" points already; labelling them
        # too piled their labels onto the named presets' (seen at 1280 px).
        if kind == "preset" and entry["trial"] in trials and not name.startswith("pareto_"):
            names_of.setdefault(entry["trial"], []).append(name)
    labels = {", ".join(preset_names): list(trials[number].values) for number, preset_names in names_of.items()}
    labelled = ", labelled with their preset names" if len(names) == 2 else ""
    caption = ("Every completed trial by its objective values (Optuna's plot_pareto_front). \"Best Trial\" "
               f"points form the feasible Pareto front{labelled}; infeasible trials (a clip was silent, noise or "
               "clipped) are drawn as such and can never become presets.")
    return figure_section("pareto", "Pareto front",
                           lambda: pareto_front_png(study, target_names=names, labels=labels), caption)


def hypervolume_section(study: optuna.Study, names: list[str]) -> str:
    try:
        reference = hypervolume_reference_point(study)
    except PlotUnavailable as exc:
        return section("hypervolume", "Hypervolume history", f"<p class='missing'>{escape(str(exc))}</p>")
    shown = ", ".join(f"{n} {v:.4g}" for n, v in zip(names, reference, strict=True))
    caption = (f"Hypervolume dominated by the feasible trials completed so far, by trial number (Optuna's "
               f"plot_hypervolume_history); a flat tail means recent trials stopped improving the front. "
               f"Reference point ({shown}): the worst feasible value of each objective moved outwards by 10 % "
               f"of its observed range, so the numbers compare trials of this study only.")
    return figure_section("hypervolume", "Hypervolume history",
                           lambda: hypervolume_history_png(study, reference_point=reference), caption)


def importance_section(study: optuna.Study, names: list[str], directions: list[str]) -> str:
    parts = []
    for i, (name, direction) in enumerate(zip(names, directions, strict=True)):
        caption = (f"How much each decoding parameter matters for reaching the best 10 % of trials on {name} "
                   f"({direction}), by Optuna's plot_param_importances (PED-ANOVA, which handles top_k and "
                   "top_p existing only under their strategy). Importances sum to 1 and are relative.")
        parts.append(figure(f"importance-{name}",
                             lambda i=i, name=name, direction=direction: param_importances_png(
                                 study, objective=i, name=name, direction=direction), caption))
    # The same reason for every objective (too few trials) is said once, not once per objective.
    return section("importances", "Parameter importances", "\n".join(dict.fromkeys(_without_ids(parts))))


def _without_ids(parts: list[str]) -> list[str]:
    """Figures as rendered; a "missing" paragraph without its per-objective id, so equal reasons compare equal."""
    return [re.sub(r" id='[^']*'", "", part, count=1) if part.startswith("<p class='missing'") else part
            for part in parts]


def presets_section(entries: list[tuple[str, str, dict[str, Any]]], *, has_document: bool) -> str:
    if not entries:
        why = ("no feasible trial, so no preset" if not has_document else "the preset file names no preset")
        return section("presets", "Presets against baselines", f"<p class='missing'>There is {why} to show.</p>")
    held_out = any("validation" in entry for _, _, entry in entries)
    labels = [get_objective(s).label for s, _ in SCORES]
    head = ["name", "kind", "trial", "decoding", *(f"{label} [95 % CI]" for label in labels)]
    if held_out:
        head += [*(f"held-out {label} [95 % CI]" for label in labels), *(f"optimism {label}" for label in labels)]
    rows = []
    for name, kind, entry in entries:
        params = entry.get("params", {})
        strategy = entry.get("strategy", "?")
        label = name + ("" if entry.get("feasible", True) else " (degenerate)")
        cells = [label, kind, str(entry["trial"]), decoding_text(strategy, params)]
        cells += [interval_text(entry["scores"].get(s)) for s, _ in SCORES]
        if held_out:
            validation = entry.get("validation") or {}
            optimism = entry.get("optimism") or {}
            cells += [interval_text(validation.get(s)) for s, _ in SCORES]
            cells += [num(optimism.get(s), 3) for s, _ in SCORES]
        rows.append(cells)
    table = html_table(head, rows, css="presets")
    panels = []
    for score, title in SCORES:
        in_study = [score_interval(chart_label(name, kind), entry["scores"].get(score))
                    for name, kind, entry in entries]
        validated = [score_interval(chart_label(name, kind), (entry.get("validation") or {}).get(score))
                     for name, kind, entry in entries]
        panels.append((title, [p for p in in_study if p], [p for p in validated if p]))
    caption = ("Each preset and baseline: mean with its 95 % confidence interval on the study's prompts"
               + (" (circles) and on held-out prompts (squares, where re-validated)" if held_out else "")
               + ". Intervals that do not overlap mark a clear difference; overlapping ones may still differ, "
               "since every trial is scored on the same seeds and paired differences are tighter than these "
               "intervals.")
    note = ("<p>Optimism: the study score minus the held-out score as stored in the preset file; a large "
            "value means the preset was selected partly for luck on the study's prompts.</p>" if held_out else "")
    chart = figure("preset-intervals", lambda: preset_intervals_png(panels), caption)
    return section("presets", "Presets against baselines", table + note + chart)


def decoding_text(strategy: str, params: Mapping[str, Any]) -> str:
    """One cell for a configuration, naming only what its strategy uses: ``top_k 250, temperature 1.00,
    cfg_coef 3.00`` (five mostly-empty columns made the table wider than the page)."""
    parts = [] if strategy not in ("top_k", "top_p") else [
        f"top_k {params.get('top_k')}" if strategy == "top_k" else f"top_p {num(params.get('top_p'), 3)}"]
    if strategy == "greedy":
        parts.append("greedy")
    else:
        parts.append(f"temperature {num(params.get('temperature'), 2)}")
    parts.append(f"cfg_coef {num(params.get('cfg_coef'), 2)}")
    return ", ".join(parts)


def per_prompt_section(entries: list[tuple[str, str, dict[str, Any]]], trials: Mapping[int, Any],
                        prompts: list[str]) -> str:
    labelled: list[tuple[str, dict[str, dict[str, float]]]] = []
    for name, _, entry in entries:
        trial = trials.get(entry["trial"])
        per_prompt = read(trial, PerPrompt) if trial is not None else None
        stored = per_prompt.rows if per_prompt is not None else []
        scores = {row.prompt: row.scores for row in stored}
        labelled.append((f"{name} (#{entry['trial']})", scores))
    for _, scores in labelled:  # prompts missing from the study spec still get a column
        prompts += [p for p in scores if p not in prompts]
    if not labelled or not prompts:
        return section("per-prompt", "Per-prompt scores",
                        "<p class='missing'>No preset or baseline carries per-prompt scores.</p>")
    legend = html_table(["", "prompt"], [[f"P{i + 1}", p] for i, p in enumerate(prompts)], css="prompts")
    panels = []
    for score, title in SCORES:
        values = np.array([[as_float(scores.get(p, {}).get(score)) for p in prompts] for _, scores in labelled])
        panels.append((f"mean {title}", values))
    rows = [[label, f"P{i + 1}", *(num(scores.get(prompt, {}).get(s), 3) for s, _ in SCORES)]
            for label, scores in labelled for i, prompt in enumerate(prompts)]
    caption = ("Mean score over the seeds of each prompt, for each preset and baseline (its trial number after "
               "#). A prompt where every preset does poorly is hard for the model, not for the decoding.")
    chart = figure("per-prompt-heatmap",
                    lambda: per_prompt_heatmap_png([label for label, _ in labelled], len(prompts), panels), caption)
    table = html_table(["preset", "prompt", *(get_objective(s).label for s, _ in SCORES)], rows, css="per-prompt")
    return section("per-prompt", "Per-prompt scores", legend + chart + table)

