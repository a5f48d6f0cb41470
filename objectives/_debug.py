"""Tiny random-weight MusicGen and CLAP, built in-process (like audiocraft's ``debug`` model).

They have the real architectures (T5 text encoder, 4-codebook EnCodec at 32 kHz / 50 Hz, MusicGen decoder;
CLAP with a RoBERTa text tower and an HTS-AT audio tower) at toy sizes, and tokenizers trained offline with
the ``tokenizers`` library, so the whole pipeline runs with no download. Their output is noise: use them to
try the pipeline and in tests, never to judge decoding parameters.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DEBUG_MODELS", "DEBUG_MODEL_NAME", "build_debug_clap", "build_debug_musicgen"]

DEBUG_MODEL_NAME = "debug"
DEBUG_MODELS = {DEBUG_MODEL_NAME: "mono", "debug-stereo": "stereo", "debug-melody": "melody"}
"""The tiny random MusicGens a model name may be (no download, noise output), and the variant each one is:
every code path (stereo channels, melody conditioning) runs offline. This module imports torch only to build."""

_CORPUS = [
    "smooth jazz trio with upright bass, brushed drums and warm piano, relaxed swing, 92 BPM, B-flat major",
    "epic orchestral trailer music with brass, strings, choir and taiko drums, 120 BPM, D minor",
    "lo-fi hip-hop beat with dusty drums, vinyl crackle and mellow Rhodes chords, 80 BPM",
    "ambient drone with evolving synth pads and soft field recordings, 60 BPM, C major",
    "energetic rock with distorted electric guitars, bass and live drums, 140 BPM, E minor, 4/4",
    "deep house groove with four-on-the-floor kick, analog bass and airy pads, 124 BPM",
    "baroque string quartet, counterpoint, harpsichord continuo, 3/4 time, G major",
    "upbeat pop song with bright synths, claps and catchy melody, 118 BPM, A major",
]


def _t5_tokenizer():
    from tokenizers import SentencePieceUnigramTokenizer
    from transformers import T5Tokenizer

    trainer = SentencePieceUnigramTokenizer()
    trainer.train_from_iterator(_CORPUS, vocab_size=200, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>",
                                show_progress=False)
    vocab = [(piece, score) for piece, score in json.loads(trainer.to_str())["model"]["vocab"]]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def _roberta_tokenizer():
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(_CORPUS, vocab_size=300, min_frequency=1,
                                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False)
    model = json.loads(trainer.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    # transformers' annotation says list[str]; the tokenizers backend wants (left, right) pairs.
    return RobertaTokenizer(vocab=model["vocab"], merges=merges)  # type: ignore[arg-type]


# Decoder / text-encoder / codec sizes. "small" and "medium" follow facebook/musicgen-small and -medium
# (T5-base text encoder, 32 kHz EnCodec with 4 codebooks of 2048 at 50 Hz); "debug" is a toy of the same shape.
_MUSICGEN_SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "debug": {
        "decoder": {"hidden_size": 32, "ffn_dim": 64, "num_hidden_layers": 2, "num_attention_heads": 4},
        "text": {"d_model": 32, "d_kv": 8, "d_ff": 64, "num_layers": 2, "num_heads": 4},
        "codec": {"hidden_size": 32, "num_filters": 4, "num_lstm_layers": 1, "codebook_dim": 32},
    },
    "small": {
        "decoder": {"hidden_size": 1024, "ffn_dim": 4096, "num_hidden_layers": 24, "num_attention_heads": 16},
        "text": {"d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12, "num_heads": 12},
        "codec": {"hidden_size": 128, "num_filters": 64, "num_lstm_layers": 2, "codebook_dim": 128,
                  "use_causal_conv": False, "use_conv_shortcut": False},
    },
    "medium": {
        "decoder": {"hidden_size": 1536, "ffn_dim": 6144, "num_hidden_layers": 48, "num_attention_heads": 24},
        "text": {"d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12, "num_heads": 12},
        "codec": {"hidden_size": 128, "num_filters": 64, "num_lstm_layers": 2, "codebook_dim": 128,
                  "use_causal_conv": False, "use_conv_shortcut": False},
    },
}
MUSICGEN_SIZES = tuple(_MUSICGEN_SIZES)


def _dims(sizes: dict[str, dict[str, dict[str, Any]]], size: str) -> dict[str, dict[str, Any]]:
    if size not in sizes:
        raise ValueError(f"size must be one of {', '.join(sizes)} but got {size!r}.")
    return sizes[size]


def musicgen_parts(size: str) -> tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """What every MusicGen layout of ``size`` shares: ``(tokenizer, T5 config dict, 32 kHz EnCodec config dict,
    decoder widths)``; the caller builds its decoder config (mono, stereo or melody) from the widths.

    Raises:
        ValueError: unknown size.
    """
    from transformers import EncodecConfig, T5Config

    dims = _dims(_MUSICGEN_SIZES, size)
    tokenizer = _t5_tokenizer()
    text = T5Config(vocab_size=32128 if size != "debug" else len(tokenizer), **dims["text"]).to_dict()
    codec = EncodecConfig(sampling_rate=32_000, upsampling_ratios=[8, 5, 4, 4], codebook_size=2048,
                          target_bandwidths=[2.2], **dims["codec"]).to_dict()
    return tokenizer, text, codec, dims["decoder"]


def seeded_model(cls, config, seed: int):
    """``cls(config)`` in eval mode with weights drawn under ``seed`` (global RNG state kept), its EnCodec codebooks
    random: they start as zeros (they are learned), and random entries make the audio depend on the codes."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = cls(config).eval()
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    return model


def build_random_musicgen(size: str = "debug", seed: int = 0, *, audio_channels: int = 1):
    """A random-weight MusicGen of a known architecture and its processor.

    Args:
        size: ``debug`` (toy widths, 2 layers: tests and ``--model debug``), ``small`` or ``medium`` (the
            published architectures, for timing without downloading weights).
        seed: weights are drawn from ``torch.manual_seed(seed)``, so the model is the same every time.
        audio_channels: 1 (mono, 4 codebooks) or 2 (stereo like ``facebook/musicgen-stereo-*``: 8 codebooks,
            left/right interleaved, over the same mono EnCodec).

    Returns:
        ``(MusicgenForConditionalGeneration, MusicgenProcessor)``; 32 kHz, 4 codebooks of 2048 per channel at
        50 Hz.

    Raises:
        ValueError: unknown size or channel count.
    """
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    if audio_channels not in (1, 2):
        raise ValueError(f"audio_channels must be 1 or 2 but got {audio_channels}.")
    tokenizer, text, codec, decoder = musicgen_parts(size)
    config = MusicgenConfig(
        text_encoder=text, audio_encoder=codec,
        decoder=MusicgenDecoderConfig(vocab_size=2048, num_codebooks=4 * audio_channels, audio_channels=audio_channels,
                                      **decoder).to_dict(),
    )
    model = seeded_model(MusicgenForConditionalGeneration, config, seed)
    processor = MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(sampling_rate=32_000, feature_size=1),
                                  tokenizer=tokenizer)
    return model, processor


def build_debug_musicgen(seed: int = 0):
    """The tiny random MusicGen behind ``--model debug``: ``build_random_musicgen("debug", seed)``."""
    return build_random_musicgen("debug", seed)


_CLAP_SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "debug": {
        "text": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
                 "projection_dim": 16},
        "audio": {"hidden_size": 16, "patch_embeds_hidden_size": 8, "depths": [1, 1], "num_attention_heads": [2, 2],
                  "projection_dim": 16},
        "projection_dim": {"value": 16},
    },
    # laion/larger_clap_music: RoBERTa-base text tower, HTS-AT base audio tower, 512-d joint space, no fusion.
    "larger": {
        "text": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
                 "projection_dim": 512},
        "audio": {"hidden_size": 1024, "patch_embeds_hidden_size": 128, "depths": [2, 2, 12, 2],
                  "num_attention_heads": [4, 8, 16, 32], "projection_dim": 512},
        "projection_dim": {"value": 512},
    },
}


def build_random_clap(size: str = "debug", seed: int = 0):
    """A random-weight CLAP and its processor: ``(ClapModel, ClapProcessor)``; 48 kHz input, 10 s windows.

    Args:
        size: ``debug`` (toy, tests and ``--clap debug``) or ``larger`` (laion/larger_clap_music's
            architecture, for timing).
        seed: weights come from ``torch.manual_seed(seed)``.

    Raises:
        ValueError: unknown size.
    """
    import torch
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, ClapTextConfig

    dims = _dims(_CLAP_SIZES, size)
    tokenizer = _roberta_tokenizer()
    config = ClapConfig(
        text_config=ClapTextConfig(vocab_size=50265 if size != "debug" else len(tokenizer), **dims["text"]).to_dict(),
        audio_config=ClapAudioConfig(window_size=8, num_mel_bins=64, spec_size=256, enable_fusion=False,
                                     **dims["audio"]).to_dict(),
        projection_dim=dims["projection_dim"]["value"],
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = ClapModel(config).eval()
    processor = ClapProcessor(feature_extractor=ClapFeatureExtractor(), tokenizer=tokenizer)
    return model, processor


def build_debug_clap(seed: int = 0):
    """The tiny random CLAP behind ``--clap debug``: ``build_random_clap("debug", seed)``."""
    return build_random_clap("debug", seed)
