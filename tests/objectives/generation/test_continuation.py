"""Continuation of audio prompts: the prompt's codes start the sequence, the seam is measured, bad files refused."""

import numpy as np
import pytest
import soundfile
import torch

from objectives import DecodingParams
from objectives.generation import TransformersMusicGen
from objectives.generation._continuation import AudioPromptError, encode_prompt, read_audio_prompt
from objectives.scoring._continuity import seam_continuity

pytestmark = pytest.mark.usefixtures("one_thread")


def _tone(seconds, sr=32_000, freq=220.0):
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_the_generated_sequence_starts_with_the_prompts_codes(debug_musicgen, monkeypatch):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")
    prompt = _tone(1.0)[None]
    expected = encode_prompt(model.audio_encoder, prompt, 1, torch.device("cpu"))
    assert expected.shape == (4, 50)
    sequences = []
    decode = generator._decode
    monkeypatch.setattr(generator, "_decode", lambda *a, **k: sequences.append(decode(*a, **k)) or sequences[-1])
    out = generator.generate(["jazz", "rock"], [DecodingParams(), DecodingParams(temperature=0.7)], [1, 2],
                             duration=0.4, audio_prompts=[prompt, prompt])
    (full,) = sequences  # both rows share the prompt: one pass
    assert full.shape == (2, 4, 50 + 20)
    for row in full:
        np.testing.assert_array_equal(row[:, :50].numpy(), expected.numpy())  # delay pattern respected
    np.testing.assert_array_equal(out.codes, full[:, :, 50:].numpy())  # the clip is the continuation only
    assert out.audio.shape == (2, 20 * 640)
    assert [len(a) for a in out.prompt_audio] == [50 * 640, 50 * 640]


def test_a_prompt_that_leaves_no_room_in_the_window_is_refused(debug_musicgen):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug", max_duration=1.2)
    with pytest.raises(AudioPromptError, match=r"exceed the 1\.2 s window"):
        generator.generate(["jazz"], [DecodingParams()], [0], duration=0.4, audio_prompts=[_tone(1.0)[None]])


def test_short_and_unreadable_files_are_one_sentence(tmp_path):
    short = tmp_path / "short.wav"
    soundfile.write(short, _tone(0.1), 32_000)
    with pytest.raises(AudioPromptError, match=r"lasts 0.10 s but an audio prompt needs at least 1 s"):
        read_audio_prompt(short, 32_000)
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    with pytest.raises(AudioPromptError, match="cannot read audio file"):
        read_audio_prompt(broken, 32_000)
    good = tmp_path / "good.wav"
    soundfile.write(good, np.stack([_tone(1.5, sr=44_100), _tone(1.5, sr=44_100, freq=330.0)], axis=1), 44_100)
    wave = read_audio_prompt(good, 32_000)  # resampled to the codec's rate, channels kept
    assert wave.shape == (2, 48_000)


def test_seam_continuity_is_low_for_a_continuation_and_high_for_a_jump():
    rng = np.random.default_rng(0)
    sr = 32_000
    music = _tone(3.0) + 0.01 * rng.standard_normal(3 * sr).astype(np.float32)
    smooth = seam_continuity(music[:2 * sr], music[2 * sr:], sr)
    jump = seam_continuity(music[:2 * sr], 0.5 * rng.standard_normal(sr).astype(np.float32), sr)
    assert jump > 5 * smooth
    with pytest.raises(ValueError, match="at least 1 s"):
        seam_continuity(music[: sr // 2], music, sr)


def test_files_that_are_not_regular_are_refused_without_waiting(tmp_path):
    """A FIFO with no writer (opening it for reading blocks forever), a folder and a missing path: each one
    sentence. Run in a child process so a regression fails on its timeout instead of hanging the test run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    fifo = tmp_path / "melody.wav"
    os.mkfifo(fifo)
    code = ("import sys\nfrom objectives.generation._continuation import AudioPromptError, read_audio_prompt\n"
            "for path in sys.argv[1:]:\n"
            "    try:\n        read_audio_prompt(path, 32_000)\n    except AudioPromptError as exc:\n"
            "        print(exc)\n")
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code, str(fifo), str(tmp_path), str(tmp_path / "none.wav")],
                            cwd=root, capture_output=True, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout + result.stderr
    assert "not a regular file" in lines[0] and "not a regular file" in lines[1]
    assert "cannot read audio file" in lines[2] and "No such file" in lines[2]
