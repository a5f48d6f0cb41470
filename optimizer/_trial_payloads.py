"""Typed forms of the ``mgopt:*`` trial user attrs (:mod:`optimizer._keys`), one class per attr.

Optuna stores user attrs as JSON, so each class has ``to_dict`` (what is stored) and ``from_dict`` (which also
reads the shapes older versions stored, so existing studies load). A payload that is a single JSON value (a
reason, a time, a label) is a class with ``to_stored``/``from_stored`` for the same reason: one place says what
the attr holds. Modelled on optuna-dashboard's ``_form_widget.py`` (a dataclass per stored form, converted at the
storage boundary). Each class names its key (``KEY``); read and write them only through :mod:`optimizer._payloads`.
The params, per-prompt rows and dashboard objective values are in :mod:`optimizer._record_payloads`;
:class:`~optimizer.export._export_claim.ExportClaim` (``mgopt:export:v1``) is typed in its own module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from optimizer import _keys
from optimizer._payloads import StoredForm

__all__ = [
    "AwaitingRating",
    "BaselineLabel",
    "Degeneracy",
    "Failure",
    "HeartbeatTime",
    "PairwiseClip",
    "PromptScores",
    "RacingStop",
    "RetryOf",
    "StoredScore",
    "Timing",
    "TrialScores",
    "Worker",
]


@dataclass(frozen=True)
class StoredScore:
    """One score as stored: mean, standard error and count of units (clips or prompts).

    ``stderr`` and ``n`` are None where the study recorded only the mean (diversity before 2026-11-21).
    """

    mean: float
    stderr: float | None = None
    n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "stderr": self.stderr, "n": self.n}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | float) -> StoredScore:
        """A ``{mean, stderr, n}`` dict, or a bare number (older diversity): then stderr and n are None.

        Raises:
            ValueError: a dict without a numeric ``mean``.
        """
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return cls(mean=float(data))
        if not isinstance(data, Mapping) or not isinstance(data.get("mean"), (int, float)):
            raise ValueError(f"a stored score is {{mean, stderr, n}} or a number, but got {data!r}.")
        stderr, n = data.get("stderr"), data.get("n")
        return cls(mean=float(data["mean"]), stderr=None if stderr is None else float(stderr),
                   n=None if n is None else int(n))


@dataclass(frozen=True)
class TrialScores(StoredForm):
    """``mgopt:scores:v1``: every measured score of a trial, by name (objectives and recorded extras such as
    ``raw_repetition`` and ``token_repetition``). ``numbers`` holds scores stored as a bare number (``fad``,
    always; ``diversity`` in trials recorded before 2026-11-21)."""

    KEY: ClassVar[str] = _keys.SCORES

    scores: dict[str, StoredScore] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    order: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """Names in stored order (kept by :meth:`from_dict`, so re-storing is byte for byte); others follow."""

    def to_dict(self) -> dict[str, Any]:
        stored = {**{k: s.to_dict() for k, s in self.scores.items()}, **self.numbers}
        return {**{k: stored[k] for k in self.order if k in stored}, **stored}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialScores:
        """Raises: ValueError: an entry is neither a score dict nor a number."""
        scores, numbers = {}, {}
        for name, value in data.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                numbers[name] = float(value)
            else:
                scores[name] = StoredScore.from_dict(value)
        return cls(scores=scores, numbers=numbers, order=tuple(data))

    def mean(self, name: str) -> float | None:
        """The mean of ``name`` (a score's mean or the bare number); None when not recorded."""
        if name in self.scores:
            return self.scores[name].mean
        return self.numbers.get(name)


@dataclass(frozen=True)
class PromptScores:
    """One row of ``mgopt:per_prompt:v1`` (a list, one row per prompt): the prompt and its mean scores over
    seeds (``clap``, ``repetition``)."""

    prompt: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, **self.scores}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromptScores:
        """Non-numeric values are left out.

        Raises:
            KeyError: no ``prompt``.
        """
        return cls(prompt=str(data["prompt"]), scores={k: float(v) for k, v in data.items() if k != "prompt"
                                                       and isinstance(v, (int, float)) and not isinstance(v, bool)})

    @staticmethod
    def list_to_stored(rows: list[PromptScores]) -> list[dict[str, Any]]:
        """The stored list."""
        return [row.to_dict() for row in rows]

    @classmethod
    def list_from_stored(cls, data: Any) -> list[PromptScores]:
        """The rows of a stored list; entries without a prompt (never written) are skipped."""
        return [cls.from_dict(row) for row in data or [] if isinstance(row, Mapping) and "prompt" in row]


@dataclass(frozen=True)
class Degeneracy(StoredForm):
    """``mgopt:degeneracy:v1``: constraint values (worst clip's measurement minus its limit; feasible when every
    one is <= 0) and the feasibility that follows."""

    KEY: ClassVar[str] = _keys.DEGENERACY

    constraints: dict[str, float]
    feasible: bool

    def to_dict(self) -> dict[str, Any]:
        return {"constraints": dict(self.constraints), "feasible": self.feasible}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Degeneracy:
        """Missing ``feasible`` is derived from the constraints; a missing attr is feasible with none."""
        constraints = {k: float(v) for k, v in ((data or {}).get("constraints") or {}).items()}
        feasible = (data or {}).get("feasible")
        return cls(constraints=constraints,
                   feasible=bool(feasible) if feasible is not None else all(v <= 0 for v in constraints.values()))


@dataclass(frozen=True)
class RacingStop(StoredForm):
    """``mgopt:racing:v1`` of a trial racing stopped before its full evaluation (``optimize --racing``).

    Attributes:
        verdict: ``infeasible`` (a degeneracy constraint is violated by a clip so far) or ``dominated`` (every
            objective's optimistic bound at ``level`` is dominated by a fully evaluated feasible trial).
        stage: the stage after which it stopped, 1-based (of ``stages``).
        stages: stages in the trial's plan.
        clips: clips decoded and scored (of ``clips_full`` in a full evaluation).
        clips_full: clips of a full evaluation (prompts x replicates).
        level: one-sided level of the dominance test, in (0, 0.5].
        scores: partial score of each objective measured so far: mean, prompt-clustered standard error and the
            number of units (prompts; clips with one prompt).
        constraints: constraint values over the clips so far (the trial's constraints, since a worse clip
            later can only raise them).
    """

    KEY: ClassVar[str] = _keys.RACING

    verdict: str
    stage: int
    stages: int
    clips: int
    clips_full: int
    level: float
    scores: dict[str, StoredScore] = field(default_factory=dict)
    constraints: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "stage": self.stage, "stages": self.stages, "clips": self.clips,
                "clips_full": self.clips_full, "level": self.level,
                "scores": {k: s.to_dict() for k, s in self.scores.items()}, "constraints": dict(self.constraints)}

    @classmethod
    def from_dict(cls, data: Any) -> RacingStop | None:
        """None for anything but a dict with a string ``verdict`` and integer ``stage`` (a foreign attr)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("verdict"), str) \
                or not isinstance(data.get("stage"), int):
            return None
        return cls(verdict=data["verdict"], stage=int(data["stage"]), stages=int(data.get("stages", data["stage"])),
                   clips=int(data.get("clips", 0)), clips_full=int(data.get("clips_full", 0)),
                   level=float(data.get("level", math.nan)),
                   scores={k: StoredScore.from_dict(v) for k, v in (data.get("scores") or {}).items()},
                   constraints={k: float(v) for k, v in (data.get("constraints") or {}).items()})


@dataclass(frozen=True)
class Timing(StoredForm):
    """``mgopt:timing:v1``: generation and scoring wall-clock seconds of the trial (its share of a batch)."""

    KEY: ClassVar[str] = _keys.TIMING

    generation_s: float
    scoring_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"generation_s": self.generation_s, "scoring_s": self.scoring_s}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timing:
        return cls(generation_s=float(data.get("generation_s", 0.0)), scoring_s=float(data.get("scoring_s", 0.0)))


@dataclass(frozen=True)
class RetryOf(StoredForm):
    """``mgopt:retry_of:v1`` of a re-enqueued trial: the number of the stale or failed trial it repeats, and why."""

    KEY: ClassVar[str] = _keys.RETRY_OF

    trial: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"trial": self.trial, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Any) -> RetryOf | None:
        """None for anything but a dict with an integer ``trial`` (a hand-edited or foreign attr)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("trial"), int):
            return None
        return cls(trial=int(data["trial"]), reason=str(data.get("reason", "")))


@dataclass(frozen=True)
class _Scalar(StoredForm):
    """A user attr that is one JSON value; subclasses fix its type."""

    def to_stored(self) -> Any:
        """The JSON value stored (the one field)."""
        return getattr(self, fields(self)[0].name)


@dataclass(frozen=True)
class Failure(_Scalar):
    """``mgopt:failure:v1`` of a failed trial: the reason, ``<kind>: <detail>`` (the kind counts failures)."""

    KEY: ClassVar[str] = _keys.FAILURE

    reason: str

    @classmethod
    def from_stored(cls, data: Any) -> Failure | None:
        return None if data is None else cls(str(data))

    @property
    def kind(self) -> str:
        """The part before the first ``:`` (``stale``, ``OutOfMemoryError``...)."""
        return self.reason.split(":")[0]


@dataclass(frozen=True)
class HeartbeatTime(_Scalar):
    """``mgopt:heartbeat:v1``: Unix time of the running trial's worker's last heartbeat, seconds."""

    KEY: ClassVar[str] = _keys.HEARTBEAT

    time: float

    @classmethod
    def from_stored(cls, data: Any) -> HeartbeatTime | None:
        """None unless a finite number (a foreign or broken attr is no sign of life)."""
        if isinstance(data, (int, float)) and not isinstance(data, bool) and math.isfinite(data):
            return cls(float(data))
        return None


@dataclass(frozen=True)
class AwaitingRating(_Scalar):
    """``mgopt:awaiting_rating:v1``: Unix time a ``--human`` trial was offered for rating, seconds."""

    KEY: ClassVar[str] = _keys.AWAITING_RATING

    offered_at: float

    @classmethod
    def from_stored(cls, data: Any) -> AwaitingRating | None:
        return cls(float(data)) if isinstance(data, (int, float)) and not isinstance(data, bool) else None


@dataclass(frozen=True)
class Worker(_Scalar):
    """``mgopt:worker:v1``: ``host:pid`` of the worker that asked the trial."""

    KEY: ClassVar[str] = _keys.WORKER

    id: str

    @classmethod
    def from_stored(cls, data: Any) -> Worker | None:
        return None if data is None else cls(str(data))


@dataclass(frozen=True)
class BaselineLabel(_Scalar):
    """``mgopt:baseline:v1`` of an enqueued reference trial: ``musicgen_default`` or ``genre_baseline``."""

    KEY: ClassVar[str] = _keys.BASELINE

    label: str

    @classmethod
    def from_stored(cls, data: Any) -> BaselineLabel | None:
        """None unless a string."""
        return cls(data) if isinstance(data, str) else None


@dataclass(frozen=True)
class PairwiseClip(_Scalar):
    """``mgopt:pairwise_clip:v1``: artifact id of the clip a listener compares (its presence marks the trial
    ready in optuna-dashboard)."""

    KEY: ClassVar[str] = _keys.PAIRWISE_CLIP

    artifact_id: str

    @classmethod
    def from_stored(cls, data: Any) -> PairwiseClip | None:
        return None if data is None else cls(str(data))
