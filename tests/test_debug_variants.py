"""Every MusicGen variant runs offline: ``--model debug``, ``debug-stereo`` and ``debug-melody`` (tiny random
models) through ``optimize`` and ``generate``, real processes and real files."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from objectives import DEBUG_MODELS, load_generator
from objectives.generation._melody import MelodyMusicGen

ROOT = Path(__file__).resolve().parents[1]
_SEARCH = ["--genre", "jazz", "--trials", "3", "--prompts", "1", "--replicates", "1", "--duration", "0.2",
           "--validate-seeds", "0", "--no-artifacts"]


def _run(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which(name)
    command = [exe] if exe else [sys.executable, "-c", f"import sys, optimizer.cli._entry as e; "
                                                       f"sys.exit(e.{name}())"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _melody_file(path: Path) -> Path:
    t = np.arange(64_000) / 32_000
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32), 32_000)
    return path


def test_each_debug_name_loads_its_variant():
    assert set(DEBUG_MODELS) == {"debug", "debug-stereo", "debug-melody"}
    expected = {"mono": (1, False), "stereo": (2, False), "melody": (1, True)}
    for name, variant in DEBUG_MODELS.items():
        generator = load_generator(name, device=torch.device("cpu"))
        assert generator.name == name
        assert (generator.audio_channels, isinstance(generator, MelodyMusicGen)) == expected[variant], name


@pytest.mark.parametrize("model", ["debug", "debug-stereo"])
def test_a_melody_for_a_text_only_debug_model_is_refused_before_anything(tmp_path, model):
    melody = _melody_file(tmp_path / "m.wav")
    result = _run("optimize", [*_SEARCH, "--model", model, "--melody", str(melody)], tmp_path)
    assert result.returncode == 2 and "--model debug-melody" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.wav"]


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(DEBUG_MODELS))
def test_optimize_then_generate_each_variant_offline(tmp_path, model):
    melody = ["--melody", str(_melody_file(tmp_path / "m.wav"))] if DEBUG_MODELS[model] == "melody" else []
    run = _run("optimize", [*_SEARCH, "--model", model, *melody], tmp_path)
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    assert document["provenance"]["model"] == model and document["provenance"]["study"] == f"jazz/{model}"
    channels = 2 if DEBUG_MODELS[model] == "stereo" else 1
    assert document["provenance"].get("audio_channels", 1) == channels
    if melody:
        assert "max_melody" in document["presets"]

    clip = _run("generate", ["--preset", "presets/jazz.json", "--duration", "0.5", "-o", "clip.wav", *melody,
                             "jazz trio"], tmp_path)
    assert clip.returncode == 0, clip.stderr
    info = soundfile.info(tmp_path / "clip.wav")
    assert info.channels == channels and info.samplerate == 32_000 and info.frames == 16_000
    assert json.loads((tmp_path / "clip.json").read_text())["model"] == model
