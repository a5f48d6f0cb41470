"""A study and a preset file record what ran, nothing else (issue 23, family 4): the backend is the loaded
model's own (a backend that cannot run the model is refused before anything is written), and the conditioning
files listed are the ones used. Real console scripts in subprocesses, real files."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import optuna
import pytest
import soundfile

from objectives._loading import BACKENDS
from optimizer import _keys, build_presets, write_presets
from tests.optimizer.synthetic import make_study

_MODULES = {"optimize": "optimizer.cli._optimize", "generate": "optimizer.cli._generate"}


def _run(script, args, cwd):
    exe = shutil.which(script)
    command = [exe] if exe else [sys.executable, "-m", _MODULES[script]]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _tree(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1) for p in root.rglob("*"))


def _tone(path, seconds=2.0, freq=220.0, sr=32_000):
    t = np.arange(int(seconds * sr)) / sr
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr)


# every command that loads a MusicGen: each optimize mode (all go through one setup) and generate
COMMANDS = {
    "optimize search": ("optimize", ["--genre", "jazz", "--trials", "1"]),
    "optimize --export-only": ("optimize", ["--genre", "jazz", "--export-only"]),
    "optimize --human": ("optimize", ["--genre", "jazz", "--human", "--trials", "1"]),
    "optimize --pairwise": ("optimize", ["--genre", "jazz", "--pairwise", "--trials", "1"]),
    "generate": ("generate", ["--preset", "presets/jazz.json", "a tune", "-o", "out.wav"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_a_backend_that_cannot_run_the_debug_model_is_refused_before_anything_is_written(tmp_path, command):
    write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "presets" / "jazz.json")
    script, args = COMMANDS[command]
    before = _tree(tmp_path)
    for backend in BACKENDS:
        if backend == "transformers":
            continue  # the backend the debug model is: runs (test_the_study_and_presets_record_what_ran)
        run = _run(script, [*args, "--model", "debug", "--backend", backend], tmp_path)
        err = run.stderr.strip()
        assert run.returncode == 2, (command, backend, err[-2000:])
        assert f"--backend {backend} cannot run --model debug" in err, err[-2000:]
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert _tree(tmp_path) == before


@pytest.mark.parametrize("flag", ["continuation", "melody"])
def test_more_conditioning_files_than_prompts_are_refused_before_anything_is_written(tmp_path, flag):
    for i in range(3):
        _tone(tmp_path / f"a{i}.wav", freq=220.0 * (i + 1))
    before = _tree(tmp_path)
    files = [arg for i in range(3) for arg in (f"--{flag}", f"a{i}.wav")]
    model = ["--model", "debug"] if flag == "continuation" else ["--model", "facebook/musicgen-melody"]
    run = _run("optimize", ["--genre", "jazz", "--trials", "1", "--prompts", "2", *model, *files], tmp_path)
    err = run.stderr.strip()
    assert run.returncode == 2, err[-2000:]
    assert f"--{flag} gives 3 files but the search runs 2 prompt(s)" in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert _tree(tmp_path) == before


@pytest.mark.slow
def test_the_study_and_presets_record_what_ran(tmp_path):
    """Every field of the provenance against the run: model, the backend the loaded model reports, CLAP, clip
    length, channels, replicates, prompts, and exactly the continuation files the prompts continued."""
    import torch

    from objectives._loading import load_generator

    for i in range(2):
        _tone(tmp_path / f"p{i}.wav", freq=220.0 * (i + 1))
    run = _run("optimize", ["--genre", "jazz", "--trials", "2", "--model", "debug", "--backend", "transformers",
                            "--prompts", "2", "--replicates", "1", "--duration", "1.0", "--seed", "0",
                            "--validate-seeds", "0", "--no-artifacts", "--continuation", "p0.wav",
                            "--continuation", "p1.wav"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    provenance = json.loads((tmp_path / "presets" / "jazz.json").read_text())["provenance"]
    study = optuna.load_study(study_name="jazz/debug", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    spec = study.user_attrs[_keys.STUDY_SPEC]
    ran = load_generator("debug", backend="transformers", device=torch.device("cpu"))
    from optimizer.search._genre import load_genre

    expected = {"model": "debug", "backend": ran.backend, "clap": "debug", "duration_s": 1.0,
                "audio_channels": ran.audio_channels, "replicates": 1,
                "prompts": list(load_genre("jazz").prompts[:2])}
    assert {k: provenance[k] for k in expected} == expected
    assert [c.split(" ")[0] for c in provenance["conditioning"]["continuation"]] == ["p0.wav", "p1.wav"]
    assert spec["backend"] == ran.backend == "transformers" and spec["continuation"] == \
        provenance["conditioning"]["continuation"]
