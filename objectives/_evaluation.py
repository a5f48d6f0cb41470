"""The composite objective: decoding parameters in, scores with standard errors and constraints out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from objectives._params import DecodingParams
from objectives._staging import check_rows, join_rows, replicate_seed
from objectives.generation import MAX_CLIP_SECONDS, GeneratedAudio, MusicGenBackend, StepCallback
from objectives.scoring import (
    ClapScorer,
    DegeneracyReport,
    DegeneracyThresholds,
    EmbeddingStats,
    ScoreSummary,
    channel_degeneracy,
    degeneracy,
    embedding_spread,
    frechet_distance,
    is_feasible,
    melody_adherence,
    repetition_excess,
    repetition_score,
    seam_continuity,
    side_mid_ratio,
    summarize,
    token_repetition,
)

__all__ = ["ClipScores", "Evaluation", "Evaluator", "replicate_seed"]


@dataclass(frozen=True)
class ClipScores:
    """The scores of one generated clip.

    Attributes:
        repetition: the objective: repetition beyond the genre's reference (:func:`repetition_excess`), [0, 1].
        raw_repetition: :func:`repetition_score` itself, [0, 1].
        degeneracy: of the mono clip, or of a stereo clip's worst channel (:func:`channel_degeneracy`).
        stereo_image: side/mid energy ratio of a stereo clip (:func:`side_mid_ratio`, [0, 100]); None for mono.
        continuity: for a continuation, the seam's feature distance over the prompt's own
            (:func:`seam_continuity`, [0, 100], about 1 is seamless); None otherwise.
        melody: chroma cosine similarity to the conditioning melody (:func:`melody_adherence`, [0, 1]); None
            without melodies.
    """

    prompt_index: int
    replicate: int
    seed: int
    clap: float
    repetition: float
    token_repetition: float | None
    degeneracy: DegeneracyReport
    raw_repetition: float = 0.0
    stereo_image: float | None = None
    continuity: float | None = None
    melody: float | None = None


@dataclass(frozen=True)
class Evaluation:
    """Everything measured for one decoding configuration.

    Attributes:
        params: the configuration.
        prompts: the P prompts, in order.
        clips: P x R clip scores (prompt-major).
        clap: CLAP adherence over all clips (higher is better), mean ± stderr.
        repetition: the repetition objective over all clips (lower is better), mean ± stderr: each clip's
            repetition beyond what real music of the genre does (:func:`repetition_excess`).
        token_repetition: repeated codebook-0 n-gram share, or None where the backend has no tokens.
        prompt_diversity: per prompt, the spread of its clips' CLAP audio embeddings across seeds
            (:func:`~objectives.scoring.embedding_spread`, in [0, 2]; 0 with one seed).
        constraints: ``{"silence", "noise", "clipping"}`` -> worst clip's measurement minus its limit;
            the configuration is feasible when every value is <= 0.
        audio: the generated clips, ``[P*R, T]`` in the order of ``clips``.
        fad: Fréchet distance between the clips' CLAP embeddings and the reference set's (lower is
            closer), or None without a reference.
        raw_repetition: :func:`repetition_score` over all clips, mean ± stderr (recorded, not optimised).
        stereo_image: side/mid energy ratio over a stereo model's clips, mean ± stderr (recorded, not
            optimised: near 0 is a collapsed image, above 1 a phase-broken one); None for mono.
        continuity: :func:`seam_continuity` over a continuation's clips, mean ± stderr (recorded); None
            without audio prompts.
        melody: :func:`melody_adherence` over the clips, mean ± stderr (higher follows the melody); None
            without melodies.
        generation_seconds, scoring_seconds: wall-clock time, shared equally among configurations
            evaluated together.
        embeddings: ``[N, D]`` the clips' CLAP audio embeddings, in the order of ``clips`` (what diversity and
            the Fréchet distance are computed from; kept so a staged evaluation's parts can be joined,
            :meth:`Evaluator.combine`).

    An evaluation of some rows (``Evaluator.evaluate_many(rows=...)``) holds those clips only; its
    ``prompt_diversity`` still has one value per prompt (0 for a prompt with fewer than 2 clips), and ``fad``
    needs at least 2 clips.
    """

    params: DecodingParams
    prompts: tuple[str, ...]
    clips: tuple[ClipScores, ...]
    clap: ScoreSummary
    repetition: ScoreSummary
    token_repetition: ScoreSummary | None
    prompt_diversity: tuple[float, ...]
    constraints: dict[str, float]
    audio: GeneratedAudio = field(repr=False)
    fad: float | None = None
    raw_repetition: ScoreSummary | None = None
    stereo_image: ScoreSummary | None = None
    continuity: ScoreSummary | None = None
    melody: ScoreSummary | None = None
    generation_seconds: float = 0.0
    scoring_seconds: float = 0.0
    embeddings: np.ndarray | None = field(default=None, repr=False)

    @property
    def diversity(self) -> ScoreSummary:
        """Diversity over prompts (higher is more varied): mean of :attr:`prompt_diversity`, its standard error
        across prompts (0 with one prompt) and ``n`` = the number of prompts. One value per prompt, since seeds
        are what a spread is taken over."""
        return summarize(self.prompt_diversity)

    @property
    def feasible(self) -> bool:
        """No clip is silent, noise or clipped beyond the thresholds."""
        return is_feasible(self.constraints)

    def per_prompt(self) -> list[dict[str, float | str]]:
        """Per prompt with clips (every prompt, unless this evaluation covers some rows): the prompt and its mean
        CLAP and repetition over replicates."""
        out: list[dict[str, float | str]] = []
        for i, prompt in enumerate(self.prompts):
            mine = [c for c in self.clips if c.prompt_index == i]
            if not mine:
                continue
            out.append({"prompt": prompt, "clap": float(np.mean([c.clap for c in mine])),
                        "repetition": float(np.mean([c.repetition for c in mine]))})
        return out


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

    def _score(self, config: DecodingParams, rows: Sequence[tuple[int, int]], audio: GeneratedAudio,
               clap_scores: np.ndarray, embeddings: np.ndarray) -> Evaluation:
        clips = []
        for i, (p, r) in enumerate(rows):
            seed = replicate_seed(self.base_seed, p, r)
            wave = audio.audio[i]
            raw = repetition_score(wave, audio.sample_rate)
            stereo = None if audio.channels is None else audio.channels[i]
            clips.append(ClipScores(
                prompt_index=p, replicate=r, seed=seed, clap=float(clap_scores[i]),
                repetition=repetition_excess(raw, self.repetition_reference), raw_repetition=raw,
                token_repetition=None if audio.codes is None else token_repetition(audio.codes[i]),
                degeneracy=(degeneracy(wave, audio.sample_rate, self.thresholds) if stereo is None
                            else channel_degeneracy(stereo, audio.sample_rate, self.thresholds)),
                stereo_image=None if stereo is None or len(stereo) != 2 else side_mid_ratio(stereo),
                continuity=None if audio.prompt_audio is None else seam_continuity(audio.prompt_audio[i], wave,
                                                                                   audio.sample_rate),
                melody=None if self.melodies is None else melody_adherence(
                    self._melody_chroma[p % len(self.melodies)], wave, audio.sample_rate),
            ))
        return self._assemble(config, clips, audio, embeddings)

    def _assemble(self, config: DecodingParams, clips: Sequence[ClipScores], audio: GeneratedAudio,
                  embeddings: np.ndarray) -> Evaluation:
        """The evaluation of scored clips (any rows, prompt-major): summaries, constraints, diversity, FAD."""
        violations = [c.degeneracy.violations(self.thresholds) for c in clips]
        constraints = {key: max(v[key] for v in violations) for key in violations[0]}
        prompt_diversity = tuple(
            embedding_spread(embeddings[[i for i, c in enumerate(clips) if c.prompt_index == prompt]])
            for prompt in range(len(self.prompts))
        )
        token_values = [c.token_repetition for c in clips if c.token_repetition is not None]
        image = [c.stereo_image for c in clips if c.stereo_image is not None]
        seams = [c.continuity for c in clips if c.continuity is not None]
        melody = [c.melody for c in clips if c.melody is not None]
        return Evaluation(
            params=config, prompts=self.prompts, clips=tuple(clips), embeddings=embeddings,
            clap=summarize([c.clap for c in clips]), repetition=summarize([c.repetition for c in clips]),
            token_repetition=summarize(token_values) if token_values else None,
            raw_repetition=summarize([c.raw_repetition for c in clips]),
            stereo_image=summarize(image) if image else None,
            continuity=summarize(seams) if seams else None,
            melody=summarize(melody) if melody else None,
            prompt_diversity=prompt_diversity, constraints=constraints, audio=audio,
            fad=None if self.reference is None or len(clips) < 2
            else frechet_distance(EmbeddingStats.from_embeddings(embeddings), self.reference),
        )


def _with_times(e: Evaluation, generation: float, scoring: float) -> Evaluation:
    return replace(e, generation_seconds=generation, scoring_seconds=scoring)
