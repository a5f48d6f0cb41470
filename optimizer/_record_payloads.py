"""Typed forms of the trial user attrs a trial's evaluation records besides its scores: its decoding parameters
(``mgopt:params:v1``), its per-prompt scores (``mgopt:per_prompt:v1``) and each automatic objective as a plain
number for the dashboard (``mgopt:objective:<name>:v1``). Read and written through :mod:`optimizer._payloads`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from objectives import DecodingParams
from optimizer import _keys
from optimizer._payloads import StoredForm
from optimizer._trial_payloads import PromptScores

__all__ = ["ObjectiveValue", "PerPrompt", "TrialParams"]


@dataclass(frozen=True)
class TrialParams(StoredForm):
    """``mgopt:params:v1``: the trial's :class:`~objectives.DecodingParams` as the dict stored (kept as stored,
    so a trial of an older version reads back, and re-stores, unchanged)."""

    KEY: ClassVar[str] = _keys.PARAMS

    values: dict[str, Any]

    @classmethod
    def of(cls, params: DecodingParams) -> TrialParams:
        """The payload of ``params``."""
        return cls(params.to_dict())

    @property
    def params(self) -> DecodingParams:
        """The decoding parameters.

        Raises:
            ValueError: an unknown field or a value out of range (:meth:`DecodingParams.from_dict`).
        """
        return DecodingParams.from_dict(dict(self.values))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)

    @classmethod
    def from_dict(cls, data: Any) -> TrialParams | None:
        """None unless a dict."""
        return cls(dict(data)) if isinstance(data, dict) else None


@dataclass(frozen=True)
class PerPrompt(StoredForm):
    """``mgopt:per_prompt:v1``: one :class:`PromptScores` row per prompt, stored as a list."""

    KEY: ClassVar[str] = _keys.PER_PROMPT

    rows: list[PromptScores] = field(default_factory=list)

    def to_stored(self) -> list[dict[str, Any]]:
        return PromptScores.list_to_stored(self.rows)

    @classmethod
    def from_stored(cls, data: Any) -> PerPrompt | None:
        """None when never stored; rows without a prompt are skipped."""
        return None if data is None else cls(PromptScores.list_from_stored(data))


@dataclass(frozen=True)
class ObjectiveValue(StoredForm):
    """``mgopt:objective:<name>:v1``: one automatic objective's value as a plain float, for optuna-dashboard's
    ``ObjectiveUserAttrRef`` (written only; the scores are read from :class:`TrialScores`)."""

    name: str
    value: float

    def storage_key(self) -> str:
        return _keys.objective_attr(self.name)

    def to_stored(self) -> float:
        return float(self.value)
