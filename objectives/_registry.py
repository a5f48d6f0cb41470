"""The objective registry: every objective a study can optimise, as one entry each.

Everything that names objectives (the runner's values and stored scores, the study spec, re-validation, the
preset file's ``objectives`` block and schema, the console's table, the report) iterates over this registry, so
adding an objective means one :func:`register` call here plus the scorer that computes it (README, "How to add
an objective"). Plain data and stdlib only: the torch- and numpy-free preset loader imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from objectives._evaluation import Evaluation

__all__ = [
    "Objective",
    "UnknownObjectiveError",
    "fixed_objectives",
    "get_objective",
    "objective_names",
    "register",
    "registered",
    "revalidated_objectives",
    "selectable_objectives",
    "unregister",
]

Direction = Literal["maximize", "minimize"]


class UnknownObjectiveError(KeyError):
    """An objective name that is not in the registry."""


@dataclass(frozen=True, kw_only=True)
class Objective:
    """One objective.

    Attributes:
        name: stored key (``mgopt:scores:v1`` entry, preset ``scores`` key, ``trial.values`` name); lower case.
        direction: ``maximize`` or ``minimize``.
        description: one sentence for the preset file's ``objectives`` block (and the README's table).
        label: short column title for the console and report (``CLAP``).
        title_text: longer name for chart titles (``CLAP adherence``); the label when None.
        read: the measured value of an :class:`~objectives.Evaluation`: a ``ScoreSummary`` (mean, stderr, n;
            stored as a dict), a plain number (stored as is) or None where this evaluator does not measure it.
            None for objectives told by a person (``rating``), which are never computed.
        samples: the per-unit values and the prompt index of each (``(values, prompts)``), for re-validation's
            prompt-clustered interval; None stores :attr:`read`'s number as the validation result.
        per_clip: :attr:`samples` has one value per clip (CLAP, repetition, melody), so a partial evaluation's
            samples are meaningful and racing (``optimize --racing``) may test it; diversity (one value per
            prompt, over its seeds) is not.
        revalidated: re-generation on held-out prompts measures it again (a listener rating cannot be).
        fixed: always one of a study's objectives, first and in registry order (``clap``, ``repetition``).
        selectable: a study may add it on request (the CLI's ``--objective`` choices).
        precision: decimals shown in the console and report.
    """

    name: str
    direction: Direction
    description: str
    label: str
    title_text: str | None = None
    read: Callable[[Evaluation], Any] | None = None
    samples: Callable[[Evaluation], tuple[Sequence[float], Sequence[int]]] | None = None
    per_clip: bool = False
    revalidated: bool = True
    fixed: bool = False
    selectable: bool = False
    precision: int = 3

    @property
    def title(self) -> str:
        """Chart title: :attr:`title_text`, else :attr:`label`."""
        return self.title_text or self.label

    @property
    def arrow(self) -> str:
        """``↑`` when higher is better, ``↓`` otherwise."""
        return "↑" if self.direction == "maximize" else "↓"

    @property
    def told(self) -> bool:
        """Told by a person (no reader), never computed from an evaluation."""
        return self.read is None

    def value(self, evaluation: Evaluation) -> float | None:
        """The mean (or plain number) of this objective in ``evaluation``; None when not measured."""
        if self.read is None:
            return None
        measured = self.read(evaluation)
        if measured is None:
            return None
        return float(getattr(measured, "mean", measured))

    def stored(self, evaluation: Evaluation) -> dict[str, Any] | float | None:
        """What ``mgopt:scores:v1`` holds for it: ``{mean, stderr, n}``, a number, or None (not measured)."""
        measured = None if self.read is None else self.read(evaluation)
        if measured is None or isinstance(measured, (int, float)):
            return None if measured is None else float(measured)
        return measured.to_dict()


_REGISTRY: dict[str, Objective] = {}


def register(objective: Objective) -> Objective:
    """Add ``objective`` (after those registered before it) and return it.

    Raises:
        ValueError: the name is taken or not lower-case ``[a-z_]``, or the direction is not maximize/minimize.
    """
    if objective.name in _REGISTRY:
        raise ValueError(f"objective {objective.name!r} is already registered; choose another name.")
    if not objective.name.replace("_", "").isalpha() or not objective.name.islower():
        raise ValueError(f"objective names are lower-case letters and '_', but got {objective.name!r}.")
    if objective.direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize' but got {objective.direction!r}.")
    _REGISTRY[objective.name] = objective
    return objective


def unregister(name: str) -> None:
    """Remove ``name`` (for tests that register a toy objective); absent names are ignored."""
    _REGISTRY.pop(name, None)


def get_objective(name: str) -> Objective:
    """The entry of ``name``.

    Raises:
        UnknownObjectiveError: ``name`` is not registered.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownObjectiveError(f"unknown objective {name!r}; registered: {list(_REGISTRY)}.") from None


def registered() -> tuple[Objective, ...]:
    """Every objective, in registration order."""
    return tuple(_REGISTRY.values())


def objective_names() -> tuple[str, ...]:
    """Every objective's name, in registration order."""
    return tuple(_REGISTRY)


def fixed_objectives() -> tuple[str, ...]:
    """The objectives every study has, first and in this order (``clap``, ``repetition``)."""
    return tuple(o.name for o in _REGISTRY.values() if o.fixed)


def selectable_objectives() -> tuple[str, ...]:
    """The objectives a study may add on request."""
    return tuple(o.name for o in _REGISTRY.values() if o.selectable)


def revalidated_objectives() -> tuple[str, ...]:
    """The objectives re-validation measures again."""
    return tuple(o.name for o in _REGISTRY.values() if o.revalidated)


def _by_clip(field: str) -> Callable[[Evaluation], tuple[list[float], list[int]]]:
    return lambda e: ([getattr(c, field) for c in e.clips], [c.prompt_index for c in e.clips])


register(Objective(
    name="clap", direction="maximize", label="CLAP", title_text="CLAP adherence", fixed=True,
    description="CLAP prompt adherence: cosine of prompt text and clip audio embeddings (higher is better)",
    read=lambda e: e.clap, samples=_by_clip("clap"), per_clip=True))
register(Objective(
    name="repetition", direction="minimize", label="repetition", fixed=True,
    description="share of the clip that repeats another segment near-exactly, 0-1 (lower is better)",
    read=lambda e: e.repetition, samples=_by_clip("repetition"), per_clip=True))
register(Objective(
    name="diversity", direction="maximize", label="diversity", selectable=True,
    description="mean pairwise cosine distance of CLAP audio embeddings across seeds of a prompt (higher is "
                "more varied)",
    read=lambda e: e.diversity,
    samples=lambda e: (list(e.prompt_diversity), list(range(len(e.prompt_diversity))))))
register(Objective(
    name="fad", direction="minimize", label="FAD",
    description="Frechet distance between CLAP audio embeddings of the clips and of the reference audio (lower is "
                "closer to the reference)",
    read=lambda e: e.fad))
register(Objective(
    name="melody", direction="maximize", label="melody",
    description="melody adherence: cosine similarity of the one-hot chromagrams of the conditioning melody and the "
                "clip, averaged over frames, 0-1 (Copet et al. 2023, sec. 4; higher follows the melody)",
    read=lambda e: e.melody, samples=_by_clip("melody"), per_clip=True))
register(Objective(
    name="rating", direction="maximize", label="rating", revalidated=False, precision=1,
    description="a listener's rating of the trial's clips in optuna-dashboard, 1-10 (higher is better); "
                "scores.rating pools every rated trial with the same params (stderr null below 2 ratings)"))
