"""The objective registry: every score the Evaluator computes, as one entry each, naming its scorer.

Everything that names objectives (the Evaluator's scores, the runner's values and stored scores, the study's
objective list, re-validation, the preset file's ``objectives`` block and schema, the console's table, the report)
iterates over this registry: adding an objective is its scorer (:class:`objectives.scoring.Scorer`) plus one
:func:`register` call here (docs/objectives.md). Scores recorded but never optimised are :class:`Diagnostic`
entries. Stdlib only (the torch- and numpy-free preset loader imports it): scorers are named ``"module:Class"``
and imported on first use (:func:`scorer_of`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    Evaluation = Any  # objectives.Evaluation, which imports this module (so not imported back)

__all__ = [
    "Diagnostic",
    "Objective",
    "UnknownObjectiveError",
    "diagnostics",
    "fixed_objectives",
    "get_objective",
    "measured_metrics",
    "objective_names",
    "register",
    "register_diagnostic",
    "registered",
    "revalidated_objectives",
    "scorer_of",
    "selectable_objectives",
    "study_objectives",
    "unregister",
]

Direction = Literal["maximize", "minimize"]
Unit = Literal["clip", "prompt", "config"]
AddedBy = Literal["melody", "reference", "human"]
ScorerSpec = str | Callable[[], Any]
"""A scorer (:class:`objectives.scoring.Scorer`, or its class) by ``"module:attribute"``, imported on first use,
or a zero-argument factory (a class)."""
_ADDED_BY: tuple[AddedBy, ...] = ("melody", "reference", "human")  # the order of the objectives they add


class UnknownObjectiveError(KeyError):
    """An objective name that is not in the registry."""


@dataclass(frozen=True, kw_only=True)
class Objective:
    """One objective.

    Attributes:
        name: stored key (``mgopt:scores:v1`` entry, preset ``scores`` key, ``trial.values`` name, the key of
            ``Evaluation.scores``); lower case.
        direction: ``maximize`` or ``minimize``.
        description: one sentence for the preset file's ``objectives`` block (and the README's table).
        label: short column title for the console and report (``CLAP``).
        title_text: longer name for chart titles (``CLAP adherence``); the label when None.
        scorer: what computes it (:data:`ScorerSpec`); the :class:`~objectives.Evaluator` runs every registered
            scorer. None for objectives told by a person (``rating``) or read by a custom :attr:`read`.
        unit: what the scorer produces: ``clip`` (one value per clip, stored as mean ± stderr over clips),
            ``prompt`` (one per prompt, over prompts) or ``config`` (one number, stored as is).
        read: the measured value of an :class:`~objectives.Evaluation`: a ``ScoreSummary`` (mean, stderr, n;
            stored as a dict), a plain number (stored as is) or None where this evaluator does not measure it.
            Defaults to ``evaluation.scores.get(name)`` when a scorer is named; None (and no scorer) for
            objectives told by a person, which are never computed.
        samples: the per-unit values and the prompt index of each (``(values, prompts)``), for re-validation's
            prompt-clustered interval; defaults to the per-clip or per-prompt values of a ``clip`` or ``prompt``
            scorer; None stores :attr:`read`'s number as the validation result.
        added_by: the run input that adds it to every study (``melody``: melodies, ``reference``: a reference
            set, ``human``: a listener rates); see :func:`study_objectives`.
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
    scorer: ScorerSpec | None = None
    unit: Unit = "config"
    read: Callable[[Evaluation], Any] | None = None
    samples: Callable[[Evaluation], tuple[Sequence[float], Sequence[int]]] | None = None
    added_by: AddedBy | None = None
    revalidated: bool = True
    fixed: bool = False
    selectable: bool = False
    precision: int = 3

    def __post_init__(self) -> None:
        if self.scorer is not None and self.read is None:
            object.__setattr__(self, "read", _reader(self.name))
        if self.scorer is not None and self.samples is None and self.unit != "config":
            object.__setattr__(self, "samples", _by_clip(self.name) if self.unit == "clip" else _by_prompt(self.name))

    @property
    def per_clip(self) -> bool:
        """:attr:`samples` has one value per clip (CLAP, repetition, melody), so a partial evaluation's samples are
        meaningful and racing (``optimize --racing``) may test it; diversity (one value per prompt, over its
        seeds) is not."""
        return self.unit == "clip"

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
        return _stored(None if self.read is None else self.read(evaluation))


@dataclass(frozen=True, kw_only=True)
class Diagnostic:
    """A score the Evaluator computes and every trial records in ``mgopt:scores:v1``, but no study optimises.

    Attributes:
        name: its key there and in ``Evaluation.scores``; lower case, distinct from every objective's.
        description: one sentence (what it shows).
        scorer: what computes it (:data:`ScorerSpec`).
        unit: what the scorer produces (see :attr:`Objective.unit`).
    """

    name: str
    description: str
    scorer: ScorerSpec
    unit: Unit = "clip"

    def stored(self, evaluation: Evaluation) -> dict[str, Any] | float | None:
        """As :meth:`Objective.stored`."""
        return _stored(evaluation.scores.get(self.name))


Metric = Objective | Diagnostic

_REGISTRY: dict[str, Objective] = {}
_DIAGNOSTICS: dict[str, Diagnostic] = {}
_SCORERS: dict[str, Any] = {}


def _check_entry(entry: Metric) -> None:
    if entry.name in _REGISTRY or entry.name in _DIAGNOSTICS:
        raise ValueError(f"objective {entry.name!r} is already registered; choose another name.")
    if not entry.name.replace("_", "").isalpha() or not entry.name.islower():
        raise ValueError(f"objective names are lower-case letters and '_', but got {entry.name!r}.")
    if entry.unit not in ("clip", "prompt", "config"):
        raise ValueError(f"unit must be 'clip', 'prompt' or 'config' but got {entry.unit!r}.")
    if isinstance(entry.scorer, str) and entry.scorer.count(":") != 1:
        raise ValueError(f"a scorer is named 'package.module:Attribute' but got {entry.scorer!r}.")


def register(objective: Objective) -> Objective:
    """Add ``objective`` (after those registered before it) and return it.

    Raises:
        ValueError: the name is taken (by an objective or a diagnostic) or not lower-case ``[a-z_]``, the
            direction is not maximize/minimize, the unit is unknown or a scorer name is not ``module:Attribute``.
    """
    _check_entry(objective)
    if objective.direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize' but got {objective.direction!r}.")
    _REGISTRY[objective.name] = objective
    return objective


def register_diagnostic(diagnostic: Diagnostic) -> Diagnostic:
    """Add a recorded-only score (after those registered before it) and return it; raises as :func:`register`."""
    _check_entry(diagnostic)
    _DIAGNOSTICS[diagnostic.name] = diagnostic
    return diagnostic


def unregister(name: str) -> None:
    """Remove objective or diagnostic ``name`` (for tests that register a toy one); absent names are ignored."""
    _REGISTRY.pop(name, None)
    _DIAGNOSTICS.pop(name, None)


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


def diagnostics() -> tuple[Diagnostic, ...]:
    """Every recorded-only score, in registration order."""
    return tuple(_DIAGNOSTICS.values())


def measured_metrics() -> tuple[Metric, ...]:
    """Every entry with a scorer, objectives first, then diagnostics, each in registration order: what the
    Evaluator computes and the runner records (``mgopt:scores:v1``, in this order)."""
    return (*(o for o in _REGISTRY.values() if o.scorer is not None), *_DIAGNOSTICS.values())


def scorer_of(entry: Metric) -> Any:
    """The :class:`objectives.scoring.Scorer` of ``entry``, imported on first use (cached by name).

    Raises:
        ValueError: the entry has no scorer. ImportError, AttributeError: its ``module:Attribute`` does not exist.
    """
    spec = entry.scorer
    if spec is None:
        raise ValueError(f"{entry.name!r} has no scorer (it is told by a person or read by a custom reader).")
    if not isinstance(spec, str):
        return spec()
    if spec not in _SCORERS:
        module, attribute = spec.split(":")
        found = getattr(importlib.import_module(module), attribute)
        _SCORERS[spec] = found() if isinstance(found, type) else found
    return _SCORERS[spec]


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


def study_objectives(extra: Sequence[str] = (), *, melody: bool = False, reference: bool = False,
                     human: bool = False) -> tuple[str, ...]:
    """A study's objectives: the fixed ones, then ``extra`` (duplicates dropped, in the order given), then those
    its run inputs add (:attr:`Objective.added_by`: with melodies, with a reference set, with a listener).

    ``study_objectives(("diversity",), melody=True, reference=True, human=True)`` is
    ``("clap", "repetition", "diversity", "melody", "fad", "rating")``.

    Raises:
        UnknownObjectiveError: a name in ``extra`` is not registered.
    """
    for name in extra:
        get_objective(name)
    has = {"melody": melody, "reference": reference, "human": human}
    added = (o.name for given in _ADDED_BY if has[given] for o in _REGISTRY.values() if o.added_by == given)
    return (*fixed_objectives(), *dict.fromkeys(extra), *added)


def _stored(measured: Any) -> dict[str, Any] | float | None:
    if measured is None or isinstance(measured, (int, float)):
        return None if measured is None else float(measured)
    return dict(measured.to_dict())


def _reader(name: str) -> Callable[[Evaluation], Any]:
    return lambda e: e.scores.get(name)

def _by_clip(name: str) -> Callable[[Evaluation], tuple[list[float], list[int]]]:
    return lambda e: ([c.value(name) for c in e.clips if c.values.get(name) is not None],
                      [c.prompt_index for c in e.clips if c.values.get(name) is not None])


def _by_prompt(name: str) -> Callable[[Evaluation], tuple[list[float], list[int]]]:
    return lambda e: (list(e.prompt_values[name]), list(range(len(e.prompt_values[name]))))


_SCORING = "objectives.scoring:"

register(Objective(
    name="clap", direction="maximize", label="CLAP", title_text="CLAP adherence", fixed=True,
    description="CLAP prompt adherence: cosine of prompt text and clip audio embeddings (higher is better)",
    scorer=_SCORING + "ClapAdherence", unit="clip"))
register(Objective(
    name="repetition", direction="minimize", label="repetition", fixed=True,
    description="share of the clip that repeats another segment near-exactly, 0-1 (lower is better)",
    scorer=_SCORING + "RepetitionExcess", unit="clip"))
register(Objective(
    name="diversity", direction="maximize", label="diversity", selectable=True,
    description="mean pairwise cosine distance of CLAP audio embeddings across seeds of a prompt (higher is "
                "more varied)",
    scorer=_SCORING + "Diversity", unit="prompt"))
register(Objective(
    name="fad", direction="minimize", label="FAD", added_by="reference",
    description="Frechet distance between CLAP audio embeddings of the clips and of the reference audio (lower is "
                "closer to the reference)",
    scorer=_SCORING + "FrechetDistance", unit="config"))
register(Objective(
    name="melody", direction="maximize", label="melody", added_by="melody",
    description="melody adherence: cosine similarity of the one-hot chromagrams of the conditioning melody and the "
                "clip, averaged over frames, 0-1 (Copet et al. 2023, sec. 4; higher follows the melody)",
    scorer=_SCORING + "MelodyAdherence", unit="clip"))
register(Objective(
    name="rating", direction="maximize", label="rating", revalidated=False, precision=1, added_by="human",
    description="a listener's rating of the trial's clips in optuna-dashboard, 1-10 (higher is better); "
                "scores.rating pools every rated trial with the same params (stderr null below 2 ratings)"))

register_diagnostic(Diagnostic(
    name="raw_repetition", scorer=_SCORING + "RawRepetition",
    description="repetition_score itself, 0-1: the objective is the excess over the genre; this keeps the raw share"))
register_diagnostic(Diagnostic(
    name="token_repetition", scorer=_SCORING + "TokenRepetition",
    description="repeated codebook-0 n-gram share of the EnCodec tokens, 0-1; absent where the backend has none"))
register_diagnostic(Diagnostic(
    name="stereo_image", scorer=_SCORING + "StereoImage",
    description="side/mid energy ratio of a stereo model's clips: near 0 a collapsed image, above 1 phase-broken"))
register_diagnostic(Diagnostic(
    name="continuity", scorer=_SCORING + "Continuity",
    description="seam of a continuation over the prompt's own feature distance: about 1 seamless, above 1 a jump"))
