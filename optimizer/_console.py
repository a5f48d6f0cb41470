"""What the CLI shows: rich progress while trials run, and the final table of the front and baselines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import optuna
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from optimizer import _keys
from optimizer._runner import TrialHooks

__all__ = ["front_table", "trial_progress"]


@contextmanager
def trial_progress(console: Console, *, done: int, target: int) -> Iterator[TrialHooks]:
    """Two bars: trials completed out of the target, and decoding steps of the running trial."""
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False)
    with progress:
        trials = progress.add_task("trials", total=target, completed=done)
        steps = progress.add_task("decoding", total=1, visible=False)

        def start(numbers: list[int]) -> None:
            label = f"trial {numbers[0]}" if len(numbers) == 1 else f"trials {numbers[0]}-{numbers[-1]}"
            progress.reset(steps, total=1, visible=True, description=f"{label} decoding")

        def step(n: int, total: int) -> None:
            progress.update(steps, completed=n, total=total)

        def end(trial: optuna.trial.FrozenTrial) -> None:
            progress.advance(trials)
            scores = trial.user_attrs.get(_keys.SCORES, {})
            feasible = trial.user_attrs.get(_keys.DEGENERACY, {}).get("feasible", True)
            flag = "" if feasible else " [red]degenerate[/red]"
            progress.console.print(
                f"trial {trial.number}: CLAP {_fmt(scores.get('clap'))}, "
                f"repetition {_fmt(scores.get('repetition'))}{flag}")

        yield TrialHooks(on_batch_start=start, on_step=step, on_trial_end=end)


def _fmt(score: dict[str, Any] | None) -> str:
    if not score:
        return "-"
    return f"{score['mean']:.3f} ± {score['stderr']:.3f}"


def front_table(document: dict[str, Any]) -> Table:
    """A table of the exported presets and the baselines, with scores ± standard error; with re-validation,
    also the held-out means with their 95 % intervals and the optimism (search minus held-out mean); for a
    pairwise study, each entry's wins over the pairs it was compared in."""
    validated = "validation" in document
    pairwise = document["provenance"].get("mode") == "pairwise"
    kind = "Listener-preferred" if pairwise else "Pareto"
    title = f"{kind} presets for {document['genre']} (search: ± standard error"
    title += "; held-out: mean [95% interval])" if validated else ")"
    table = Table(title=title)
    columns = ["name", "trial", "strategy", "temperature", "top_k", "top_p", "cfg_coef", "CLAP ↑", "repetition ↓"]
    extra = [o["name"] for o in document["objectives"][2:] if o["name"] in ("diversity", "fad")]
    suffixes = any("prompt_suffix" in e["params"] for e in [*document["presets"].values(),
                                                             *document["baselines"].values()])
    if suffixes:
        columns.insert(7, "prompt suffix")
    columns += [f"{name} {'↑' if name == 'diversity' else '↓'}" for name in extra]
    if validated:
        columns += ["held-out CLAP", "held-out repetition", "optimism CLAP"]
    if pairwise:
        columns.append("wins/pairs")
    for column in columns:
        table.add_column(column, justify="left" if column in ("name", "strategy") else "right")
    rows = [(name, e, "") for name, e in document["presets"].items()]
    rows += [(name, e, "dim") for name, e in document["baselines"].items()]
    for name, entry, style in rows:
        p = entry["params"]
        strategy = entry["strategy"]
        cells = [
            name + ("" if entry.get("feasible", True) else " (degenerate)"), str(entry["trial"]), strategy,
            "-" if strategy == "greedy" else f"{p['temperature']:.2f}",
            str(p["top_k"]) if strategy == "top_k" else "-",
            f"{p['top_p']:.3f}" if strategy == "top_p" else "-",
            f"{p['cfg_coef']:.2f}", _fmt(entry["scores"]["clap"]), _fmt(entry["scores"]["repetition"]),
        ]
        if suffixes:
            cells.insert(7, p.get("prompt_suffix", "-"))
        cells += [f"{entry['scores'][name]:.3f}" if name in entry["scores"] else "-" for name in extra]
        if validated:
            held = entry.get("validation", {})
            cells += [_interval(held.get("clap")), _interval(held.get("repetition")),
                      f"{entry['optimism']['clap']:+.3f}" if "clap" in entry.get("optimism", {}) else "-"]
        if pairwise:
            cells.append(f"{entry['preference']['wins']}/{entry['preference']['comparisons']}")
        table.add_row(*cells, style=style)
    return table


def _interval(score: dict[str, Any] | None) -> str:
    if not score:
        return "-"
    low, high = score["ci95"]
    return f"{score['mean']:.3f} [{low:.3f}, {high:.3f}]"
