"""The one scorer interface (after audiocraft's ``Metric``): what a scorer needs, what it produces, its inputs.

Every score the :class:`~objectives.Evaluator` computes is a scorer named by one entry of the registry
(:mod:`objectives._registry`); the Evaluator builds one :class:`ScoringInputs` per configuration and calls each
scorer whose needs this run meets. Adding an objective is its scorer plus one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from objectives.generation import GeneratedAudio
    from objectives.scoring._fad import EmbeddingStats

__all__ = ["NEEDS", "Need", "Produces", "Scorer", "ScoringInputs"]

Need = Literal["clips", "text", "embeddings", "reference", "melody"]
Produces = Literal["clip", "prompt", "config"]

NEEDS: frozenset[str] = frozenset({"clips", "text", "embeddings", "reference", "melody"})
"""What a scorer may declare it needs: the clips' audio (``clips``, with their codes, channels and continued
prompt audio where the backend has them), the CLAP adherence of each clip to its prompt's text (``text``), the
clips' CLAP audio embeddings (``embeddings``), the user's reference set (``reference``) and the conditioning
melodies (``melody``). A scorer that needs a reference or melodies is not run, and its metric not measured,
where the run has none."""


@dataclass(frozen=True, kw_only=True)
class ScoringInputs:
    """What a scorer may read: the N clips of one configuration (some rows, or all of them), prompt-major.

    Attributes:
        audio: the clips: ``audio.audio`` ``[N, T]`` float mono mix at ``audio.sample_rate`` Hz; ``codes``
            ``[N, K, S]`` (or None), ``channels`` ``[N, C, T]`` of a stereo model (or None), ``prompt_audio``
            (continued audio, or None).
        rows: ``(prompt, replicate)`` of each clip, length N.
        prompts: every prompt of the evaluator (P of them); ``rows[i][0]`` indexes it.
        clap: ``[N]`` CLAP adherence of each clip to its bare prompt, in [-1, 1]; None after joining stages
            (per-clip scorers run before, on the stage's clips).
        embeddings: ``[N, D]`` unit-norm CLAP audio embeddings.
        reference: the reference set's CLAP embedding statistics, or None.
        melody_chroma: ``[F, 12]`` one-hot chroma per conditioning melody (prompt ``p`` has
            ``melody_chroma[p % len(melody_chroma)]``), or None.
        repetition_reference: raw repetition real music of the genre reaches at this length, [0, 0.75].
    """

    audio: GeneratedAudio
    rows: tuple[tuple[int, int], ...]
    prompts: tuple[str, ...]
    embeddings: np.ndarray
    clap: np.ndarray | None = None
    reference: EmbeddingStats | None = None
    melody_chroma: tuple[np.ndarray, ...] | None = None
    repetition_reference: float = 0.0
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per inputs object, for a quantity two scorers share (raw repetition feeds both
        ``raw_repetition`` and the ``repetition`` excess)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@runtime_checkable
class Scorer(Protocol):
    """One score of a configuration's clips.

    Attributes:
        needs: what it reads from :class:`ScoringInputs` (a subset of :data:`NEEDS`).
        produces: ``clip``: one value per clip (or None where that clip has none, e.g. a mono clip's stereo
            image), summarised as mean ± stderr over the clips that have one; ``prompt``: one value per prompt
            of the evaluator (P values), summarised over prompts; ``config``: one number for the configuration,
            stored as is. It must equal the registry entry's ``unit``.
    """

    needs: frozenset[str]
    produces: Produces

    def __call__(self, inputs: ScoringInputs) -> Sequence[float | None] | float | None:
        """The values (see :attr:`produces`), or None where this configuration's clips have no such score."""
        ...
