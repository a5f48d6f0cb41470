"""Stereo MusicGen's codebook layout: per-codebook delays and per-channel EnCodec decoding.

Stereo checkpoints (``facebook/musicgen-stereo-*``) predict ``2 x Q`` codebooks with the left and right
channels interleaved (even rows left, odd rows right) over a mono EnCodec of ``Q`` codebooks. The delay
pattern delays codebook ``q`` of each channel by ``q`` steps, so both rows of a pair share one delay
(transformers' ``MusicgenForCausalLM.build_delay_pattern_mask``, which repeats each row of the mono pattern
twice, and audiocraft's ``CodebooksPatternProvider`` applied to the interleaved streams).
"""

from __future__ import annotations

import torch

__all__ = ["codebook_delays", "decode_channels", "with_channels"]


def codebook_delays(num_codebooks: int, audio_channels: int, *, device: torch.device | None = None) -> torch.Tensor:
    """The delay (in decoding steps) of every codebook row.

    Args:
        num_codebooks: K rows the decoder predicts (4 mono, 8 stereo for the published checkpoints).
        audio_channels: 1 (mono) or 2 (stereo, rows interleaved left/right).
        device: where the tensor lives.

    Returns:
        ``[K]`` int64: ``arange(K)`` for mono, ``arange(K) // 2`` for stereo.

    Raises:
        ValueError: channels other than 1 or 2, or an odd K for stereo.
    """
    if audio_channels not in (1, 2):
        raise ValueError(f"audio_channels must be 1 or 2 but got {audio_channels}.")
    if num_codebooks % audio_channels:
        raise ValueError(f"a stereo MusicGen needs an even number of codebooks but got {num_codebooks}.")
    return torch.arange(num_codebooks, device=device) // audio_channels


def decode_channels(audio_encoder, codes: torch.Tensor, audio_channels: int) -> torch.Tensor:
    """EnCodec-decode codes to one waveform per channel, as transformers' ``generate`` does.

    Args:
        audio_encoder: the model's ``EncodecModel`` (mono).
        codes: ``[B, K, F]`` int64 codes; for stereo, rows interleaved left/right.
        audio_channels: 1 or 2.

    Returns:
        ``[B, C, T]`` waveforms (the codec's dtype), ``C = audio_channels``.
    """
    scales = [None] * codes.shape[0]
    waves = [audio_encoder.decode(codes[None, :, c::audio_channels], audio_scales=scales).audio_values
             for c in range(audio_channels)]
    return torch.cat(waves, dim=1)


def with_channels(spec, generator):
    """``spec`` (a frozen dataclass with an ``audio_channels`` field) with the generator's channel count.

    Backends without the attribute (audiocraft's) are taken as mono.
    """
    from dataclasses import replace

    return replace(spec, audio_channels=int(getattr(generator, "audio_channels", 1)))
