"""``optimize`` end to end on the MusicGen variants (issue 12), with tiny random models saved to directories."""

import json
import os
import shutil
import subprocess
import sys

import optuna
import pytest

from optimizer import _keys, validate_presets

pytestmark = pytest.mark.slow


def _optimize(args, cwd, timeout=900):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def stereo_dir(tmp_path_factory):
    from objectives._debug import build_random_musicgen

    path = tmp_path_factory.mktemp("musicgen-stereo-tiny")
    model, processor = build_random_musicgen("debug", audio_channels=2)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def test_optimize_a_stereo_model_to_presets_that_record_two_channels(tmp_path, stereo_dir, clap_dir):
    run = _optimize(["--genre", "jazz", "--trials", "6", "--model", str(stereo_dir), "--clap", str(clap_dir),
                     "--prompts", "2", "--replicates", "2", "--duration", "1.0", "--seed", "0",
                     "--validate-seeds", "1"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert document["provenance"]["audio_channels"] == 2
    study = optuna.load_study(study_name=f"jazz/{stereo_dir.name}", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 6
    for trial in complete:
        image = trial.user_attrs[_keys.SCORES]["stereo_image"]
        assert image["n"] == 4 and 0.0 <= image["mean"] <= 100.0


def test_optimize_a_40_second_clip_in_windows_exports_extend_stride(tmp_path, musicgen_dir, clap_dir):
    run = _optimize(["--genre", "jazz", "--trials", "6", "--model", str(musicgen_dir), "--clap", str(clap_dir),
                     "--prompts", "1", "--replicates", "1", "--duration", "40", "--seed", "0",
                     "--validate-seeds", "0", "--no-artifacts", "--batch-trials", "1"], tmp_path, timeout=2400)
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert document["provenance"]["duration_s"] == 40
    for entry in document["presets"].values():
        assert entry["audiocraft"]["extend_stride"] == 18.0


def test_optimize_a_continuation_of_audio_prompts_records_the_seam(tmp_path, musicgen_dir, clap_dir):
    import numpy as np
    import soundfile

    t = np.arange(64_000) / 32_000
    for i, freq in enumerate((220.0, 330.0)):
        soundfile.write(tmp_path / f"prompt{i}.wav", (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 32_000)
    run = _optimize(["--genre", "jazz", "--trials", "6", "--model", str(musicgen_dir), "--clap", str(clap_dir),
                     "--prompts", "2", "--replicates", "2", "--duration", "1.0", "--seed", "0",
                     "--validate-seeds", "1", "--no-artifacts", "--continuation", "prompt0.wav",
                     "--continuation", "prompt1.wav"], tmp_path)
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    continued = document["provenance"]["conditioning"]["continuation"]
    assert [c.split(" ")[0] for c in continued] == ["prompt0.wav", "prompt1.wav"]
    study = optuna.load_study(study_name=f"jazz/{musicgen_dir.name}", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        seam = trial.user_attrs[_keys.SCORES]["continuity"]
        assert seam["n"] == 4 and 0.0 <= seam["mean"] <= 100.0


def test_optimize_a_melody_model_and_generate_refuses_its_preset_without_a_melody(tmp_path, clap_dir):
    import numpy as np
    import soundfile

    from objectives._debug_melody import build_random_musicgen_melody

    model_dir = tmp_path / "musicgen-melody-tiny"
    model, tokenizer = build_random_musicgen_melody()
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    t = np.arange(64_000) / 32_000
    soundfile.write(tmp_path / "tune.wav", (0.3 * np.sin(2 * np.pi * 330.0 * t)).astype(np.float32), 32_000)
    run = _optimize(["--genre", "jazz", "--trials", "6", "--model", str(model_dir), "--clap", str(clap_dir),
                     "--prompts", "2", "--replicates", "2", "--duration", "1.0", "--seed", "0",
                     "--validate-seeds", "1", "--no-artifacts", "--melody", "tune.wav"], tmp_path)
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert document["provenance"]["conditioning"]["melody"][0].startswith("tune.wav sha256:")
    study = optuna.load_study(study_name=f"jazz/{model_dir.name}", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        adherence = trial.user_attrs[_keys.SCORES]["melody"]
        assert adherence["n"] == 4 and 0.0 <= adherence["mean"] <= 1.0

    exe = shutil.which("generate")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._generate"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    preset = str(tmp_path / "presets" / "jazz.json")
    refused = subprocess.run([*command, "jazz trio", "--preset", preset, "--duration", "0.5", "-o", "a.wav"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert refused.returncode == 2 and "pass --melody FILE" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not (tmp_path / "a.wav").exists()
    made = subprocess.run([*command, "jazz trio", "--preset", preset, "--duration", "0.5", "-o", "a.wav",
                           "--melody", "tune.wav"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "a.wav").exists()


def test_save_audio_writes_every_clip_with_the_models_channels_as_generate_does(tmp_path, musicgen_dir, stereo_dir,
                                                                                clap_dir):
    import soundfile

    for model, channels in ((musicgen_dir, 1), (stereo_dir, 2)):
        cwd = tmp_path / f"run{channels}"
        cwd.mkdir()
        run = _optimize(["--genre", "jazz", "--trials", "1", "--model", str(model), "--clap", str(clap_dir),
                         "--prompts", "2", "--replicates", "1", "--duration", "0.5", "--seed", "0",
                         "--validate-seeds", "0", "--no-artifacts", "--save-audio", "clips"], cwd)
        assert run.returncode == 0, run.stderr[-3000:]
        folders = list((cwd / "clips").iterdir())  # one folder per study, named after it
        clips = sorted(folders[0].glob("*.wav"))
        assert len(folders) == 1 and len(clips) == 2
        for clip in clips:
            wave, rate = soundfile.read(clip, dtype="float32", always_2d=True)
            assert rate == 32_000 and wave.shape == (16_000, channels), (clip.name, wave.shape)
        generated = cwd / "generated.wav"
        made = subprocess.run([shutil.which("generate") or sys.executable, *([] if shutil.which("generate") else
                               ["-m", "optimizer.cli._generate"]), "--preset", "presets/jazz.json", "a tune",
                               "--model", str(model), "--duration", "0.5", "-o", str(generated)],
                              cwd=cwd, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert made.returncode == 0, made.stderr[-3000:]
        assert soundfile.info(generated).channels == channels
