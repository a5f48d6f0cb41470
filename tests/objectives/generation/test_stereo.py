"""Stereo MusicGen: the decode loop against transformers' generate, and the stereo scores."""

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives._loading import load_generator
from objectives.generation import TransformersMusicGen
from objectives.scoring._stereo import MAX_SIDE_MID_RATIO, channel_degeneracy, side_mid_ratio

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)


@pytest.fixture(scope="module")
def stereo_musicgen():
    from objectives._debug import build_random_musicgen

    return build_random_musicgen("debug", audio_channels=2)


@pytest.fixture(scope="module")
def stereo_dir(tmp_path_factory, stereo_musicgen):
    path = tmp_path_factory.mktemp("musicgen-stereo-tiny")
    model, processor = stereo_musicgen
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def test_greedy_stereo_reproduces_transformers_generate_from_a_saved_directory(stereo_dir, stereo_musicgen):
    model, processor = stereo_musicgen
    generator = load_generator(str(stereo_dir), device=torch.device("cpu"))
    assert generator.audio_channels == 2 and generator.num_codebooks == 8
    prompts = ["smooth jazz trio, 92 BPM", "epic orchestral trailer with brass and choir"]
    frames = 20
    for cfg in (1.0, 3.0):
        inputs = processor(text=prompts, padding=True, return_tensors="pt")
        # Stereo delays each left/right pair together: 4 - 1 extra steps, not 8 - 1.
        reference = model.generate(**inputs, do_sample=False, guidance_scale=cfg, max_new_tokens=frames + 3)
        ours = generator.generate(prompts, [DecodingParams(use_sampling=False, cfg_coef=cfg)] * 2, [0, 0],
                                  duration=frames / generator.frame_rate)
        assert reference.shape == (2, 2, frames * 640)
        assert ours.codes.shape == (2, 8, frames)
        np.testing.assert_allclose(ours.channels, reference.numpy(), atol=1e-6)
        np.testing.assert_allclose(ours.audio, reference.numpy().mean(axis=1), atol=1e-6)
        assert not np.allclose(ours.channels[:, 0], ours.channels[:, 1])  # two channels, not one copied


def test_stereo_rows_keep_their_seed_alone_or_batched(stereo_musicgen):
    model, processor = stereo_musicgen
    generator = TransformersMusicGen(model, processor, name="stereo")
    params = DecodingParams(temperature=1.1, top_k=50)
    alone = generator.generate(["ambient pad"], [params], [77], duration=0.3)
    batched = generator.generate(["rock riff", "ambient pad"], [DecodingParams(), params], [1, 77], duration=0.3)
    np.testing.assert_array_equal(alone.codes[0], batched.codes[1])


def test_side_mid_ratio_reads_collapsed_wide_and_phase_broken_images():
    t = np.linspace(0, 1, 32_000, endpoint=False)
    tone = np.sin(2 * np.pi * 440 * t)
    assert side_mid_ratio(np.stack([tone, tone])) == 0.0  # collapsed to mono
    # L = x, R = x / 2: mid = 3x/4, side = x/4, energy ratio (1/4)^2 / (3/4)^2 = 1/9.
    assert side_mid_ratio(np.stack([tone, 0.5 * tone])) == pytest.approx(1 / 9)
    rng = np.random.default_rng(0)
    independent = rng.standard_normal((2, 320_000))
    assert side_mid_ratio(independent) == pytest.approx(1.0, abs=0.02)
    assert side_mid_ratio(np.stack([tone, -tone])) == MAX_SIDE_MID_RATIO  # phase-inverted pair
    assert side_mid_ratio(np.zeros((2, 100))) == 0.0
    with pytest.raises(ValueError, match=r"\[2, T\]"):
        side_mid_ratio(tone[None])


def test_a_stereo_clip_is_degenerate_when_one_channel_is():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2, 64_000, endpoint=False)
    music = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t))).astype(np.float32)
    healthy = channel_degeneracy(np.stack([music, music]), 32_000)
    assert healthy.silence_ratio < 0.5
    silent_right = channel_degeneracy(np.stack([music, np.zeros_like(music)]), 32_000)
    assert silent_right.silence_ratio == 1.0
    noisy_left = channel_degeneracy(np.stack([rng.uniform(-0.5, 0.5, music.size).astype(np.float32), music]),
                                    32_000)
    assert noisy_left.flatness > 0.35 > healthy.flatness


def test_evaluator_scores_clap_on_the_mono_mix_and_records_the_stereo_image(stereo_musicgen):
    from objectives._debug import build_debug_clap
    from objectives._evaluation import Evaluator
    from objectives.scoring import ClapScorer

    model, processor = stereo_musicgen
    clap_model, clap_processor = build_debug_clap()
    evaluator = Evaluator(generator=TransformersMusicGen(model, processor, name="stereo"),
                          clap=ClapScorer(clap_model, clap_processor, name="debug"),
                          prompts=["jazz trio", "ambient drone"], replicates=2, duration=0.4)
    evaluation = evaluator.evaluate(DecodingParams())
    assert evaluation.audio.channels.shape[:2] == (4, 2)
    assert evaluation.stereo_image is not None and evaluation.stereo_image.n == 4
    for clip, channels in zip(evaluation.clips, evaluation.audio.channels, strict=True):
        assert clip.stereo_image == pytest.approx(side_mid_ratio(channels))
        assert clip.degeneracy == channel_degeneracy(channels, 32_000)
