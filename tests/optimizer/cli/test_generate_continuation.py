"""``generate --continuation``: the clip continues the audio prompt exactly as the optimizer's trials do, and a
preset tuned on continuations says so when it is used without one."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from objectives import DecodingParams
from objectives.generation import TransformersMusicGen, read_audio_prompt
from optimizer import build_presets, write_presets
from optimizer.cli._generate import main
from tests.optimizer.synthetic import make_study


def _preset(tmp_path, **spec):
    study = make_study([(0.4, 0.1, {"params": DecodingParams(temperature=0.8, top_k=50, cfg_coef=2.0)})], **spec)
    return write_presets(build_presets(study, genre="jazz"), tmp_path / "presets" / "jazz.json")


@pytest.fixture
def intro(tmp_path):
    t = np.arange(32_000 * 2) / 32_000
    path = tmp_path / "intro.wav"
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), 32_000)
    return path


def test_continues_the_prompt_as_a_trial_does_and_records_it(tmp_path, intro, debug_musicgen, one_thread, capsys):
    preset = _preset(tmp_path, continuation=("intro.wav sha256:0123456789ab",))
    out = tmp_path / "out.wav"
    assert main(["--preset", str(preset), "going on", "--continuation", str(intro), "--duration", "0.5",
                 "-o", str(out), "--seed", "5", "--device", "cpu"]) == 0
    assert "note:" not in capsys.readouterr().err.replace("note: the debug model", "")
    audio, rate = soundfile.read(out, dtype="float32")
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["conditioning"]["continuation"][0].startswith("intro.wav sha256:")
    model, processor = debug_musicgen
    reference = TransformersMusicGen(model, processor, name="debug").generate(
        ["going on"], [DecodingParams.from_dict(sidecar["params"])], [5], duration=0.5,
        audio_prompts=[read_audio_prompt(intro, 32_000)])
    assert rate == 32_000 and len(audio) == reference.audio.shape[1]  # the continuation only
    expected = np.round(reference.audio[0].clip(-1, 1) * 32767) / 32767
    np.testing.assert_allclose(audio, expected, atol=2 / 32767)


def test_a_continuation_preset_without_one_gets_a_note(tmp_path, debug_musicgen, one_thread, capsys):
    preset = _preset(tmp_path, continuation=("intro.wav sha256:0123456789ab",))
    assert main(["--preset", str(preset), "x", "--duration", "0.2", "-o", str(tmp_path / "a.wav"),
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "found continuing audio prompts (intro.wav)" in err and "--continuation" in err
    assert main(["--preset", str(_preset(tmp_path / "text")), "x", "--duration", "0.2",
                 "-o", str(tmp_path / "b.wav"), "--device", "cpu"]) == 0
    assert "continuing" not in capsys.readouterr().err  # a text-only preset: no note


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--continuation", "{intro}", "--continuation", "{intro}"], "takes one --continuation"),
        (["--continuation", "{intro}", "--melody", "{intro}"], "cannot be combined"),
        (["--continuation", "{intro}", "--duration", "29.5"], "--duration of at most 29"),
        (["--continuation", "{intro}", "--duration", "28.5"], "fit before the continuation"),
        (["--continuation", "{tmp}/missing.wav"], "--continuation:"),
        (["--continuation", "{intro}", "--backend", "audiocraft", "--model", "facebook/musicgen-small"],
         "--backend transformers"),
    ],
)
def test_bad_continuations_exit_2_with_one_line_and_write_nothing(tmp_path, intro, capsys, extra, match):
    preset = _preset(tmp_path)
    argv = ["--preset", str(preset), "x", "-o", str(tmp_path / "c.wav"),
            *[a.format(intro=intro, tmp=tmp_path) for a in extra]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "c.wav").exists() and not (tmp_path / "c.json").exists()
