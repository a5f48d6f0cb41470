"""The built-in scorers: each score module's function behind the one :class:`~objectives.scoring.Scorer`
interface. The registry (:mod:`objectives._registry`) names them as ``"objectives.scoring:<Class>"``."""

from __future__ import annotations

from objectives.scoring._calibration import repetition_excess
from objectives.scoring._continuity import seam_continuity
from objectives.scoring._diversity import embedding_spread
from objectives.scoring._fad import EmbeddingStats, frechet_distance
from objectives.scoring._melody import melody_adherence
from objectives.scoring._repetition import repetition_score, token_repetition
from objectives.scoring._scorer import Produces, ScoringInputs
from objectives.scoring._stereo import side_mid_ratio

__all__ = [
    "ClapAdherence",
    "Continuity",
    "Diversity",
    "FrechetDistance",
    "MelodyAdherence",
    "RawRepetition",
    "RepetitionExcess",
    "StereoImage",
    "TokenRepetition",
]


def _raw_repetition(inputs: ScoringInputs) -> list[float]:
    return inputs.shared("raw_repetition", lambda: [repetition_score(wave, inputs.audio.sample_rate)
                                                    for wave in inputs.audio.audio])


class ClapAdherence:
    """CLAP adherence of each clip to its prompt (the Evaluator's one batched CLAP pass), in [-1, 1]."""

    needs = frozenset({"text"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float]:
        if inputs.clap is None:
            raise ValueError("CLAP adherence is scored on a stage's clips, before its stages are joined.")
        return [float(v) for v in inputs.clap]


class RepetitionExcess:
    """Each clip's raw repetition beyond the genre's reference (:func:`repetition_excess`), in [0, 1]."""

    needs = frozenset({"clips"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float]:
        return [repetition_excess(raw, inputs.repetition_reference) for raw in _raw_repetition(inputs)]


class RawRepetition:
    """Each clip's :func:`repetition_score`, in [0, 1] (recorded, not optimised)."""

    needs = frozenset({"clips"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float]:
        return list(_raw_repetition(inputs))


class TokenRepetition:
    """Each clip's repeated codebook-0 n-gram share (:func:`token_repetition`); None without codes."""

    needs = frozenset({"clips"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float] | None:
        codes = inputs.audio.codes
        return None if codes is None else [token_repetition(c) for c in codes]


class StereoImage:
    """Each stereo clip's side/mid energy ratio (:func:`side_mid_ratio`, [0, 100]); None for mono."""

    needs = frozenset({"clips"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float | None] | None:
        channels = inputs.audio.channels
        if channels is None:
            return None
        return [None if len(stereo) != 2 else side_mid_ratio(stereo) for stereo in channels]


class Continuity:
    """Each continuation's seam distance (:func:`seam_continuity`, [0, 100], about 1 seamless); None for
    text-only generation."""

    needs = frozenset({"clips"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float] | None:
        prompt_audio = inputs.audio.prompt_audio
        if prompt_audio is None:
            return None
        return [seam_continuity(prompt_audio[i], wave, inputs.audio.sample_rate)
                for i, wave in enumerate(inputs.audio.audio)]


class MelodyAdherence:
    """Each clip's chroma similarity to its conditioning melody (:func:`melody_adherence`, [0, 1])."""

    needs = frozenset({"clips", "melody"})
    produces: Produces = "clip"

    def __call__(self, inputs: ScoringInputs) -> list[float] | None:
        chroma = inputs.melody_chroma
        if chroma is None:
            return None
        return [melody_adherence(chroma[p % len(chroma)], wave, inputs.audio.sample_rate)
                for (p, _), wave in zip(inputs.rows, inputs.audio.audio, strict=True)]


class Diversity:
    """Per prompt, the spread of its clips' CLAP audio embeddings across seeds (:func:`embedding_spread`, [0, 2];
    0 for a prompt with fewer than 2 clips here): P values."""

    needs = frozenset({"embeddings"})
    produces: Produces = "prompt"

    def __call__(self, inputs: ScoringInputs) -> list[float]:
        return [embedding_spread(inputs.embeddings[[i for i, (p, _) in enumerate(inputs.rows) if p == prompt]])
                for prompt in range(len(inputs.prompts))]


class FrechetDistance:
    """Fréchet distance between the clips' CLAP embeddings and the reference set's (lower is closer); None
    below 2 clips."""

    needs = frozenset({"embeddings", "reference"})
    produces: Produces = "config"

    def __call__(self, inputs: ScoringInputs) -> float | None:
        if inputs.reference is None or len(inputs.rows) < 2:
            return None
        return frechet_distance(EmbeddingStats.from_embeddings(inputs.embeddings), inputs.reference)

