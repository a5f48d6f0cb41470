"""Audio prompts that MusicGen continues: reading them and turning them into the codes that start a sequence.

As in audiocraft's ``MusicGen.generate_continuation`` and transformers' ``generate(input_values=...)``, the
prompt is EnCodec-encoded and its codes prefill the decoder's sequence through the delay pattern
(:func:`~objectives.generation._prefix.prefix_into_pattern`); the model then continues from the last frame.
A mono prompt for a stereo model is used for both channels (transformers repeats its codes per channel).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from objectives._audio_input import AudioInputError, read_audio

__all__ = ["MIN_PROMPT_SECONDS", "AudioPromptError", "encode_prompt", "generate_continuation", "read_audio_prompt"]

MIN_PROMPT_SECONDS = 1.0
"""Shortest audio prompt: the continuity measure compares two half-second stretches of it."""


class AudioPromptError(AudioInputError):
    """An audio prompt cannot be used; the message says which file and why."""


def read_audio_prompt(path: str | Path, sample_rate: int, *, min_seconds: float = MIN_PROMPT_SECONDS,
                      max_seconds: float | None = None, use_seconds: float | None = None,
                      what: str = "an audio prompt") -> np.ndarray:
    """Read an audio file as ``[C, T]`` float32 at ``sample_rate`` through the one audio validator
    (:func:`objectives._audio_input.read_audio`: header checked first, only ``use_seconds`` read).

    Args:
        path: a WAV, FLAC, OGG, MP3 or AIFF file (libsndfile).
        sample_rate: the codec's rate, Hz (32 000 for MusicGen).
        min_seconds: shortest accepted length.
        max_seconds: longest accepted length, or None.
        use_seconds: seconds read from the start (the rest is never decoded), or None for all.
        what: how messages name the input (``"a melody"``).

    Raises:
        AudioPromptError: missing, not a regular file, unreadable, a sample rate under 8 kHz, non-finite
            samples, too short or too long.
    """
    try:
        return read_audio(path, sample_rate, min_seconds=min_seconds, max_seconds=max_seconds,
                          use_seconds=use_seconds, what=what)
    except AudioInputError as exc:
        raise AudioPromptError(str(exc)) from None


@torch.inference_mode()
def encode_prompt(audio_encoder, wave: np.ndarray, audio_channels: int, device: torch.device) -> torch.Tensor:
    """EnCodec codes of an audio prompt, laid out as the decoder predicts them.

    Args:
        audio_encoder: the model's (mono) ``EncodecModel``.
        wave: ``[C, T]`` float32 at the codec's rate.
        audio_channels: the model's channels: 1 (a multichannel prompt is mixed down) or 2 (left/right codes
            interleaved; a mono prompt serves both).
        device: where the encoder runs.

    Returns:
        ``[K, P]`` int64 codes, ``K = audio_channels x`` the codec's codebooks, ``P`` frames.
    """
    if audio_channels == 1:
        channels = [wave.mean(axis=0)]
    else:
        channels = [wave[0], wave[1]] if wave.shape[0] >= 2 else [wave[0], wave[0]]
    codes = []
    for channel in channels:
        values = torch.from_numpy(np.ascontiguousarray(channel))[None, None].to(device, audio_encoder.dtype)
        out = audio_encoder.encode(values, bandwidth=None)
        codes.append(out.audio_codes[0, 0])  # [Q, P]
    stacked = torch.stack(codes, dim=1)  # [Q, C, P]: rows q*C + c, left/right interleaved per codebook
    return stacked.reshape(-1, stacked.shape[-1])


def generate_continuation(backend, prompts, params, seeds, audio_prompts, frames: int, on_step):
    """Continue each row's audio prompt by ``frames`` codec frames (see :meth:`TransformersMusicGen.generate`).

    Rows sharing a prompt (the same array object) are decoded together in sub-batches of ``backend.max_batch``;
    the sequence is the prompt's codes followed by ``frames`` new ones, within one window.

    Returns:
        :class:`~objectives.generation.GeneratedAudio` of the continuation only (``audio`` ``[N, T]``, ``codes``
        ``[N, K, frames]``, ``channels`` for stereo) with ``prompt_audio``: per row, the EnCodec reconstruction
        of its prompt decoded in the same pass ``[T_p]`` (mono mix), what the seam is measured against.

    Raises:
        AudioPromptError: a prompt and the continuation do not fit one window (``backend.max_duration``).
    """
    from objectives.generation._backend import GeneratedAudio

    window = round(backend.max_duration * backend.frame_rate)
    hop = backend.sample_rate // backend.frame_rate
    groups: dict[int, list[int]] = {}
    for i, wave in enumerate(audio_prompts):
        groups.setdefault(id(wave), []).append(i)
    size = backend.max_batch
    batches = [rows[i:i + size] for rows in groups.values() for i in range(0, len(rows), size)]
    n = len(prompts)
    codes = np.empty((n, backend.num_codebooks, frames), dtype=np.int64)
    channels = np.empty((n, backend.audio_channels, frames * hop), dtype=np.float32)
    heads: list[np.ndarray | None] = [None] * n
    for number, rows in enumerate(batches):
        prompt_codes = encode_prompt(backend.model.audio_encoder, audio_prompts[rows[0]], backend.audio_channels,
                                     backend.device)
        p = prompt_codes.shape[-1]
        if p + frames > window:
            raise AudioPromptError(f"an audio prompt of {p / backend.frame_rate:.1f} s and a "
                                   f"{frames / backend.frame_rate:g} s continuation exceed the "
                                   f"{backend.max_duration:g} s window; use a shorter prompt.")

        def step(s: int, total: int, number: int = number) -> None:
            if on_step is not None:
                on_step(number * total + s, total * len(batches))

        full = backend._decode([prompts[i] for i in rows], [params[i] for i in rows], [seeds[i] for i in rows],
                               p + frames, step, prefix=prompt_codes[None].expand(len(rows), -1, -1))
        waves = backend._to_audio(full)  # [B, C, (P + frames) * hop]
        codes[rows] = full[:, :, p:].cpu().numpy()
        channels[rows] = waves[:, :, p * hop:p * hop + frames * hop]
        for j, i in enumerate(rows):
            heads[i] = waves[j, :, :p * hop].mean(axis=0)
    return GeneratedAudio(audio=channels.mean(axis=1), sample_rate=backend.sample_rate, codes=codes,
                          channels=channels if backend.audio_channels > 1 else None,
                          prompt_audio=tuple(h for h in heads if h is not None))  # every row has one
