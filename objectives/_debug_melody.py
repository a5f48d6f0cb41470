"""Tiny random-weight MusicGen-Melody (``MusicgenMelodyForConditionalGeneration``) for tests and ``--model``
directories, built like :func:`objectives._debug.build_random_musicgen` (same toy sizes, same tokenizer)."""

from __future__ import annotations

__all__ = ["build_random_musicgen_melody"]


def build_random_musicgen_melody(seed: int = 0, size: str = "debug"):
    """A toy MusicGen-Melody and its tokenizer: ``(MusicgenMelodyForConditionalGeneration, T5Tokenizer)``.

    32 kHz mono, 4 codebooks of 2048 at 50 Hz, 12 chroma bins over 235 frames (30 s at hop 4096), like
    ``facebook/musicgen-melody``. The processor is the tokenizer alone: transformers'
    ``MusicgenMelodyFeatureExtractor`` needs torchaudio (:mod:`objectives._chroma` reproduces it).
    ``size`` picks the decoder, text encoder and codec widths as :func:`objectives._debug.build_random_musicgen`
    does (``debug``, ``small``, ``medium``; the published melody checkpoint has the medium decoder).

    Raises:
        ValueError: unknown size.
    """
    from transformers import (
        MusicgenMelodyConfig,
        MusicgenMelodyDecoderConfig,
        MusicgenMelodyForConditionalGeneration,
    )

    from objectives._debug import musicgen_parts, seeded_model

    tokenizer, text, codec, decoder = musicgen_parts(size)
    config = MusicgenMelodyConfig(
        text_encoder=text, audio_encoder=codec,
        decoder=MusicgenMelodyDecoderConfig(vocab_size=2048, num_codebooks=4, **decoder).to_dict(),
        num_chroma=12, chroma_length=235,
    )
    model = seeded_model(MusicgenMelodyForConditionalGeneration, config, seed)
    return model, tokenizer
