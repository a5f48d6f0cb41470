"""``generate(GenerateOptions(...))``: one clip from a preset without argparse; the refusals of the ``generate``
command, as UsageError before anything is written (issue 19)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from objectives import DecodingParams, ModelLoadError
from optimizer import build_presets, write_presets
from optimizer._errors import UsageError
from optimizer.run import GeneratedClip, GenerateOptions, generate
from tests.optimizer.synthetic import make_study


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _preset(folder, **spec):
    study = make_study([(0.4, 0.1, {"params": DecodingParams(temperature=0.9, top_k=0, top_p=0.9, cfg_coef=2.0)})],
                       **spec)
    return write_presets(build_presets(study, genre="jazz"), folder / "presets" / "jazz.json")


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_the_clip_and_its_sidecar_and_says_the_model_is_a_debug_one(tmp_path, one_thread):
    preset = _preset(tmp_path)
    said: list[str] = []
    options = GenerateOptions(prompt="smooth jazz trio", preset=f"{preset}:balanced", duration=0.5,
                              output=tmp_path / "clip.wav", seed=3, device="cpu")
    clip = generate(options, say=said.append)
    assert clip == GeneratedClip(wav=tmp_path / "clip.wav", sidecar=tmp_path / "clip.json", model="debug",
                                 debug_model=True, notes=tuple(said))
    assert said == ["the debug model is random weights; the clip is noise."]
    audio, rate = soundfile.read(clip.wav, dtype="float32")
    assert rate == 32_000 and len(audio) == 16_000 and np.abs(audio).max() > 0
    sidecar = json.loads(clip.sidecar.read_text())
    assert sidecar["seed"] == 3 and sidecar["model"] == "debug" and sidecar["prompt"] == "smooth jazz trio"
    assert sidecar["preset"]["name"] == "balanced" and "conditioning" not in sidecar
    assert json.loads(soundfile.SoundFile(clip.wav).comment) == sidecar
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.seed = 4  # type: ignore[misc]


def test_a_genre_name_reads_its_file_in_presets_and_notes_come_back_without_say(tmp_path, one_thread):
    _preset(tmp_path, continuation=("intro.wav sha256:0123456789ab",))
    clip = generate(GenerateOptions(prompt="x", preset="jazz", duration=0.2, output=tmp_path / "a.wav",
                                    device="cpu"))
    assert clip.wav.is_file() and clip.sidecar.is_file()
    assert "found continuing audio prompts (intro.wav)" in clip.notes[0] and "random weights" in clip.notes[1]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"prompt": " "}, "the prompt must have 1 to 2000 characters."),
        ({"prompt": "x" * 2001}, "the prompt must have 1 to 2000 characters."),
        ({"duration": 0.0}, r"--duration must be in \(0, 300\] seconds but got 0."),
        ({"duration": 301.0}, r"--duration must be in \(0, 300\]"),
        ({"output": Path("out.mp3")}, "-o must name a .wav file"),
        ({"output": Path("no/such/out.wav")}, "folder 'no/such' does not exist"),
        ({"preset": "missing.json"}, "no such preset file"),
        ({"preset": "presets/jazz.json:loud"}, "no preset named 'loud'"),
        ({"preset": "rock"}, "no such preset file"),
        ({"continuation": (Path("a.wav"), Path("b.wav"))}, "takes one --continuation but got 2"),
        ({"melody": (Path("a.wav"), Path("b.wav"))}, "takes one --melody but got 2"),
        ({"melody": (Path("intro.wav"),)}, "--melody needs a MusicGen-Melody model"),
        ({"backend": "audiocraft"}, "--backend audiocraft cannot run --model debug"),
    ],
)
def test_bad_input_is_a_usage_error_and_nothing_is_written(tmp_path, change, match):
    _preset(tmp_path)
    soundfile.write(tmp_path / "intro.wav", 0.3 * np.sin(np.arange(32_000) / 20), 32_000)
    options = GenerateOptions(prompt="x", preset="presets/jazz.json", duration=0.5, output=Path("out.wav"),
                              model="debug", device="cpu")
    before = _files(tmp_path)
    with pytest.raises(UsageError, match=match):
        generate(dataclasses.replace(options, **change))
    assert _files(tmp_path) == before


def test_an_existing_output_is_kept_without_overwrite_and_replaced_with_it(tmp_path, one_thread):
    preset = _preset(tmp_path)
    out = tmp_path / "clip.wav"
    out.write_bytes(b"mine")
    options = GenerateOptions(prompt="x", preset=str(preset), duration=0.5, output=out, device="cpu")
    with pytest.raises(UsageError, match="already exists; pass --overwrite to replace it"):
        generate(options)
    assert out.read_bytes() == b"mine" and not out.with_suffix(".json").exists()
    clip = generate(dataclasses.replace(options, overwrite=True))
    assert soundfile.info(clip.wav).frames == 16_000 and json.loads(clip.sidecar.read_text())["prompt"] == "x"


def test_the_preset_file_is_never_an_output_even_with_overwrite(tmp_path):
    preset = _preset(tmp_path)
    before = preset.read_bytes()
    with pytest.raises(UsageError, match="would overwrite the preset file being read"):
        generate(GenerateOptions(prompt="x", preset=str(preset), output=preset.with_suffix(".wav"), overwrite=True,
                                 model="debug", device="cpu"))
    assert preset.read_bytes() == before and sorted(p.name for p in preset.parent.iterdir()) == ["jazz.json"]


def test_a_model_that_cannot_load_is_its_own_error_for_the_caller_to_word(tmp_path):
    preset = _preset(tmp_path)
    with pytest.raises(ModelLoadError):
        generate(GenerateOptions(prompt="x", preset=str(preset), output=tmp_path / "out.wav",
                                 model=str(tmp_path / "no-such-model-dir"), device="cpu"))
    assert not list(tmp_path.glob("out.*"))
