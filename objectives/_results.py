"""What an evaluation measured: each clip's scores (:class:`ClipScores`) and a configuration's (:class:`Evaluation`),
held by registry name so that a new scorer needs no new field here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from objectives._params import DecodingParams
from objectives._registry import fixed_objectives
from objectives.scoring import DegeneracyReport, ScoreSummary, is_feasible

if TYPE_CHECKING:
    from objectives.generation import GeneratedAudio

__all__ = ["ClipScores", "Evaluation", "Score"]

Score = ScoreSummary | float
"""A measured score: mean ± stderr over clips or prompts, or one number (``config`` scorers, e.g. ``fad``)."""


@dataclass(frozen=True)
class ClipScores:
    """The scores of one generated clip.

    Attributes:
        degeneracy: of the mono clip, or of a stereo clip's worst channel (:func:`channel_degeneracy`).
        values: every per-clip (``unit="clip"``) score of the registry measured for this clip, by name; a score
            the clip has none of (a mono clip's ``stereo_image``) is None or absent. The properties below read
            the built-in ones: ``repetition`` (the objective, beyond the genre's reference, [0, 1]),
            ``raw_repetition`` (:func:`~objectives.scoring.repetition_score`), ``token_repetition``,
            ``stereo_image`` (side/mid ratio, None for mono), ``continuity`` (seam of a continuation, None
            otherwise), ``melody`` (chroma similarity to the conditioning melody, None without melodies).
    """

    prompt_index: int
    replicate: int
    seed: int
    degeneracy: DegeneracyReport
    values: Mapping[str, float | None] = field(default_factory=dict)

    def value(self, name: str) -> float:
        """The clip's score ``name``.

        Raises:
            KeyError: not measured for this clip.
        """
        value = self.values.get(name)
        if value is None:
            raise KeyError(f"clip score {name!r} was not measured.")
        return value

    @property
    def clap(self) -> float:
        return self.value("clap")

    @property
    def repetition(self) -> float:
        return self.value("repetition")

    @property
    def raw_repetition(self) -> float:
        return self.value("raw_repetition")

    @property
    def token_repetition(self) -> float | None:
        return self.values.get("token_repetition")

    @property
    def stereo_image(self) -> float | None:
        return self.values.get("stereo_image")

    @property
    def continuity(self) -> float | None:
        return self.values.get("continuity")

    @property
    def melody(self) -> float | None:
        return self.values.get("melody")


@dataclass(frozen=True)
class Evaluation:
    """Everything measured for one decoding configuration.

    Attributes:
        params: the configuration.
        prompts: the P prompts, in order.
        clips: P x R clip scores (prompt-major).
        constraints: ``{"silence", "noise", "clipping"}`` -> worst clip's measurement minus its limit;
            the configuration is feasible when every value is <= 0.
        audio: the generated clips, ``[P*R, T]`` in the order of ``clips``.
        scores: every score of the registry (:func:`objectives.measured_metrics`) this evaluator measured, by
            name, in registry order: mean ± stderr over clips (``clip`` scorers) or prompts (``prompt``), or a
            number (``config``). Absent: not measured (no reference, no melodies, no codes, mono, ...).
        prompt_values: for ``prompt`` scorers (``diversity``), the P per-prompt values.
        generation_seconds, scoring_seconds: wall-clock time, shared equally among configurations
            evaluated together.
        embeddings: ``[N, D]`` the clips' CLAP audio embeddings, in the order of ``clips`` (what diversity and
            the Fréchet distance are computed from; kept so a staged evaluation's parts can be joined,
            :meth:`Evaluator.combine`).

    The properties ``clap``, ``repetition``, ``diversity`` (``ScoreSummary``), ``fad`` (a number),
    ``token_repetition``, ``raw_repetition``, ``stereo_image``, ``continuity`` and ``melody`` (``ScoreSummary``)
    read :attr:`scores` (None where not measured); ``prompt_diversity`` reads :attr:`prompt_values`.

    An evaluation of some rows (``Evaluator.evaluate_many(rows=...)``) holds those clips only; its
    ``prompt_diversity`` still has one value per prompt (0 for a prompt with fewer than 2 clips), and ``fad``
    needs at least 2 clips.
    """

    params: DecodingParams
    prompts: tuple[str, ...]
    clips: tuple[ClipScores, ...]
    constraints: dict[str, float]
    audio: GeneratedAudio = field(repr=False)
    scores: Mapping[str, Score] = field(default_factory=dict)
    prompt_values: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    generation_seconds: float = 0.0
    scoring_seconds: float = 0.0
    embeddings: np.ndarray | None = field(default=None, repr=False)

    def _summary(self, name: str) -> ScoreSummary | None:
        return cast("ScoreSummary | None", self.scores.get(name))

    @property
    def clap(self) -> ScoreSummary:
        return cast(ScoreSummary, self.scores["clap"])

    @property
    def repetition(self) -> ScoreSummary:
        return cast(ScoreSummary, self.scores["repetition"])

    @property
    def diversity(self) -> ScoreSummary:
        """Diversity over prompts (higher is more varied): mean of :attr:`prompt_diversity`, its standard error
        across prompts (0 with one prompt) and ``n`` = the number of prompts."""
        return cast(ScoreSummary, self.scores["diversity"])

    @property
    def prompt_diversity(self) -> tuple[float, ...]:
        return self.prompt_values["diversity"]

    @property
    def fad(self) -> float | None:
        return cast("float | None", self.scores.get("fad"))

    @property
    def token_repetition(self) -> ScoreSummary | None:
        return self._summary("token_repetition")

    @property
    def raw_repetition(self) -> ScoreSummary | None:
        return self._summary("raw_repetition")

    @property
    def stereo_image(self) -> ScoreSummary | None:
        return self._summary("stereo_image")

    @property
    def continuity(self) -> ScoreSummary | None:
        return self._summary("continuity")

    @property
    def melody(self) -> ScoreSummary | None:
        return self._summary("melody")

    @property
    def feasible(self) -> bool:
        """No clip is silent, noise or clipped beyond the thresholds."""
        return is_feasible(self.constraints)

    def per_prompt(self) -> list[dict[str, float | str]]:
        """Per prompt with clips (every prompt, unless this evaluation covers some rows): the prompt and the mean
        over replicates of each fixed per-clip objective (CLAP and repetition)."""
        names = [n for n in fixed_objectives() if n in self.scores and all(n in c.values for c in self.clips)]
        out: list[dict[str, float | str]] = []
        for i, prompt in enumerate(self.prompts):
            mine = [c for c in self.clips if c.prompt_index == i]
            if not mine:
                continue
            out.append({"prompt": prompt, **{n: float(np.mean([c.value(n) for c in mine])) for n in names}})
        return out
