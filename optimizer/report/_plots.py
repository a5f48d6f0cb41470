"""The report's figures as PNG bytes: Optuna's matplotlib plots of a study, and charts of presets and prompts.

Every function returns the PNG of one figure, or raises :class:`PlotUnavailable` with a sentence saying
why the study cannot support it yet (the report shows that sentence instead of the figure).
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import optuna

from objectives.scoring import is_feasible

__all__ = [
    "MIN_TRIALS_FOR_IMPORTANCE",
    "PlotUnavailable",
    "ScoreInterval",
    "hypervolume_history_png",
    "hypervolume_reference_point",
    "param_importances_png",
    "pareto_front_png",
    "per_prompt_heatmap_png",
    "preset_intervals_png",
]

MIN_TRIALS_FOR_IMPORTANCE = 10
"""Completed trials needed before importances are plotted. Optuna's default evaluator, PED-ANOVA, compares
the parameters of the best 10 % of trials with all trials; below 10 trials that best set is a single trial
and the importances are noise (Optuna's own note asks for at least 5 trials in it)."""

HYPERVOLUME_MARGIN = 0.1
"""Share of each objective's observed range by which the hypervolume reference point lies beyond the
worst observed value, so the worst trials still add volume."""

_DPI = 100


class PlotUnavailable(Exception):
    """The study cannot support this figure yet; the message is one sentence for the report."""


@dataclass(frozen=True)
class ScoreInterval:
    """One point of an interval chart: a mean and its 95 % confidence interval, same units as the score."""

    label: str
    mean: float
    low: float
    high: float


@contextmanager
def _figure_scope() -> Iterator[None]:
    """Render with matplotlib's Agg backend, restoring pyplot's style afterwards (Optuna's plots switch the
    global style to ggplot) and silencing Optuna's experimental/heuristic warnings."""
    import matplotlib.pyplot as plt

    with plt.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _complete(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def pareto_front_png(study: optuna.Study, *, target_names: Sequence[str],
                     labels: Mapping[str, Sequence[float]] | None = None) -> bytes:
    """Optuna's Pareto-front plot (``optuna.visualization.matplotlib.plot_pareto_front``) of every completed
    trial, with infeasible (degenerate) trials drawn as such from the constraints stored by
    ``Trial.set_constraint``. Two objectives give a 2-D plot, three a 3-D one.

    Args:
        target_names: the objectives' names, for the axes.
        labels: text -> objective values of points to annotate (the named presets); 2-D plots only.

    Raises:
        PlotUnavailable: no completed trial.
    """
    from matplotlib.ticker import MaxNLocator
    from optuna.visualization.matplotlib import plot_pareto_front

    if not _complete(study):
        raise PlotUnavailable("The study has no completed trial yet.")
    with _figure_scope():
        ax = plot_pareto_front(study, target_names=list(target_names),
                               constraints_func=lambda t: list(t.constraints.values()))
        if len(study.directions) == 2:
            # Five ticks at most: scores that differ in the fourth decimal gave six-digit labels that overlapped.
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
            for text, values in (labels or {}).items():
                ax.annotate(text, (values[0], values[1]), textcoords="offset points", xytext=(5, 5),
                            fontsize="small")
        return _png(ax.get_figure())


def param_importances_png(study: optuna.Study, *, objective: int, name: str, direction: str) -> bytes:
    """Optuna's parameter-importance plot (``plot_param_importances``, PED-ANOVA) for one objective.

    PED-ANOVA scores how differently each parameter is distributed among the best 10 % of trials than among
    all trials, and it treats the target as lower-is-better; a maximised objective is therefore negated,
    so the plot always answers "what matters for doing well on ``name``". Conditional parameters (``top_k``
    only in top-k trials, ``top_p`` only in nucleus trials) are handled by the evaluator.

    Args:
        objective: index into ``trial.values``.
        name: the objective's name, for the axis.
        direction: ``"maximize"`` or ``"minimize"``.

    Raises:
        PlotUnavailable: fewer than :data:`MIN_TRIALS_FOR_IMPORTANCE` completed trials, no parameter, or the
            objective has one value in every trial (the best 10 % would be an arbitrary pick).
    """
    from optuna.visualization.matplotlib import plot_param_importances

    complete = _complete(study)
    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE:
        raise PlotUnavailable(f"Importances need at least {MIN_TRIALS_FOR_IMPORTANCE} completed trials; the study "
                              f"has {len(complete)}.")
    if not any(t.params for t in complete):
        raise PlotUnavailable("The completed trials have no parameters to rank.")
    if len({t.values[objective] for t in complete}) == 1:
        raise PlotUnavailable(f"Every completed trial has the same {name}, so no parameter can matter for it.")
    sign = -1.0 if direction == "maximize" else 1.0
    target: Callable[[optuna.trial.FrozenTrial], float] = lambda t: sign * t.values[objective]  # noqa: E731
    with _figure_scope():
        ax = plot_param_importances(study, target=target, target_name=name)
        ax.set_title(f"Parameter importances for {name} ({direction})", loc="left")  # replaces Optuna's title
        return _png(ax.get_figure())


def hypervolume_reference_point(study: optuna.Study) -> list[float]:
    """The reference point of the hypervolume history: per objective, the worst value among the completed
    feasible trials, moved outwards by :data:`HYPERVOLUME_MARGIN` of the observed range (or of the value's
    magnitude, or by 0.1, when all trials agree), so every feasible trial adds volume.

    Worse means lower for a maximised objective and higher for a minimised one (the study's directions).

    Raises:
        PlotUnavailable: no completed feasible trial.
    """
    values = np.array([t.values for t in _complete(study) if is_feasible(t.constraints)], dtype=np.float64)
    if values.size == 0:
        raise PlotUnavailable("No completed trial is feasible (every one produced degenerate audio), so the "
                              "hypervolume is zero throughout.")
    reference = []
    for j, direction in enumerate(study.directions):
        column = values[:, j]
        span = float(column.max() - column.min())
        worst = float(column.min() if direction == optuna.study.StudyDirection.MAXIMIZE else column.max())
        margin = HYPERVOLUME_MARGIN * (span if span > 0 else (abs(worst) if worst != 0 else 1.0))
        reference.append(worst - margin if direction == optuna.study.StudyDirection.MAXIMIZE else worst + margin)
    return reference


def hypervolume_history_png(study: optuna.Study, *, reference_point: Sequence[float]) -> bytes:
    """Optuna's hypervolume history (``plot_hypervolume_history``): the hypervolume dominated by the feasible
    trials completed so far, per trial number, against ``reference_point`` (one value per objective, in the
    objectives' units; see :func:`hypervolume_reference_point`).

    Raises:
        PlotUnavailable: no completed trial.
    """
    from optuna.visualization.matplotlib import plot_hypervolume_history

    if not _complete(study):
        raise PlotUnavailable("The study has no completed trial yet.")
    with _figure_scope():
        ax = plot_hypervolume_history(study, reference_point=list(reference_point))
        return _png(ax.get_figure())


def preset_intervals_png(panels: Sequence[tuple[str, Sequence[ScoreInterval], Sequence[ScoreInterval]]]) -> bytes:
    """An error-bar chart, one panel per score: each preset's mean with its 95 % confidence interval.

    Args:
        panels: ``(title, in_study, held_out)`` per score; ``held_out`` may be empty, or hold intervals for
            some of the labels of ``in_study`` (drawn beside them with another marker).

    Raises:
        PlotUnavailable: no interval at all.
    """
    import matplotlib.pyplot as plt

    if not any(study_points for _, study_points, _ in panels):
        raise PlotUnavailable("There is no preset or baseline to compare.")
    labels = list(dict.fromkeys(p.label for _, points, _ in panels for p in points))
    height = max(2.5, 0.45 * len(labels) + 1.2)
    with _figure_scope():
        fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), height), squeeze=False,
                                 layout="constrained")
        for ax, (title, study_points, held_out) in zip(axes[0], panels, strict=True):
            for points, offset, marker, legend in ((study_points, -0.12, "o", "study trials"),
                                                   (held_out, 0.12, "s", "held-out prompts")):
                if not points:
                    continue
                y = [labels.index(p.label) + offset for p in points]
                means = np.array([p.mean for p in points])
                errors = np.array([[p.mean - p.low for p in points], [p.high - p.mean for p in points]])
                ax.errorbar(means, y, xerr=errors, fmt=marker, capsize=3, label=legend)
            ax.set_yticks(range(len(labels)), labels)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.grid(axis="x", alpha=0.3)
            if held_out:
                ax.legend(loc="best", fontsize="small")
        return _png(fig)


def per_prompt_heatmap_png(rows: Sequence[str], columns: int, panels: Sequence[tuple[str, np.ndarray]]) -> bytes:
    """Heatmaps of per-prompt means: one panel per score, presets down, prompts ``P1..Pn`` across.

    Args:
        rows: preset labels (the heatmaps' rows).
        columns: number of prompts.
        panels: ``(title, values)`` with ``values`` of shape ``[len(rows), columns]``; NaN where a trial
            stored no per-prompt score.

    Raises:
        PlotUnavailable: no rows or no prompts, or every value is missing.
    """
    import matplotlib.pyplot as plt

    if not rows or columns == 0 or all(np.isnan(v).all() for _, v in panels):
        raise PlotUnavailable("No preset carries per-prompt scores.")
    width = max(4.0, 0.6 * columns + 2.5)
    with _figure_scope():
        fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), max(2.2, 0.4 * len(rows) + 1.5)),
                                 squeeze=False, layout="constrained")
        for ax, (title, values) in zip(axes[0], panels, strict=True):
            image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="viridis")
            ax.set_xticks(range(columns), [f"P{i + 1}" for i in range(columns)])
            ax.set_yticks(range(len(rows)), list(rows))
            ax.set_title(title)
            fig.colorbar(image, ax=ax)
            for (i, j), value in np.ndenumerate(values):
                if math.isfinite(value):  # dark text on viridis' light end, light text on its dark end
                    color = "k" if image.norm(value) > 0.6 else "w"
                    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color=color, fontsize="x-small")
        return _png(fig)
