"""Typed forms of the ``mgopt:*`` study user attrs (:mod:`optimizer._keys`), one class per attr.

As in :mod:`optimizer._trial_payloads`: ``to_dict`` is what is stored, ``from_dict`` also reads what older
versions stored; read and write them only through :mod:`optimizer._payloads`. :class:`StoredSpec` holds the
:class:`~optimizer.search.StudySpec` as stored; :class:`~optimizer.export._export_claim.ExportClaim`
(``mgopt:export:v1``) is typed in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from optimizer import _keys
from optimizer._digits import is_decimal
from optimizer._payloads import StoredForm
from optimizer._trial_payloads import StoredScore

__all__ = ["ListenerFeedback", "PairwiseSetup", "PresetMarks", "StoredSpec", "ValidationCache"]


@dataclass(frozen=True)
class ListenerFeedback(StoredForm):
    """``mgopt:listener_feedback:v1``: listener rewards from the preset service per trial number, as
    ``{mean, stderr, n}`` (stored with the trial number as a string key, JSON's only key type)."""

    KEY: ClassVar[str] = _keys.LISTENER_FEEDBACK

    by_trial: dict[int, StoredScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {str(n): s.to_dict() for n, s in sorted(self.by_trial.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ListenerFeedback:
        """Entries whose key is not a trial number are skipped.

        Raises:
            ValueError: an entry is not a score.
        """
        return cls({int(k): StoredScore.from_dict(v) for k, v in (data or {}).items() if is_decimal(str(k))})


@dataclass(frozen=True)
class ValidationCache(StoredForm):
    """``mgopt:validation:v1``: re-validation results cached per setup.

    Attributes:
        key: digest of the setup (prompts, seeds, duration) the results belong to.
        setup: the setup as the preset file's ``validation`` block records it.
        trials: per trial number, ``{clap: {mean, stderr, n, ci95}, ..., feasible, constraints}`` or
            ``{"error": reason}``.
    """

    KEY: ClassVar[str] = _keys.VALIDATION

    key: str
    setup: dict[str, Any] = field(default_factory=dict)
    trials: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "setup": dict(self.setup),
                "trials": {str(n): r for n, r in sorted(self.trials.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ValidationCache | None:
        """None when absent or without a key (nothing cached)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("key"), str):
            return None
        return cls(key=data["key"], setup=dict(data.get("setup") or {}),
                   trials={int(n): r for n, r in (data.get("trials") or {}).items()})


@dataclass(frozen=True)
class PairwiseSetup(StoredForm):
    """``mgopt:pairwise:v1`` of a pairwise study: clips shown side by side, and which clip of each trial (prompt
    and seed index) the listener hears."""

    KEY: ClassVar[str] = _keys.PAIRWISE

    compare: int
    prompt: int = 0
    replicate: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"compare": self.compare, "clip": {"prompt": self.prompt, "replicate": self.replicate}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PairwiseSetup | None:
        """None when absent (not a pairwise study); a missing ``clip`` is the first prompt's first seed."""
        if not isinstance(data, Mapping) or "compare" not in data:
            return None
        clip = data.get("clip") or {}
        return cls(compare=int(data["compare"]), prompt=int(clip.get("prompt", 0)),
                   replicate=int(clip.get("replicate", 0)))


@dataclass(frozen=True)
class PresetMarks(StoredForm):
    """``mgopt:presets:v1``, set by the last export: the preset file, when it was generated (ISO time) and
    each preset's trial number."""

    KEY: ClassVar[str] = _keys.PRESET_MARKS

    file: str
    generated_at: str
    presets: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "generated_at": self.generated_at, "presets": dict(self.presets)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PresetMarks | None:
        """None when no export marked the study yet."""
        if not isinstance(data, Mapping):
            return None
        return cls(file=str(data.get("file", "")), generated_at=str(data.get("generated_at", "")),
                   presets={str(k): int(v) for k, v in (data.get("presets") or {}).items()})


@dataclass(frozen=True)
class StoredSpec(StoredForm):
    """``mgopt:study:v1``: the :class:`~optimizer.search.StudySpec` as the dict stored (kept as stored: specs of
    older versions lack later fields, and :func:`~optimizer.search.check_same_setup` compares the stored dict)."""

    KEY: ClassVar[str] = _keys.STUDY_SPEC

    values: dict[str, Any]

    @property
    def objectives(self) -> list[str]:
        """The study's objectives, in the order of ``trial.values`` (empty in a spec without them)."""
        return list(self.values.get("objectives", []))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)

    @classmethod
    def from_dict(cls, data: Any) -> StoredSpec | None:
        """None unless a dict."""
        return cls(dict(data)) if isinstance(data, Mapping) else None
