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


def _audiocraft_calls(duration, extend_stride, max_duration=30.0, frame_rate=50):
    """The ``lm.generate`` calls of audiocraft's ``_generate_tokens`` (``audiocraft/models/genmodel.py``) for a
    clip past ``max_duration``, without a prompt, as ``(offset, prompt frames, max_gen_len)``; written from its
    source: ``total_gen_len = int(duration * frame_rate)``, ``stride_tokens = int(frame_rate * extend_stride)``,
    each call ``max_gen_len = int(min(duration - offset / frame_rate, max_duration) * frame_rate)`` and the next
    prompt ``gen_tokens[:, :, stride_tokens:]``. None where its ``assert start_offset < max_gen_len`` (lm.py)
    would stop it (a float edge: the last call's length rounds down onto its prompt)."""
    total_gen_len = int(duration * frame_rate)
    stride_tokens = int(frame_rate * extend_stride)
    offset, prompt, calls = 0, 0, []
    while offset + prompt < total_gen_len:
        max_gen_len = int(min(duration - offset / frame_rate, max_duration) * frame_rate)
        if prompt >= max_gen_len:
            return None
        calls.append((offset, prompt, max_gen_len))
        prompt = max(0, max_gen_len - stride_tokens)
        offset += stride_tokens
    return calls


def test_long_clips_have_audiocraft_frames_and_windows_over_a_grid_of_durations_and_strides(debug_musicgen):
    from objectives.generation._windows import audiocraft_windows, clip_frames

    compared = edges = 0
    durations = [30.01, 31.0, 40.0, 60.0, 299.99] + [d / 100 for d in range(3001, 12001, 13)]
    for duration in durations:
        for extend_stride in [0.5, 1.11, 17.83, 18.0, 29.9] + [s / 10 for s in range(5, 300, 7)]:
            calls = _audiocraft_calls(duration, extend_stride)
            plan = audiocraft_windows(duration, extend_stride, 50)
            assert sum(w.frames - w.context for w in plan) == clip_frames(duration, 50) == int(duration * 50)
            if calls is None or calls[-1][0] + calls[-1][2] != int(duration * 50):
                edges += 1  # audiocraft stops on its assertion, or its last window ends a frame past total_gen_len
                continue
            compared += 1
            assert [(w.offset, w.context, w.frames) for w in plan] == calls, (duration, extend_stride)
    assert compared > 4 * edges  # about 11 % are edges on this grid of non-round values
    # and the generator decodes that many frames (a 0.4 s window standing for 30 s; 1.23 * 50 = 61.5 -> 61)
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug", max_duration=0.4)
    out = generator.generate(["jazz"], [DecodingParams(extend_stride=0.25)], [0], duration=1.23)
    assert out.codes.shape == (1, 4, 61) and out.audio.shape == (1, 61 * 640)
