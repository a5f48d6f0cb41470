"""Generation past the window (audiocraft's extend_stride) and decoding from known codes."""

import itertools

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives.generation import TransformersMusicGen
from objectives.generation._windows import Window, window_plan

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)


def test_window_plan_matches_audiocraft_for_40_seconds_at_stride_18():
    # audiocraft, duration 40, max_duration 30, extend_stride 18, 50 Hz: a 30 s window, then one prompted with
    # its last 12 s that runs to the end (40 - 18 = 22 s in all, 10 s new).
    assert window_plan(2000, 1500, 900) == [Window(0, 0, 1500), Window(900, 600, 1100)]
    assert window_plan(1500, 1500, 900) == [Window(0, 0, 1500)]
    plan = window_plan(5000, 1500, 900)
    assert all(w.frames <= 1500 for w in plan)
    assert sum(w.frames - w.context for w in plan) == 5000
    with pytest.raises(ValueError, match="shorter than"):
        window_plan(2000, 1500, 1500)


def test_extend_stride_is_validated_and_exported_for_audiocraft():
    assert DecodingParams().to_audiocraft()["extend_stride"] == 18.0
    assert DecodingParams(extend_stride=10.0).to_dict()["extend_stride"] == 10.0
    assert "extend_stride" not in DecodingParams().to_dict()
    for bad in (0.0, 30.0, -1.0, True):
        with pytest.raises(ValueError, match=r"extend_stride must be in \(0, 30\)"):
            DecodingParams(extend_stride=bad)


def test_known_codes_prefix_continue_like_an_unprompted_greedy_run(debug_musicgen):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")
    greedy = DecodingParams(use_sampling=False, cfg_coef=3.0)
    whole = generator._decode(["jazz trio", "rock riff"], [greedy] * 2, [0, 1], 25, lambda *_: None)
    resumed = generator._decode(["jazz trio", "rock riff"], [greedy] * 2, [0, 1], 25, lambda *_: None,
                                prefix=whole[:, :, :10])
    torch.testing.assert_close(resumed, whole, rtol=0, atol=0)


def test_a_clip_longer_than_the_window_is_generated_in_audiocraft_windows(debug_musicgen, monkeypatch):
    model, processor = debug_musicgen
    # A 0.4 s window (20 frames) stands for MusicGen's 30 s; 1.0 s with stride 0.2 s (10 frames) crosses it.
    generator = TransformersMusicGen(model, processor, name="debug", max_duration=0.4)
    calls = []
    decode = generator._decode

    def recording(*args, **kwargs):
        out = decode(*args, **kwargs)
        calls.append((kwargs.get("prefix"), args[3], out))
        return out

    monkeypatch.setattr(generator, "_decode", recording)
    params = [DecodingParams(extend_stride=0.2, temperature=1.0), DecodingParams(extend_stride=0.2, top_k=20)]
    out = generator.generate(["jazz", "ambient"], params, [3, 4], duration=1.0)
    assert out.codes.shape == (2, 4, 50) and out.audio.shape == (2, 50 * 640)
    assert len(calls) == 4 and all(frames <= 20 for _, frames, _ in calls)  # windows never exceed the max
    assert calls[0][0] is None
    for (_, _, before), (prefix, _, after) in itertools.pairwise(calls):
        np.testing.assert_array_equal(prefix.numpy(), before[:, :, 10:].numpy())  # context: previous tail
        np.testing.assert_array_equal(after[:, :, :10].numpy(), before[:, :, 10:].numpy())  # kept as tokens
    stitched = torch.cat([calls[0][2]] + [c[2][:, :, 10:] for c in calls[1:]], dim=-1)
    np.testing.assert_array_equal(out.codes, stitched.numpy())
    again = generator.generate(["jazz", "ambient"], params, [3, 4], duration=1.0)
    np.testing.assert_array_equal(out.codes, again.codes)  # seeded per row across windows


def test_a_40_second_debug_generation_crosses_the_30_second_boundary(debug_musicgen):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")
    progress = []
    out = generator.generate(["jazz"], [DecodingParams()], [0], duration=40.0,
                             on_step=lambda done, total: progress.append((done, total)))
    assert out.codes.shape == (1, 4, 2000)
    assert progress[-1][0] == progress[-1][1]
