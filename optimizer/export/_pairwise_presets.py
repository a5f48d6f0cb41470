"""Exporting a pairwise study's preferred configurations as a preset file (same format as the Pareto presets)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import optuna

from objectives.scoring import is_feasible
from optimizer._payloads import has, read
from optimizer._record_payloads import TrialParams
from optimizer._study_payloads import PairwiseSetup
from optimizer.export._presets import NoFeasibleTrialError, baseline_entries, preset_entry, provenance
from optimizer.presets import SCHEMA_VERSION

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = ["build_pairwise_presets", "preference_stats"]

_OBJECTIVE = {
    "name": "listener_preference",
    "direction": "maximize",
    "description": "blind comparisons in optuna-dashboard: the listener hears clips of several configurations "
                   "(same prompt and seed) and marks the worst; preferred presets were never ranked below another",
}


def preference_stats(study: PreferentialStudy) -> dict[int, dict[str, int]]:
    """Per compared trial number: ``wins`` and ``losses`` (pairs it was better or worse in) and
    ``comparisons`` (their sum)."""
    wins: Counter[int] = Counter()
    losses: Counter[int] = Counter()
    for better, worse in study.get_preferences(deepcopy=False):
        wins[better.number] += 1
        losses[worse.number] += 1
    return {n: {"wins": wins[n], "losses": losses[n], "comparisons": wins[n] + losses[n]}
            for n in sorted(set(wins) | set(losses))}


def build_pairwise_presets(study: PreferentialStudy, *, genre: str) -> dict[str, Any]:
    """The preset document of a pairwise study.

    Presets are the study's best trials by preference (``PreferentialStudy.best_trials``: compared and never
    ranked worse than another), without degenerate ones, ranked by win rate (wins / comparisons), then wins,
    then trial number. The first is ``preferred``, the others ``preferred_<trial>``. Each entry has the fields
    of a Pareto preset (params, renderings, CLAP and repetition scores) plus ``preference``: wins, losses,
    comparisons. Baselines are the compared reference trials.

    Raises:
        NoFeasibleTrialError: no compared, non-degenerate trial was never ranked worse.
    """
    stats = preference_stats(study)
    best = [t for t in study.best_trials if has(t, TrialParams) and is_feasible(t.constraints)]
    if not best:
        raise NoFeasibleTrialError(
            f"pairwise study {study.study_name!r} has no compared, non-degenerate trial that the listener never "
            "ranked below another yet; compare more clips in the dashboard.")

    def rank(t: optuna.trial.FrozenTrial) -> tuple[float, int, int]:
        s = stats[t.number]
        return (-s["wins"] / s["comparisons"], -s["wins"], t.number)

    best.sort(key=rank)
    names = ["preferred", *[f"preferred_{t.number}" for t in best[1:]]]
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    feasible = [t for t in complete if is_feasible(t.constraints)]
    pairwise = read(study, PairwiseSetup)
    prov = provenance(study, n_complete=len(complete), n_feasible=len(feasible))
    prov.update({"mode": "pairwise", "n_preferences": sum(s["wins"] for s in stats.values())})
    if pairwise is not None:
        prov["compare"] = pairwise.compare
    baselines = baseline_entries(complete, {})
    for entry in baselines.values():
        entry["preference"] = stats.get(entry["trial"], {"wins": 0, "losses": 0, "comparisons": 0})
    return {
        "schema_version": SCHEMA_VERSION,
        "genre": genre,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": prov,
        "objectives": [_OBJECTIVE],
        "presets": {name: {**preset_entry(t, {}), "preference": stats[t.number]}
                    for name, t in zip(names, best, strict=True)},
        "baselines": baselines,
    }
