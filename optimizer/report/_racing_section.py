"""The report's section on trials racing stopped (``optimize --racing``): stopped at stage s/S, not failed."""

from __future__ import annotations

import optuna

from objectives import get_objective
from optimizer._trial_payloads import RacingStop
from optimizer.report._html import html_table, num, section
from optimizer.search import stopped_trials

__all__ = ["racing_section"]


def racing_section(study: optuna.Study, names: list[str]) -> str:
    """A table of the trials racing stopped: stage, why, clips decoded and the partial scores (mean ± stderr over
    prompts); an empty string when racing stopped none (the section is then left out)."""
    stopped = stopped_trials(study)
    if not stopped:
        return ""
    labels = [_label(name) for name in names]
    head = ["trial", "stopped at stage", "why", "clips", *(f"{label} (partial)" for label in labels)]
    rows = []
    for trial, stop in stopped:
        scores = [stop.scores.get(name) for name in names]
        rows.append([str(trial.number), f"{stop.stage}/{stop.stages}", _why(stop), f"{stop.clips}/{stop.clips_full}",
                     *("-" if s is None else f"{num(s.mean, 3)} ± {num(s.stderr, 3)}" for s in scores)])
    text = (f"<p>{len(stopped)} trial(s) were stopped by racing before their full evaluation (told PRUNED, with the "
            "scores of the clips decoded so far): they count as tried configurations, are not failures, and are "
            "never presets. Their scores are partial and not comparable to the complete trials' above.</p>")
    return section("racing", "Trials stopped by racing", text + html_table(head, rows, css="racing"))


def _why(stop: RacingStop) -> str:
    if stop.verdict == "infeasible":
        return "infeasible: " + ", ".join(k for k, v in stop.constraints.items() if v > 0)
    return f"dominated at level {stop.level:g}"


def _label(name: str) -> str:
    try:
        return get_objective(name).label
    except KeyError:
        return name
