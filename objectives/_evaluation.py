"""The composite objective: decoding parameters in, scores with standard errors and constraints out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

import numpy as np

from objectives._params import DecodingParams
from objectives._registry import Metric, measured_metrics, scorer_of
from objectives._results import ClipScores, Evaluation, Score
from objectives._staging import check_rows, join_rows, replicate_seed
from objectives.generation import MAX_CLIP_SECONDS, GeneratedAudio, MusicGenBackend, StepCallback
from objectives.scoring import (
    NEEDS,
    ClapScorer,
    DegeneracyThresholds,
    EmbeddingStats,
    Scorer,
    ScoringInputs,
    channel_degeneracy,
    degeneracy,
    repetition_excess,
    summarize,
)

__all__ = ["ClipScores", "Evaluation", "Evaluator", "replicate_seed"]


class Evaluator:
    """Generates every prompt x replicate for one or several configurations and scores the clips.

    This is the one interface the optimizer calls. Seeds come from :func:`replicate_seed`, so every
    configuration is judged on the same draws.

    Args:
        generator: the MusicGen backend.
        clap: the CLAP scorer.
        prompts: P prompts.
        replicates: R seeds per prompt, >= 1.
        duration: clip length in seconds, in (0, 300]; past the backend's window (30 s) it is generated in
            audiocraft's windows (:mod:`objectives.generation._windows`).
        base_seed: seed of the common random numbers. Default 0.
        thresholds: degeneracy limits. Default :class:`DegeneracyThresholds()`.
        reference: CLAP embedding statistics of the user's reference audio; when given, every evaluation
            carries the Fréchet distance of its P x R clips to it (:attr:`Evaluation.fad`). Needs P x R >= 2.
        repetition_reference: raw repetition that real music of the genre reaches at this clip length (its
            calibration's :meth:`~objectives.scoring.RepetitionCalibration.reference_at`, or the user's
            reference audio's), in [0, 0.75]; the objective is the excess over it. Default 0 (raw repetition).
        audio_prompts: audio prompts to continue, ``[C, T]`` each at the generator's rate; prompt ``p`` continues
            ``audio_prompts[p % len(audio_prompts)]`` with every seed, and ``duration`` is the continuation's
            length (what is scored). Default None (text only).
        melodies: melodies ``[T]`` at the generator's rate for a melody model; prompt ``p`` is conditioned on
            ``melodies[p % len(melodies)]`` with every seed, and each clip's melody adherence is recorded.

    Raises:
        ValueError: no prompts, replicates < 1, duration out of range, or a reference with fewer than 2 clips
            per configuration, or a repetition reference out of range.
    """

    def __init__(self, *, generator: MusicGenBackend, clap: ClapScorer, prompts: Sequence[str], replicates: int,
                 duration: float, base_seed: int = 0, thresholds: DegeneracyThresholds | None = None,
                 reference: EmbeddingStats | None = None, repetition_reference: float = 0.0,
                 audio_prompts: Sequence[np.ndarray] | None = None,
                 melodies: Sequence[np.ndarray] | None = None) -> None:
        if not prompts:
            raise ValueError("at least one prompt is needed.")
        if replicates < 1:
            raise ValueError(f"replicates must be >= 1 but got {replicates}.")
        if not 0.0 < duration <= MAX_CLIP_SECONDS:
            raise ValueError(f"duration must be in (0, {MAX_CLIP_SECONDS:g}] seconds but got {duration}.")
        self.generator = generator
        self.clap = clap
        self.prompts = tuple(prompts)
        self.replicates = replicates
        self.duration = duration
        self.base_seed = base_seed
        self.thresholds = thresholds or DegeneracyThresholds()
        if reference is not None and len(self.prompts) * replicates < 2:
            raise ValueError("a Fréchet distance to reference audio needs at least 2 clips per configuration "
                             "(prompts x replicates).")
        self.reference = reference
        repetition_excess(0.0, repetition_reference)  # validates the range
        self.repetition_reference = repetition_reference
        self._rows = [(p, r) for p in range(len(self.prompts)) for r in range(replicates)]
        self.audio_prompts = tuple(audio_prompts) if audio_prompts else None
        self.melodies = tuple(melodies) if melodies else None
        if self.melodies is not None:
            from objectives._chroma import conditioning_chroma

            self._melody_chroma = [conditioning_chroma(m, generator.sample_rate) for m in self.melodies]
        self.seeds = [replicate_seed(base_seed, p, r) for p, r in self._rows]
        self.clap.text_embeddings(self.prompts)  # once, up front

    @property
    def clips_per_config(self) -> int:
        return len(self._rows)

    def evaluate(self, params: DecodingParams, *, on_step: StepCallback | None = None) -> Evaluation:
        """Evaluate one configuration (see :meth:`evaluate_many`)."""
        return self.evaluate_many([params], on_step=on_step)[0]

    @property
    def rows(self) -> tuple[tuple[int, int], ...]:
        """Every ``(prompt, replicate)`` of a full evaluation, prompt-major (the order of ``Evaluation.clips``)."""
        return tuple(self._rows)

    def evaluate_many(self, configs: Sequence[DecodingParams], *, rows: Sequence[tuple[int, int]] | None = None,
                      on_step: StepCallback | None = None) -> list[Evaluation]:
        """Evaluate K configurations in one batched generation of K x (rows) rows.

        Args:
            configs: the K configurations.
            rows: the ``(prompt, replicate)`` rows to decode and score, a non-empty subset of :attr:`rows`
                (sorted here); None for all (a full evaluation). A clip's seed is
                :func:`replicate_seed` of its row, so its tokens do not depend on which other rows run with it:
                evaluations of disjoint rows joined with :meth:`combine` equal a full one clip by clip.
            on_step: decoding progress, ``(done, total)`` steps.

        Raises:
            ValueError: a row not in :attr:`rows`, no rows, or a score came out NaN or infinite.
        """
        chosen = check_rows(rows, self._rows)
        seeds = [replicate_seed(self.base_seed, p, r) for p, r in chosen]
        n = len(chosen)
        prompts = [self.prompts[p] for _ in configs for p, _ in chosen]
        params = [c for c in configs for _ in range(n)]
        started = time.perf_counter()
        # A configuration's prompt suffix conditions the generation only; CLAP judges against the bare prompt.
        conditioning = [c.apply_suffix(prompt) for prompt, c in zip(prompts, params, strict=True)]
        extra = {} if self.audio_prompts is None else {"audio_prompts": [
            self.audio_prompts[p % len(self.audio_prompts)] for _ in configs for p, _ in chosen]}
        if self.melodies is not None:
            extra["melodies"] = [self.melodies[p % len(self.melodies)] for _ in configs for p, _ in chosen]
        generated = self.generator.generate(conditioning, params, seeds * len(configs),
                                            duration=self.duration, on_step=on_step, **extra)
        generated_at = time.perf_counter()
        # CLAP hears the mono mix of a stereo clip (``audio``); degeneracy looks at every channel.
        clap_scores, embeddings = self.clap.adherence(generated.audio, generated.sample_rate, prompts)
        results = []
        for k, config in enumerate(configs):
            mine = slice(k * n, (k + 1) * n)
            audio = GeneratedAudio(audio=generated.audio[mine], sample_rate=generated.sample_rate,
                                   codes=None if generated.codes is None else generated.codes[mine],
                                   channels=None if generated.channels is None else generated.channels[mine],
                                   prompt_audio=None if generated.prompt_audio is None
                                   else generated.prompt_audio[mine])
            results.append(self._score(config, chosen, audio, clap_scores[mine], embeddings[mine]))
        scored_at = time.perf_counter()
        share = 1.0 / len(configs)
        return [_with_times(e, (generated_at - started) * share, (scored_at - generated_at) * share) for e in results]

    def combine(self, parts: Sequence[Evaluation]) -> Evaluation:
        """Join evaluations of one configuration on disjoint rows (stages of a staged evaluation) into the
        evaluation of their union, as :meth:`evaluate_many` would have scored it in one pass (clips in row order;
        times added up).

        Raises:
            ValueError: no parts, parts of different configurations, a row in two parts, or a part without
                embeddings.
        """
        clips, audio, embeddings = join_rows(parts)
        joined = self._assemble(parts[0].params, clips, audio, embeddings)
        return _with_times(joined, sum(p.generation_seconds for p in parts), sum(p.scoring_seconds for p in parts))

    def _metrics(self) -> list[tuple[Metric, Scorer]]:
        """The registry's scorers (read now, so an entry registered after construction is measured too) whose
        needs this evaluator meets: a reference for ``reference``, melodies for ``melody``.

        Raises:
            ValueError: a scorer produces other than its entry's ``unit`` says, or needs something unknown.
        """
        has = {"reference": self.reference is not None, "melody": self.melodies is not None}
        out = []
        for entry in measured_metrics():
            scorer = scorer_of(entry)
            if scorer.produces != entry.unit or not set(scorer.needs) <= NEEDS:
                raise ValueError(f"the scorer of {entry.name!r} produces {scorer.produces!r} and needs "
                                 f"{sorted(scorer.needs)}; its entry's unit is {entry.unit!r} and needs are among "
                                 f"{sorted(NEEDS)}.")
            if all(has.get(need, True) for need in scorer.needs):
                out.append((entry, scorer))
        return out

    def _inputs(self, rows: Sequence[tuple[int, int]], audio: GeneratedAudio, embeddings: np.ndarray,
                clap: np.ndarray | None = None) -> ScoringInputs:
        return ScoringInputs(audio=audio, rows=tuple(rows), prompts=self.prompts, embeddings=embeddings, clap=clap,
                             reference=self.reference, repetition_reference=self.repetition_reference,
                             melody_chroma=None if self.melodies is None else tuple(self._melody_chroma))

    def _score(self, config: DecodingParams, rows: Sequence[tuple[int, int]], audio: GeneratedAudio,
               clap_scores: np.ndarray, embeddings: np.ndarray) -> Evaluation:
        """Run every per-clip scorer on these clips, then :meth:`_assemble` them."""
        metrics = self._metrics()
        inputs = self._inputs(rows, audio, embeddings, clap=clap_scores)
        per_clip: dict[str, list[float | None]] = {}
        for entry, scorer in metrics:
            if entry.unit != "clip" or (values := scorer(inputs)) is None:
                continue
            if isinstance(values, (int, float)) or len(values) != len(rows):
                raise ValueError(f"the scorer of {entry.name!r} must give one value per clip ({len(rows)}).")
            per_clip[entry.name] = [None if v is None else float(v) for v in values]
        clips = []
        for i, (p, r) in enumerate(rows):
            stereo = None if audio.channels is None else audio.channels[i]
            clips.append(ClipScores(
                prompt_index=p, replicate=r, seed=replicate_seed(self.base_seed, p, r),
                degeneracy=(degeneracy(audio.audio[i], audio.sample_rate, self.thresholds) if stereo is None
                            else channel_degeneracy(stereo, audio.sample_rate, self.thresholds)),
                values={name: values[i] for name, values in per_clip.items()}))
        return self._assemble(config, clips, audio, embeddings, metrics)

    def _assemble(self, config: DecodingParams, clips: Sequence[ClipScores], audio: GeneratedAudio,
                  embeddings: np.ndarray, metrics: Sequence[tuple[Metric, Scorer]] | None = None) -> Evaluation:
        """The evaluation of scored clips (any rows, prompt-major): constraints, the per-clip scores' summaries,
        and the per-prompt and per-configuration scores (diversity, FAD) computed on all of them."""
        violations = [c.degeneracy.violations(self.thresholds) for c in clips]
        constraints = {key: max(v[key] for v in violations) for key in violations[0]}
        inputs = self._inputs([(c.prompt_index, c.replicate) for c in clips], audio, embeddings)
        scores: dict[str, Score] = {}
        prompt_values: dict[str, tuple[float, ...]] = {}
        for entry, scorer in self._metrics() if metrics is None else metrics:
            if entry.unit == "clip":
                values = [v for c in clips if (v := c.values.get(entry.name)) is not None]
                if values:
                    scores[entry.name] = summarize(values)
                continue
            measured = scorer(inputs)
            if measured is None:
                continue
            if entry.unit == "config":
                scores[entry.name] = float(cast(float, measured))
                continue
            per_prompt = tuple(float(cast(float, v)) for v in cast(Sequence[float], measured))
            if len(per_prompt) != len(self.prompts):
                raise ValueError(f"the scorer of {entry.name!r} must give one value per prompt ({len(self.prompts)}).")
            prompt_values[entry.name] = per_prompt
            scores[entry.name] = summarize(per_prompt)
        return Evaluation(params=config, prompts=self.prompts, clips=tuple(clips), embeddings=embeddings,
                          constraints=constraints, audio=audio, scores=scores, prompt_values=prompt_values)


def _with_times(e: Evaluation, generation: float, scoring: float) -> Evaluation:
    return replace(e, generation_seconds=generation, scoring_seconds=scoring)
