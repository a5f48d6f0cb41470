"""Tiny random-weight MusicGen and CLAP, built in-process (like audiocraft's ``debug`` model).

They have the real architectures (T5 text encoder, 4-codebook EnCodec at 32 kHz / 50 Hz, MusicGen decoder;
CLAP with a RoBERTa text tower and an HTS-AT audio tower) at toy sizes, and tokenizers trained offline with
the ``tokenizers`` library, so the whole pipeline runs with no download. Their output is noise: use them to
try the pipeline and in tests, never to judge decoding parameters.
"""

from __future__ import annotations

import json

import torch

__all__ = ["DEBUG_MODEL_NAME", "build_debug_clap", "build_debug_musicgen"]

DEBUG_MODEL_NAME = "debug"

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


def build_debug_musicgen(seed: int = 0):
    """A tiny random MusicGen and its processor: ``(MusicgenForConditionalGeneration, MusicgenProcessor)``.

    32 kHz mono, 4 codebooks of 2048 entries at 50 Hz (as musicgen-small), 2-layer T5 and decoder of width 32.
    Weights are drawn from ``torch.manual_seed(seed)`` so the model is the same every time.
    """
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )

    tokenizer = _t5_tokenizer()
    config = MusicgenConfig(
        text_encoder=T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2,
                              num_heads=4).to_dict(),
        audio_encoder=EncodecConfig(sampling_rate=32_000, upsampling_ratios=[8, 5, 4, 4], codebook_size=2048,
                                    target_bandwidths=[2.2], hidden_size=32, num_filters=4, num_lstm_layers=1,
                                    codebook_dim=32).to_dict(),
        decoder=MusicgenDecoderConfig(vocab_size=2048, hidden_size=32, ffn_dim=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_codebooks=4).to_dict(),
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = MusicgenForConditionalGeneration(config).eval()
        # EnCodec's codebooks start as zeros (they are learned); random entries make the audio depend on the codes.
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    processor = MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(sampling_rate=32_000, feature_size=1),
                                  tokenizer=tokenizer)
    return model, processor


def build_debug_clap(seed: int = 0):
    """A tiny random CLAP and its processor: ``(ClapModel, ClapProcessor)``; 48 kHz input, 10 s windows."""
    from transformers import ClapAudioConfig, ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, ClapTextConfig

    tokenizer = _roberta_tokenizer()
    config = ClapConfig(
        text_config=ClapTextConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=4, intermediate_size=64, projection_dim=16).to_dict(),
        audio_config=ClapAudioConfig(hidden_size=16, patch_embeds_hidden_size=8, depths=[1, 1],
                                     num_attention_heads=[2, 2], projection_dim=16, window_size=8,
                                     num_mel_bins=64, spec_size=256).to_dict(),
        projection_dim=16,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = ClapModel(config).eval()
    processor = ClapProcessor(feature_extractor=ClapFeatureExtractor(), tokenizer=tokenizer)
    return model, processor
