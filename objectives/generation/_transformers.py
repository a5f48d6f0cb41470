"""MusicGen through transformers, decoded by our own loop so every row has its own parameters and seed."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from transformers import AutoProcessor, MusicgenForConditionalGeneration

from objectives._errors import ModelLoadError, first_line
from objectives._params import DecodingParams
from objectives.generation._backend import GeneratedAudio, StepCallback
from objectives.generation._cache import CACHE_ARGUMENT, GroupedCache, text_conditioned_cache
from objectives.generation._continuation import generate_continuation
from objectives.generation._cross_attention import GROUPS_ARGUMENT, use_grouped_sdpa
from objectives.generation._device import place_model
from objectives.generation._fast_sampling import TokenSampler
from objectives.generation._guidance import NullCopies
from objectives.generation._onednn import convert_where_it_applies
from objectives.generation._prefix import prefix_into_pattern
from objectives.generation._sampling import RowParams, sample_next_token
from objectives.generation._stereo import codebook_delays, decode_channels
from objectives.generation._text import encode_distinct
from objectives.generation._windows import MAX_WINDOW_SECONDS, audiocraft_windows, clip_frames, generate_windows

__all__ = ["ModelLoadError", "TransformersMusicGen"]


class TransformersMusicGen:
    """MusicGen (``MusicgenForConditionalGeneration`` and its processor) with audiocraft's sampling rules.

    Why a decode loop over the model's ``forward`` with its KV cache rather than ``generate``: ``generate`` applies
    one set of warpers to the whole batch, samples every row from the global RNG, and only builds the null-condition
    half of the batch when ``guidance_scale > 1``. This loop keeps the model, its cache, its delay pattern and
    EnCodec decoding from transformers, and replaces only the choice of the next token
    (:func:`~objectives.generation.sample_next_token`), so rows can differ in temperature, top-k/top-p and cfg_coef
    (several configurations in one batch) and each row draws from its own seeded generator. With greedy decoding it
    reproduces ``generate(do_sample=False, guidance_scale=c)`` token for token (tested).

    Args:
        model: a loaded ``MusicgenForConditionalGeneration``, mono or stereo (``decoder.audio_channels == 2``:
            8 codebooks, left/right interleaved, see :mod:`objectives.generation._stereo`).
        processor: its ``MusicgenProcessor`` (tokenizer for the prompts).
        name: the model name to record (hub id, directory or ``debug``).
        max_batch: most rows decoded at once; larger requests are split. Default 32.

    Attributes:
        fast_sampling: draw tokens with :class:`~objectives.generation._fast_sampling.TokenSampler` (the same
            tokens as :func:`~objectives.generation.sample_next_token` with the same noise, without a full sort for
            top-k rows). Default: on for CPU, where it was measured faster (``benchmarks/time_to_presets.py``).
        noise: ``"generator"`` (one seeded generator per row, the default) or ``"counter"`` (a row's noise a
            pure function of seed, step and codebook; other tokens for the same seed). Only with ``fast_sampling``.
        preallocated_cache: self-attention keys and values in buffers allocated once per pass, cross-attention
            ones computed once per distinct condition (:mod:`objectives.generation._cache`); the same tensors reach
            the attention, so the same tokens. Default: on for CPU, where it was measured faster
            (``benchmarks/decode_profile.py``, ``benchmarks/time_to_presets.py``); off elsewhere until measured.
        grouped_cross_attention: rows attend to one copy per condition (:mod:`._cross_attention`, SDPA decoders,
            with ``preallocated_cache``); on for CPU (decode 20 % shorter: benchmarks/README.md), off elsewhere.
        max_duration: longest window decoded at once, seconds (audiocraft's ``max_duration``); longer clips are
            generated in windows advanced by each row's ``extend_stride`` (:mod:`objectives.generation._windows`).
            Default 30 (MusicGen's training length); tests shorten it so a tiny model crosses a boundary fast.
        onednn_linears: the decoder's linear layers run by oneDNN (:mod:`._onednn`), converted in ``model`` itself
            where that applies (float32 on CPU): the loaders pass ``onednn_linears=True``; a caller's model stays.
    """

    backend = "transformers"

    def __init__(self, model: MusicgenForConditionalGeneration, processor, *, name: str, max_batch: int = 32,
                 max_duration: float = MAX_WINDOW_SECONDS, onednn_linears: bool = False) -> None:
        self.audio_channels: int = int(model.decoder.config.audio_channels)
        if self.audio_channels not in (1, 2):
            raise ModelLoadError(f"model {name!r} has {self.audio_channels} audio channels; MusicGen is mono (1) or "
                                 "stereo (2).")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1 but got {max_batch}.")
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.max_batch = max_batch
        self.max_duration = max_duration
        codec: Any = model.config.audio_encoder
        self.sample_rate: int = int(codec.sampling_rate)
        self.frame_rate: int = int(codec.frame_rate)
        self.num_codebooks: int = int(model.decoder.num_codebooks)
        pad: Any = model.generation_config.pad_token_id
        if pad is None:
            pad = model.decoder.config.pad_token_id
        self.pad_token_id: int = int(pad)
        self.fast_sampling: bool = self.model.device.type == "cpu"
        self.noise: str = "generator"
        self.preallocated_cache: bool = self.model.device.type == "cpu"
        self.grouped_cross_attention: bool = self.model.device.type == "cpu"
        self.onednn_linears: bool = onednn_linears and convert_where_it_applies(model.decoder)

    @classmethod
    def from_pretrained(cls, name_or_path: str, *, device: torch.device, max_batch: int = 32,
                        name: str | None = None, dtype: torch.dtype | None = None) -> TransformersMusicGen:
        """Load from a hub id (``facebook/musicgen-small``) or a local directory saved with ``save_pretrained``.

        Weights load as safetensors where the checkpoint has them; remote code is never trusted. The text encoder
        and decoder in ``dtype``, EnCodec in float32 (:func:`.place_model`). :func:`objectives.load_generator` checks
        the directory or the hub first (``resolve_checkpoint``); this maps what transformers still refuses.

        Args:
            name_or_path: hub id or directory.
            device: torch device.
            max_batch: most rows per decoding pass.
            name: the name to record (default ``name_or_path``; the hub id when loading its cached snapshot).
            dtype: the language model's number format; None: float16 on CUDA, float32 elsewhere.

        Raises:
            ModelLoadError: pickled weights that are not plain tensors, or a checkpoint transformers cannot load.
        """
        try:
            processor = AutoProcessor.from_pretrained(name_or_path)
            # float32 first, narrowed by place_model: EnCodec keeps its exact weights (4 bytes a parameter)
            model = MusicgenForConditionalGeneration.from_pretrained(name_or_path, dtype=torch.float32)
        except pickle.UnpicklingError as exc:
            raise ModelLoadError(
                f"refused to unpickle the weights in {name_or_path!r}: they are not plain tensors (torch.load with "
                "weights_only=True); use a safetensors checkpoint from a source you trust.") from exc
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load MusicGen {name_or_path!r}: {first_line(exc)}; give a hub id (fetch it with "
                "`hf download <id>` where there is network) or /path/to/a/directory/saved/with/save_pretrained.",
                option="model") from exc
        return cls(place_model(model, device, dtype), processor,
                   name=name or name_or_path, max_batch=max_batch, onednn_linears=True)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def row_bytes(self, duration: float, text_tokens: int = 64) -> int:
        """Estimated device memory one row needs while decoding ``duration`` seconds, in bytes.

        Self-attention KV cache of the conditional and unconditional copies (2 x layers x 2 (K, V) x hidden x
        steps), their cross-attention cache over ``text_tokens``, and float32 logits and sampling buffers (K
        codebooks x vocabulary, a few copies); weights are not included.
        """
        config = self.model.decoder.config
        element = torch.finfo(self.model.decoder.dtype).bits // 8  # the cache is the decoder's (EnCodec is float32)
        steps = round(min(duration, self.max_duration) * self.frame_rate) + self.num_codebooks
        kv = 2 * config.num_hidden_layers * 2 * config.hidden_size * (steps + text_tokens) * element
        sampling = 8 * self.num_codebooks * config.vocab_size * 4
        return int(kv + sampling)

    def generate(
        self,
        prompts: Sequence[str],
        params: Sequence[DecodingParams],
        seeds: Sequence[int],
        *,
        duration: float,
        on_step: StepCallback | None = None,
        audio_prompts: Sequence[np.ndarray] | None = None,
        melodies: Sequence[np.ndarray] | None = None,
    ) -> GeneratedAudio:
        """Generate one clip per row: ``prompts[i]`` decoded with ``params[i]`` from seed ``seeds[i]``.

        Args:
            prompts: N text prompts.
            params: N decoding configurations (may all differ).
            seeds: N seeds; row i's tokens depend only on its prompt, parameters and seed.
            duration: clip length in seconds: :func:`~objectives.generation._windows.clip_frames` frames (50 Hz
                for MusicGen; audiocraft's whole frames past :attr:`max_duration`, where the clip is generated in
                windows, rows grouped by ``extend_stride``).
            on_step: progress callback ``(steps_done, steps_total)`` summed over the sub-batches.
            audio_prompts: per row an audio prompt ``[C, T]`` at :attr:`sample_rate` to continue (rows may share
                one array), or None; ``duration`` is then the continuation's length and the prompt plus the
                continuation must fit :attr:`max_duration` (:mod:`objectives.generation._continuation`).
            melodies: per row a melody ``[T]`` at :attr:`sample_rate` (melody models only; rows may share one),
                or None; not combined with audio prompts or clips longer than :attr:`max_duration`.

        Raises:
            ValueError: melodies for a text-only model, or with audio prompts or windows.

        Returns:
            ``audio`` ``[N, T]`` float32 at :attr:`sample_rate` (not clipped: values beyond ±1 are left for
            the clipping check; the mono mix of a stereo model), ``codes`` ``[N, K, F]`` and, for a stereo
            model, ``channels`` ``[N, 2, T]``.
        """
        n = len(prompts)
        if not (len(params) == n == len(seeds)):
            raise ValueError(f"prompts, params and seeds must have the same length but got {n}, {len(params)}, "
                             f"{len(seeds)}.")
        frames = clip_frames(duration, self.frame_rate, self.max_duration)
        if melodies is not None and (audio_prompts is not None or duration > self.max_duration):
            raise ValueError("melody conditioning is not combined with audio prompts or clips past one window yet.")
        if audio_prompts is not None:
            return generate_continuation(self, prompts, params, seeds, audio_prompts, frames, on_step)
        if duration > self.max_duration:
            return self._generate_long(prompts, params, seeds, duration, on_step)
        steps_per_batch = frames + int(codebook_delays(self.num_codebooks, self.audio_channels).max())
        total_steps = steps_per_batch * -(-n // self.max_batch)
        done = 0
        waves, codes = [], []
        for start in range(0, n, self.max_batch):
            stop = min(n, start + self.max_batch)

            def step(s: int, _: int, offset: int = done) -> None:
                if on_step is not None:
                    on_step(offset + s, total_steps)

            batch_codes = self._decode(prompts[start:stop], params[start:stop], seeds[start:stop], frames, step,
                                       melodies=None if melodies is None else melodies[start:stop])
            waves.append(self._to_audio(batch_codes))
            codes.append(batch_codes.cpu().numpy())
            done += steps_per_batch
        channels = np.concatenate(waves)
        return GeneratedAudio(audio=channels.mean(axis=1), sample_rate=self.sample_rate, codes=np.concatenate(codes),
                              channels=channels if self.audio_channels > 1 else None)

    def _generate_long(self, prompts, params, seeds, duration: float, on_step: StepCallback | None) -> GeneratedAudio:
        """A clip longer than :attr:`max_duration`: audiocraft's windows, rows grouped by ``extend_stride``."""
        frames = clip_frames(duration, self.frame_rate, self.max_duration)
        groups: dict[float, list[int]] = {}
        for i, p in enumerate(params):
            groups.setdefault(p.extend_stride, []).append(i)
        batches = [rows[i:i + self.max_batch] for rows in groups.values() for i in range(0, len(rows), self.max_batch)]
        codes = torch.empty((len(prompts), self.num_codebooks, frames), dtype=torch.long)
        for number, rows in enumerate(batches):
            plan = audiocraft_windows(duration, params[rows[0]].extend_stride, self.frame_rate, self.max_duration)
            generators = self._generators([seeds[i] for i in rows])

            def decode(prefix, length, step, rows=rows, generators=generators):
                return self._decode([prompts[i] for i in rows], [params[i] for i in rows], None, length, step,
                                    prefix=prefix, generators=generators)

            def progress(done: int, total: int, number: int = number) -> None:
                if on_step is not None:
                    on_step(number * total + done, total * len(batches))

            codes[rows] = generate_windows(decode, plan, progress).cpu()
        waves = np.concatenate([self._to_audio(codes[i:i + self.max_batch].to(self.device))
                                for i in range(0, len(prompts), self.max_batch)])
        return GeneratedAudio(audio=waves.mean(axis=1), sample_rate=self.sample_rate, codes=codes.numpy(),
                              channels=waves if self.audio_channels > 1 else None)

    def _generators(self, seeds) -> list[torch.Generator]:
        """One random generator per row, seeded with its seed."""
        return [torch.Generator(device=self.device).manual_seed(int(s)) for s in seeds]

    @torch.inference_mode()
    def _decode(self, prompts, params, seeds, frames: int, on_step: StepCallback, *,
                prefix: torch.Tensor | None = None, generators: list[torch.Generator] | None = None,
                melodies: Sequence[np.ndarray] | None = None) -> torch.Tensor:
        """Autoregressive decoding with MusicGen's delay pattern; returns codes ``[B, K, frames]``.

        ``prefix`` ``[B, K, P]`` (P < frames) are known codes the sequence starts with (a previous window's
        tail, an audio prompt's codes): they are placed in the delay pattern, their steps run in one forward
        pass, and the sampled tokens never replace them, as in audiocraft's ``LMModel.generate`` with
        ``prompt``. ``generators`` (one per row) replace ``seeds`` to carry a row's stream across calls.
        ``melodies`` (one per row) are for a melody model (:class:`~objectives.generation._melody.MelodyMusicGen`).
        """
        device = self.device
        b, k = len(prompts), self.num_codebooks
        rows = RowParams.from_params(params, device=device)
        guided = (rows.cfg_coef != 1.0).nonzero().flatten()  # rows whose guided logits need the null condition
        first, later = self._conditioning(prompts, melodies, guided)
        with_null = NullCopies(guided, b, k)
        generators = generators if generators is not None else self._generators(seeds)
        if self.fast_sampling:
            if seeds is None and self.noise != "generator":  # windows carry generators, not a step counter
                raise ValueError("counter noise does not cover clips longer than max_duration; use noise='generator'.")
            draw: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor] = TokenSampler(
                rows, seeds if seeds is not None else [0] * b, device=device, noise=self.noise, generators=generators)
        else:
            def draw(cond, uncond, _step):  # the reference rule, same signature
                return sample_next_token(cond, uncond, rows, generators)

        codebook = codebook_delays(k, self.audio_channels, device=device)  # delay of each row
        steps = frames + int(codebook.max())
        sequence = torch.full((b, k, steps + 1), self.pad_token_id, dtype=torch.long, device=device)
        past = self._new_cache(steps, first) if self.preallocated_cache else None
        started, known = False, 0
        if prefix is not None:
            known = prefix_into_pattern(sequence, prefix.to(device), codebook)
            # Inputs 0..P-1 only predict known tokens (indices 1..P): one forward pass fills the cache.
            past = self._forward(first, with_null.inputs(sequence[:, :, :known]), past)[CACHE_ARGUMENT]
            started = True
        for s in range(known, steps):
            out = self._forward(later if started else first, with_null.inputs(sequence[:, :, s:s + 1]), past)
            past, started = out[CACHE_ARGUMENT], True
            tokens = draw(*with_null.split(out.logits[:, -1]), s)
            # Delay pattern: a row with delay d emits frame s - d; outside [0, frames) it is held at the pad token.
            valid = (s - codebook >= 0) & (s - codebook < frames)
            fresh = torch.where(valid[None, :], tokens, self.pad_token_id)
            sequence[:, :, s + 1] = torch.where((s - codebook < known)[None, :], sequence[:, :, s + 1], fresh)
            on_step(s + 1, steps)
        index = (1 + torch.arange(frames, device=device))[None, :] + codebook[:, None]
        return sequence.gather(2, index[None].expand(b, -1, -1))

    def _conditioning(self, prompts, melodies, guided: torch.Tensor | None = None
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Keyword arguments of the decoder's forward for the first pass and for the cached steps after it.

        Rows are the B conditional copies then one unconditional copy per row in ``guided`` (``[G]`` row
        indices; None: every row): the null condition as in audiocraft's ``ClassifierFreeGuidanceDropout(p=1)``,
        zero text embeddings with a zero mask.

        Raises:
            ValueError: melodies for a model without melody conditioning.
        """
        if melodies is not None:
            raise ValueError(f"model {self.name!r} is not a melody model; melodies need facebook/musicgen-melody "
                             "or musicgen-melody-large.")
        model = self.model
        inputs = self.processor(text=list(prompts), padding=True, return_tensors="pt").to(self.device)
        hidden = encode_distinct(model.text_encoder, inputs["input_ids"], inputs["attention_mask"])
        nulls = len(prompts) if guided is None else len(guided)
        hidden = torch.cat([hidden, hidden.new_zeros((nulls, *hidden.shape[1:]))])
        mask = inputs["attention_mask"]
        mask = torch.cat([mask, mask.new_zeros((nulls, *mask.shape[1:]))])
        # What MusicgenForConditionalGeneration.forward does to the encoder output at every step, done once.
        if (model.text_encoder.config.hidden_size != model.decoder.config.hidden_size
                and model.decoder.config.cross_attention_hidden_size is None):
            hidden = model.enc_to_dec_proj(hidden)
        kwargs = {"encoder_hidden_states": hidden * mask[..., None], "encoder_attention_mask": mask}
        return kwargs, kwargs

    def _forward(self, kwargs: dict[str, Any], input_ids: torch.Tensor, past: Any) -> Any:
        """One decoder pass over ``input_ids`` ``[(B + G) * K, n]`` (conditional rows, then the G null copies) with
        ``kwargs`` from :meth:`_conditioning`; returns the output with ``logits`` ``[(B + G) * K, n, vocabulary]``
        and the cache."""
        groups = {GROUPS_ARGUMENT: past.groups} if isinstance(past, GroupedCache) else {}
        return self.model.decoder(input_ids=input_ids, use_cache=True, **{CACHE_ARGUMENT: past}, **groups, **kwargs)

    def _new_cache(self, steps: int, first: dict[str, Any]) -> Any:
        """The pass's cache for ``steps`` decoder inputs (:func:`._cache.text_conditioned_cache`)."""
        grouped = self.grouped_cross_attention and use_grouped_sdpa(self.model.decoder)
        return text_conditioned_cache(self.model.decoder.model.decoder.layers, first["encoder_hidden_states"], steps,
                                      grouped=grouped)

    @torch.inference_mode()
    def _to_audio(self, codes: torch.Tensor) -> np.ndarray:
        """EnCodec-decode ``[B, K, F]`` codes to ``[B, C, T]`` float32 waveforms (C = audio channels).

        On CPU about 2 s of audio per call (activations stay in cache: faster per clip than one 0.4 s clip or 16
        5 s clips per call, ``benchmarks/decode_profile.py``); elsewhere the whole batch (a GPU wants the width).
        """
        cpu = self.device.type == "cpu"
        rows = max(1, 2 * self.frame_rate // max(1, codes.shape[-1])) if cpu else max(1, len(codes))
        parts = [decode_channels(self.model.audio_encoder, codes[i:i + rows], self.audio_channels)
                 for i in range(0, len(codes), rows)]
        return torch.cat(parts).float().cpu().numpy()

