"""What the CLI shows: rich progress while trials run, and the final table of the front and baselines."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import optuna
from rich.columns import Columns
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from objectives import get_objective, objective_names, registered
from optimizer._payloads import read
from optimizer._trial_payloads import Degeneracy, TrialScores
from optimizer.run._eta import RunClock, SteadyEstimate, format_left
from optimizer.search import TrialHooks

if TYPE_CHECKING:
    from optimizer.review import RatingHooks

__all__ = ["FrontView", "front_table", "rating_progress", "trial_progress"]


@contextmanager
def trial_progress(console: Console, *, done: int, target: int, clock: Callable[[], float] = time.monotonic,
                   line_every: float = 30.0) -> Iterator[TrialHooks]:
    """Two bars: trials completed out of the target with the time left (:class:`~optimizer.run._eta.RunClock`:
    decoding steps and scoring, not trial counts, shown steadily by :class:`~optimizer.run._eta.SteadyEstimate`
    and as "at least" while it is a lower bound), and decoding steps of the running pass. When the console is
    not a terminal (output piped to a file or a CI log) the bars do not draw, so a plain line says where the
    run is at most every ``line_every`` seconds and when a pass turns from decoding to scoring."""
    eta = RunClock(target=target, done=done, clock=clock)
    steady = SteadyEstimate(clock)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), console=console, transient=False)
    plain = not console.is_terminal
    last_line = [-line_every]
    label = [""]
    with progress:
        trials = progress.add_task("trials", total=target, completed=done, eta=format_left(None, bound=True))
        steps = progress.add_task("decoding", total=1, visible=False, eta="")

        def say(state: str, *, force: bool = False) -> None:
            left = format_left(steady.update(eta.remaining()), bound=eta.bound)
            progress.update(trials, eta=left)
            now = clock()
            if plain and (force or now - last_line[0] >= line_every):
                last_line[0] = now
                console.print(f"{eta.done}/{target} trials, {label[0]} {state}, {left}", markup=False,
                              highlight=False)

        def start(numbers: list[int]) -> None:
            label[0] = f"trial {numbers[0]}" if len(numbers) == 1 else f"trials {numbers[0]}-{numbers[-1]}"
            eta.start(len(numbers))
            progress.reset(steps, total=1, visible=True, description=f"{label[0]} decoding")

        def step(n: int, total: int) -> None:
            eta.step(n, total)
            progress.update(steps, completed=n, total=total)
            if n >= total:
                progress.update(steps, description=f"{label[0]} scoring")
                say("scoring", force=True)
            else:
                say(f"decoding step {n}/{total}")

        def end(trial: optuna.trial.FrozenTrial) -> None:
            eta.trial_end()
            progress.advance(trials)
            stored = read(trial, TrialScores)
            scores = {} if stored is None else stored.to_dict()
            feasible = (read(trial, Degeneracy) or Degeneracy.from_dict(None)).feasible
            flag = "" if feasible else " [red]degenerate[/red]"
            shown = ", ".join(f"{o.label} {_fmt(scores.get(o.name))}" for o in registered() if o.fixed)
            progress.console.print(f"trial {trial.number}: {shown}{flag}")
            progress.update(trials, eta=format_left(steady.update(eta.remaining()), bound=eta.bound))

        def stopped(trial, stop) -> None:  # racing stopped it: a finished configuration, not a failure
            eta.trial_end()
            progress.advance(trials)
            shown = ", ".join(f"{get_objective(name).label} {sum(values) / len(values):.3f}"
                              for name, (values, _) in stop.samples.items() if len(values))
            progress.console.print(f"trial {trial.number}: stopped by racing at stage {stop.stage}/{stop.stages} "
                                   f"({stop.verdict}) after {len(stop.evaluation.clips)} clips: {shown}",
                                   markup=False, highlight=False)

        yield TrialHooks(on_batch_start=start, on_step=step, on_trial_end=end, on_trial_stopped=stopped)


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
    title, columns, rows = _front(document)
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in ("name", "strategy") else "right")
    for cells, style in rows:
        table.add_row(*cells, style=style)
    return table


class FrontView:
    """:func:`front_table` where its natural width fits the console; else one block per preset (its name and
    trial, then ``column value`` items that flow onto as many lines as the width needs), so no cell or header is
    ever cut: an 80-column terminal shows every value whole."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = front_table(self.document)
        if Measurement.get(console, options.update(max_width=10_000), table).maximum <= options.max_width:
            yield table
            return
        title, columns, rows = _front(self.document)
        yield Text(title, style="italic", justify="left")
        for cells, style in rows:
            yield Text.assemble("\n", (cells[0], f"bold {style}".strip()), f"  trial {cells[1]}")
            items = [Text.assemble((f"{column} ", "dim"), (cell, style))
                     for column, cell in zip(columns[2:], cells[2:], strict=True)]
            yield Padding(Columns(items, padding=(0, 3)), (0, 0, 0, 2))


def _front(document: dict[str, Any]) -> tuple[str, list[str], list[tuple[list[str], str]]]:
    """The front's title, column headers and rows (cells, style) for :func:`front_table` and :class:`FrontView`."""
    validated = "validation" in document
    pairwise = document["provenance"].get("mode") == "pairwise"
    kind = "Listener-preferred" if pairwise else "Pareto"
    title = f"{kind} presets for {document['genre']} (search: ± standard error"
    title += "; held-out: mean [95% interval])" if validated else ")"
    entries = [(name, e, "") for name, e in document["presets"].items()]
    entries += [(name, e, "dim") for name, e in document["baselines"].items()]
    rated = any("rating" in e["scores"] for _, e, _ in entries)
    fixed = [o for o in registered() if o.fixed]
    columns = ["name", "trial", "strategy", "temperature", "top_k", "top_p", "cfg_coef",
               *(f"{o.label} {o.arrow}" for o in fixed)]
    names = {o.name for o in fixed}
    extra = [get_objective(o["name"]) for o in document["objectives"]
             if o["name"] in objective_names() and o["name"] not in names and not get_objective(o["name"]).told]
    suffixes = any("prompt_suffix" in e["params"] for _, e, _ in entries)
    if suffixes:
        columns.insert(7, "prompt suffix")
    columns += [f"{o.name} {o.arrow}" for o in extra]
    if rated:
        columns.append("rating ↑ (n)")
    if validated:
        columns += ["held-out CLAP", "held-out repetition", "optimism CLAP"]
    if pairwise:
        columns.append("wins/pairs")
    rows = []
    for name, entry, style in entries:
        p = entry["params"]
        strategy = entry["strategy"]
        cells = [
            name + ("" if entry.get("feasible", True) else " (degenerate)"), str(entry["trial"]), strategy,
            "-" if strategy == "greedy" else f"{p['temperature']:.2f}",
            str(p["top_k"]) if strategy == "top_k" else "-",
            f"{p['top_p']:.3f}" if strategy == "top_p" else "-",
            f"{p['cfg_coef']:.2f}", *(_fmt(entry["scores"][o.name]) for o in fixed),
        ]
        if suffixes:
            cells.insert(7, p.get("prompt_suffix", "-"))
        cells += [_fmt_any(entry["scores"].get(o.name)) for o in extra]
        if rated:
            cells.append(_fmt_rating(entry["scores"].get("rating")))
        if validated:
            held = entry.get("validation", {})
            cells += [_interval(held.get("clap")), _interval(held.get("repetition")),
                      f"{entry['optimism']['clap']:+.3f}" if "clap" in entry.get("optimism", {}) else "-"]
        if pairwise:
            cells.append(f"{entry['preference']['wins']}/{entry['preference']['comparisons']}")
        rows.append((cells, style))
    return title, columns, rows


def _interval(score: dict[str, Any] | None) -> str:
    if not score:
        return "-"
    low, high = score["ci95"]
    return f"{score['mean']:.3f} [{low:.3f}, {high:.3f}]"


@contextmanager
def rating_progress(console: Console, *, done: int, target: int, where: str) -> Iterator[RatingHooks]:
    """A bar of rated trials out of the target (its label says how many await a rating), the decoding bar, and
    one line per trial offered for rating, saying where to rate it (``where``: a URL or a command)."""
    from optimizer.review import RatingHooks

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
