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
    """A table of the exported presets and the baselines, with scores ± standard error."""
    pairwise = document["provenance"].get("mode") == "pairwise"
    kind = "Listener-preferred" if pairwise else "Pareto"
    table = Table(title=f"{kind} presets for {document['genre']} (± standard error)")
    columns = ["name", "trial", "strategy", "temperature", "top_k", "top_p", "cfg_coef", "CLAP ↑", "repetition ↓"]
    for column in [*columns, *(["wins/pairs"] if pairwise else [])]:
        table.add_column(column, justify="left" if column in ("name", "strategy") else "right")
    rows = [(name, e, "") for name, e in document["presets"].items()]
    rows += [(name, e, "dim") for name, e in document["baselines"].items()]
    for name, entry, style in rows:
        p = entry["params"]
        strategy = entry["strategy"]
        table.add_row(
            name + ("" if entry.get("feasible", True) else " (degenerate)"), str(entry["trial"]), strategy,
            "-" if strategy == "greedy" else f"{p['temperature']:.2f}",
            str(p["top_k"]) if strategy == "top_k" else "-",
            f"{p['top_p']:.3f}" if strategy == "top_p" else "-",
            f"{p['cfg_coef']:.2f}", _fmt(entry["scores"]["clap"]), _fmt(entry["scores"]["repetition"]),
            *([f"{entry['preference']['wins']}/{entry['preference']['comparisons']}"] if pairwise else []),
            style=style,
        )
    return table
