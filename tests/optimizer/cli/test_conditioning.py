"""Audio conditioning inputs on the command line: a bad file is one sentence and exit 2, nothing written."""

import numpy as np
import pytest
import soundfile

from optimizer.cli._optimize import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _tone(seconds, sr=32_000):
    return (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


@pytest.mark.parametrize(
    ("setup", "extra", "match"),
    [
        ("short", [], "lasts 0.10 s but an audio prompt needs at least 1 s"),
        ("broken", [], "cannot read audio file"),
        ("long", ["--duration", "5"], "at most 25 s fit before the continuation"),
        ("good", ["--duration", "29.5"], "--continuation needs --duration of at most 29 s"),
    ],
)
def test_bad_audio_prompts_are_one_sentence_and_exit_2(capsys, tmp_path, setup, extra, match):
    path = tmp_path / f"{setup}.wav"
    if setup == "broken":
        path.write_text("not audio")
    else:
        soundfile.write(path, _tone({"short": 0.1, "long": 26.0, "good": 2.0}[setup]), 32_000)
    before = {p.name for p in tmp_path.iterdir()}
    code = main(["--genre", "jazz", "--model", "debug", "--continuation", str(path), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert match in err and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert {p.name for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    ("seconds", "extra", "match"),
    [
        (0.1, [], "--melody: audio file"),
        (2.0, [], "--melody needs a MusicGen-Melody model but --model debug is text-only"),
        (2.0, ["--continuation", "m.wav"], "--melody and --continuation cannot be combined yet"),
    ],
)
def test_bad_melodies_are_one_sentence_and_exit_2(capsys, tmp_path, seconds, extra, match):
    soundfile.write(tmp_path / "m.wav", _tone(seconds), 32_000)
    before = {p.name for p in tmp_path.iterdir()}
    code = main(["--genre", "jazz", "--model", "debug", "--melody", "m.wav", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert match in err and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert {p.name for p in tmp_path.iterdir()} == before
