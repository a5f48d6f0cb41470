"""What the CLI shows: rich progress while trials run, and the final table of the front and baselines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import optuna
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from optimizer import _keys
from optimizer._runner import TrialHooks

if TYPE_CHECKING:
    from optimizer._human import RatingHooks

__all__ = ["front_table", "rating_progress", "trial_progress"]


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


def _fmt_any(score: dict[str, Any] | float | None) -> str:
    """A ``{mean, stderr, n}`` score (stderr may be null) or a bare number (fad; diversity before version 2)."""
    if isinstance(score, dict):
        return f"{score['mean']:.3f}" + ("" if score["stderr"] is None else f" ± {score['stderr']:.3f}")
    return "-" if score is None else f"{score:.3f}"


def _fmt_rating(rating: dict[str, Any] | None) -> str:
    if not rating:
        return "-"
    spread = "" if rating["stderr"] is None else f" ± {rating['stderr']:.1f}"
    return f"{rating['mean']:.1f}{spread} ({rating['n']})"


def front_table(document: dict[str, Any]) -> Table:
    """A table of the exported presets and the baselines, with scores ± standard error; with re-validation,
    also the held-out means with their 95 % intervals and the optimism (search minus held-out mean); with
    listener ratings, their mean (n); for a pairwise study, each entry's wins over the pairs it was compared in."""
    validated = "validation" in document
    pairwise = document["provenance"].get("mode") == "pairwise"
    kind = "Listener-preferred" if pairwise else "Pareto"
    title = f"{kind} presets for {document['genre']} (search: ± standard error"
    title += "; held-out: mean [95% interval])" if validated else ")"
    table = Table(title=title)
    rows = [(name, e, "") for name, e in document["presets"].items()]
    rows += [(name, e, "dim") for name, e in document["baselines"].items()]
    rated = any("rating" in e["scores"] for _, e, _ in rows)
    columns = ["name", "trial", "strategy", "temperature", "top_k", "top_p", "cfg_coef", "CLAP ↑", "repetition ↓"]
    extra = [o["name"] for o in document["objectives"][2:] if o["name"] in ("diversity", "fad")]
    suffixes = any("prompt_suffix" in e["params"] for _, e, _ in rows)
    if suffixes:
        columns.insert(7, "prompt suffix")
    columns += [f"{name} {'↑' if name == 'diversity' else '↓'}" for name in extra]
    if rated:
        columns.append("rating ↑ (n)")
    if validated:
        columns += ["held-out CLAP", "held-out repetition", "optimism CLAP"]
    if pairwise:
        columns.append("wins/pairs")
    for column in columns:
        table.add_column(column, justify="left" if column in ("name", "strategy") else "right")
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
        cells += [_fmt_any(entry["scores"].get(name)) for name in extra]
        if rated:
            cells.append(_fmt_rating(entry["scores"].get("rating")))
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


@contextmanager
def rating_progress(console: Console, *, done: int, target: int, where: str) -> Iterator[RatingHooks]:
    """A bar of rated trials out of the target (its label says how many await a rating), the decoding bar, and
    one line per trial offered for rating, saying where to rate it (``where``: a URL or a command)."""
    from optimizer._human import RatingHooks

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False)
    with progress:
        rated = progress.add_task("rated", total=target, completed=done)
        steps = progress.add_task("decoding", total=1, visible=False)
        shown: list[tuple[int, ...]] = [()]

        def start(numbers: list[int]) -> None:
            label = f"trial {numbers[0]}" if len(numbers) == 1 else f"trials {numbers[0]}-{numbers[-1]}"
            progress.reset(steps, total=1, visible=True, description=f"{label} decoding")

        def step(n: int, total: int) -> None:
            progress.update(steps, completed=n, total=total)

        def offered(number: int, evaluation: Any) -> None:
            progress.update(steps, visible=False)
            flag = "" if evaluation.feasible else " [red]degenerate: it cannot become a preset[/red]"
            progress.console.print(
                f"trial {number} awaits your rating: CLAP {evaluation.clap.mean:.3f} ± {evaluation.clap.stderr:.3f}, "
                f"repetition {evaluation.repetition.mean:.3f} ± {evaluation.repetition.stderr:.3f}{flag}")

        def wait(awaiting: list[int], complete: int) -> None:
            progress.update(steps, visible=False)
            label = ", ".join(f"#{n}" for n in awaiting[:8]) + (", ..." if len(awaiting) > 8 else "")
            progress.update(rated, completed=complete,
                            description=f"rated ({len(awaiting)} awaiting: {label})" if awaiting else "rated")
            if tuple(awaiting) != shown[0]:
                shown[0] = tuple(awaiting)
                progress.console.print(f"{len(awaiting)} trial(s) await a rating ({label}); {complete} of "
                                       f"{target} rated. Rate them at {where}")

        yield RatingHooks(on_batch_start=start, on_step=step, on_offered=offered, on_wait=wait)
