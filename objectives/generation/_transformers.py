"""MusicGen through transformers, decoded by our own loop so every row has its own parameters and seed."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import AutoProcessor, MusicgenForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutput

from objectives._params import DecodingParams
from objectives.generation._backend import GeneratedAudio, StepCallback
from objectives.generation._device import default_dtype
from objectives.generation._sampling import RowParams, sample_next_token

__all__ = ["ModelLoadError", "TransformersMusicGen"]


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says what to do."""


class TransformersMusicGen:
    """MusicGen (``MusicgenForConditionalGeneration`` and its processor) with audiocraft's sampling rules.

    Why a decode loop over the model's ``forward`` with its KV cache rather than ``generate``:
    ``generate`` applies one set of warpers to the whole batch, samples every row from the global RNG,
    and only builds the null-condition half of the batch when ``guidance_scale > 1``. This loop keeps the
    model, its cache, its delay pattern and EnCodec decoding from transformers, and replaces only the
    choice of the next token (:func:`~objectives.generation.sample_next_token`), so rows can differ in
    temperature, top-k/top-p and cfg_coef (several configurations in one batch) and each row draws from
    its own seeded generator. With greedy decoding it reproduces ``generate(do_sample=False,
    guidance_scale=c)`` token for token (tested).

    Args:
        model: a loaded ``MusicgenForConditionalGeneration`` (mono).
        processor: its ``MusicgenProcessor`` (tokenizer for the prompts).
        name: the model name to record (hub id, directory or ``debug``).
        max_batch: most rows decoded at once; larger requests are split. Default 32.
    """

    def __init__(self, model: MusicgenForConditionalGeneration, processor, *, name: str, max_batch: int = 32) -> None:
        if model.decoder.config.audio_channels != 1:
            raise ModelLoadError(f"model {name!r} is a stereo MusicGen; only mono models are supported.")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1 but got {max_batch}.")
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.max_batch = max_batch
        codec: Any = model.config.audio_encoder
        self.sample_rate: int = int(codec.sampling_rate)
        self.frame_rate: int = int(codec.frame_rate)
        self.num_codebooks: int = int(model.decoder.num_codebooks)
        pad: Any = model.generation_config.pad_token_id
        if pad is None:
            pad = model.decoder.config.pad_token_id
        self.pad_token_id: int = int(pad)

    @classmethod
    def from_pretrained(cls, name_or_path: str, *, device: torch.device, max_batch: int = 32,
                        name: str | None = None) -> TransformersMusicGen:
        """Load from a hub id (``facebook/musicgen-small``) or a local directory saved with ``save_pretrained``.

        Weights load as safetensors where the checkpoint has them; remote code is never trusted. Half
        precision on CUDA. :func:`objectives.load_generator` checks the directory or the hub first
        (:func:`objectives._hub.resolve_checkpoint`); this maps what transformers still refuses.

        Args:
            name_or_path: hub id or directory.
            device: torch device.
            max_batch: most rows per decoding pass.
            name: the name to record (default ``name_or_path``; the hub id when loading its cached snapshot).

        Raises:
            ModelLoadError: pickled weights that are not plain tensors, or a checkpoint transformers cannot load.
        """
        try:
            processor = AutoProcessor.from_pretrained(name_or_path)
            model = MusicgenForConditionalGeneration.from_pretrained(name_or_path, dtype=default_dtype(device))
        except pickle.UnpicklingError as exc:
            raise ModelLoadError(
                f"refused to unpickle the weights in {name_or_path!r}: they are not plain tensors (torch.load with "
                "weights_only=True); use a safetensors checkpoint from a source you trust."
            ) from exc
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load MusicGen {name_or_path!r}: {_first_line(exc)}; pass --model a hub id (fetch it with "
                "`hf download <id>` where there is network) or /path/to/a/directory/saved/with/save_pretrained."
            ) from exc
        return cls(model.to(device), processor, name=name or name_or_path,  # type: ignore[arg-type]
                   max_batch=max_batch)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def row_bytes(self, duration: float, text_tokens: int = 64) -> int:
        """Estimated device memory one row needs while decoding ``duration`` seconds, in bytes.

        Self-attention KV cache of the conditional and unconditional copies (2 x layers x 2 (K, V) x
        hidden x steps), their cross-attention cache over ``text_tokens``, and float32 logits and
        sampling buffers (K codebooks x vocabulary, a few copies); weights are not included.
        """
        config = self.model.decoder.config
        element = torch.finfo(self.model.dtype).bits // 8
        steps = round(duration * self.frame_rate) + self.num_codebooks
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
    ) -> GeneratedAudio:
        """Generate one clip per row: ``prompts[i]`` decoded with ``params[i]`` from seed ``seeds[i]``.

        Args:
            prompts: N text prompts.
            params: N decoding configurations (may all differ).
            seeds: N seeds; row i's tokens depend only on its prompt, parameters and seed.
            duration: clip length in seconds; ``round(duration * frame_rate)`` frames (50 Hz for MusicGen).
            on_step: progress callback ``(steps_done, steps_total)`` summed over the sub-batches.

        Returns:
            ``audio`` ``[N, T]`` float32 at :attr:`sample_rate` (not clipped: values beyond ±1 are left for
            the clipping check) and ``codes`` ``[N, K, F]``.
        """
        n = len(prompts)
        if not (len(params) == n == len(seeds)):
            raise ValueError(f"prompts, params and seeds must have the same length but got {n}, {len(params)}, "
                             f"{len(seeds)}.")
        frames = max(1, round(duration * self.frame_rate))
        steps_per_batch = frames + self.num_codebooks - 1
        total_steps = steps_per_batch * -(-n // self.max_batch)
        done = 0
        audio, codes = [], []
        for start in range(0, n, self.max_batch):
            stop = min(n, start + self.max_batch)

            def step(s: int, _: int, offset: int = done) -> None:
                if on_step is not None:
                    on_step(offset + s, total_steps)

            batch_codes = self._decode(prompts[start:stop], params[start:stop], seeds[start:stop], frames, step)
            audio.append(self._to_audio(batch_codes))
            codes.append(batch_codes.cpu().numpy())
            done += steps_per_batch
        return GeneratedAudio(audio=np.concatenate(audio), sample_rate=self.sample_rate, codes=np.concatenate(codes))

    @torch.inference_mode()
    def _decode(self, prompts, params, seeds, frames: int, on_step: StepCallback) -> torch.Tensor:
        """Autoregressive decoding with MusicGen's delay pattern; returns codes ``[B, K, frames]``."""
        device = self.device
        b, k = len(prompts), self.num_codebooks
        inputs = self.processor(text=list(prompts), padding=True, return_tensors="pt").to(device)
        hidden = self.model.text_encoder(input_ids=inputs["input_ids"],
                                         attention_mask=inputs["attention_mask"]).last_hidden_state
        # Null condition as in audiocraft's ClassifierFreeGuidanceDropout(p=1): zero embeddings, zero mask.
        encoder_outputs = BaseModelOutput(last_hidden_state=torch.cat([hidden, torch.zeros_like(hidden)]))
        attention_mask = torch.cat([inputs["attention_mask"], torch.zeros_like(inputs["attention_mask"])])
        rows = RowParams.from_params(params, device=device)
        generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]

        steps = frames + k - 1
        sequence = torch.full((b, k, steps + 1), self.pad_token_id, dtype=torch.long, device=device)
        codebook = torch.arange(k, device=device)
        past = None
        for s in range(steps):
            step_input = sequence[:, :, s:s + 1].reshape(b * k, 1).repeat(2, 1)
            out = self.model(encoder_outputs=encoder_outputs, attention_mask=attention_mask,
                             decoder_input_ids=step_input, past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[:, -1].reshape(2, b, k, -1)
            tokens = sample_next_token(logits[0], logits[1], rows, generators)
            # Delay pattern: codebook c emits frame s - c; outside [0, frames) it is held at the pad token.
            valid = (s - codebook >= 0) & (s - codebook < frames)
            sequence[:, :, s + 1] = torch.where(valid[None, :], tokens, self.pad_token_id)
            on_step(s + 1, steps)
        index = (1 + torch.arange(frames, device=device))[None, :] + codebook[:, None]
        return sequence.gather(2, index[None].expand(b, -1, -1))

    @torch.inference_mode()
    def _to_audio(self, codes: torch.Tensor) -> np.ndarray:
        """EnCodec-decode ``[B, K, F]`` codes to ``[B, T]`` float32 waveforms."""
        values = self.model.audio_encoder.decode(codes[None], audio_scales=[None] * codes.shape[0]).audio_values
        return values[:, 0].float().cpu().numpy()


def _first_line(exc: BaseException) -> str:
    """An exception's first line, at most 200 characters (transformers' messages run to paragraphs)."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200].rstrip(".")
