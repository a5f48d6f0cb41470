"""MusicGen-Melody in the per-row loop: greedy equals transformers' generate with the same chroma."""

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives._chroma import melody_chroma
from objectives.generation._melody import MelodyMusicGen

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def melody_musicgen():
    from objectives._debug_melody import build_random_musicgen_melody

    return build_random_musicgen_melody()


def _melody(seconds=3.0, sr=32_000):
    t = np.arange(int(seconds * sr)) / sr
    freqs = np.where(t < seconds / 2, 261.63, 392.0)
    return (0.4 * np.sin(2 * np.pi * freqs * t)).astype(np.float32)


def test_greedy_melody_decoding_reproduces_transformers_generate(melody_musicgen):
    model, tokenizer = melody_musicgen
    generator = MelodyMusicGen(model, tokenizer, name="melody")
    prompts = ["smooth jazz trio", "epic orchestral trailer"]
    melodies = [_melody(), _melody(2.0)[::-1].copy()]
    frames = 15
    for cfg in (1.0, 3.0):
        features = torch.stack([torch.from_numpy(np.tile(melody_chroma(m), (60, 1))[:235]) for m in melodies])
        inputs = tokenizer(prompts, padding=True, return_tensors="pt")
        reference = model.generate(**inputs, input_features=features, do_sample=False, guidance_scale=cfg,
                                   max_new_tokens=frames + 3)
        ours = generator.generate(prompts, [DecodingParams(use_sampling=False, cfg_coef=cfg)] * 2, [0, 0],
                                  duration=frames / 50, melodies=melodies)
        np.testing.assert_allclose(ours.audio, reference[:, 0].numpy(), atol=1e-6)


def test_the_melody_changes_the_tokens_and_a_text_model_refuses_one(melody_musicgen, debug_musicgen):
    model, tokenizer = melody_musicgen
    generator = MelodyMusicGen(model, tokenizer, name="melody")
    greedy = [DecodingParams(use_sampling=False)]
    first, later = generator._conditioning(["jazz"], [_melody()])
    null_melody, _ = generator._conditioning(["jazz"], None)
    assert later == {"encoder_hidden_states": None}  # conditioning is prepended once, then cached
    assert first["encoder_hidden_states"].shape[:2] == (2, 235 + 6)  # cond + null rows; chroma + "jazz" tokens
    step = torch.full((2 * 4, 1), 2048)
    with torch.no_grad():
        a = model(**first, decoder_input_ids=step).logits[:4, -1]
        b = model(**null_melody, decoder_input_ids=step).logits[:4, -1]
        c = model(**first, decoder_input_ids=step).logits[4:, -1]
        d = model(**null_melody, decoder_input_ids=step).logits[4:, -1]
    assert not torch.allclose(a, b)  # the melody conditions the conditional rows
    torch.testing.assert_close(c, d)  # the null rows drop it (and the text)
    from objectives.generation import TransformersMusicGen

    text_only = TransformersMusicGen(*debug_musicgen, name="debug")
    with pytest.raises(ValueError, match="not a melody model"):
        text_only.generate(["jazz"], greedy, [0], duration=0.3, melodies=[_melody()])


def test_a_melody_past_30_s_conditions_on_its_first_30_s_as_transformers_cuts_it(melody_musicgen):
    # transformers' MusicgenMelodyFeatureExtractor.__call__ pads with truncation=True to max_length =
    # chunk_length * sampling_rate = 30 * 32000 samples before its STFT: the samples past 30 s are never seen
    model, tokenizer = melody_musicgen
    generator = MelodyMusicGen(model, tokenizer, name="melody")
    rng = np.random.default_rng(0)
    for seconds in (30.2, 31.0, 31.0, 31.0, 34.0, 45.0):
        wave = (0.1 * rng.standard_normal(int(seconds * 32_000))).astype(np.float32)
        expected = melody_chroma(wave[: 30 * 32_000])
        assert expected.shape == (235, 12)
        used = generator._chroma([wave], 1, 235, 12)[0].numpy()
        np.testing.assert_array_equal(used, expected, err_msg=f"{seconds} s")
