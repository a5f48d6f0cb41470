"""The real ``optimize`` CLI on tiny random models saved to directories, as a user with local copies runs it."""

import json
import math
import os
import shutil
import subprocess
import sys

import optuna
import pytest

from optimizer import _keys, validate_presets

pytestmark = pytest.mark.slow


def _optimize(args, cwd):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_optimize_resume_and_export_with_local_model_directories(tmp_path, musicgen_dir, clap_dir):
    common = ["--genre", "jazz", "--model", str(musicgen_dir), "--clap", str(clap_dir), "--prompts", "2",
              "--replicates", "2", "--duration", "1.0", "--seed", "0", "--validate-seeds", "1", "--save-audio", "clips"]
    first = _optimize([*common, "--trials", "6"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Creating study" in first.stderr and "Traceback" not in first.stderr

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    name = f"jazz/{musicgen_dir.name}"
    study = optuna.load_study(study_name=name, storage=storage)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 6
    # The first two trials are the references, enqueued.
    assert complete[0].user_attrs[_keys.BASELINE] == "musicgen_default"
    assert complete[0].user_attrs[_keys.PARAMS]["top_k"] == 250
    assert complete[1].user_attrs[_keys.BASELINE] == "genre_baseline"
    assert complete[1].user_attrs[_keys.PARAMS]["temperature"] == 1.2
    for trial in complete:
        scores = trial.user_attrs[_keys.SCORES]
        assert scores["clap"]["n"] == 4 and scores["clap"]["stderr"] >= 0
        assert trial.values == [scores["clap"]["mean"], scores["repetition"]["mean"]]
        assert len(trial.user_attrs[_keys.PER_PROMPT]) == 2
        assert set(trial.constraints) == {"silence", "noise", "clipping"}
    assert len(list((tmp_path / "clips").glob("jazz-*/trial_0000_*.wav"))) == 4  # the study's own clip folder

    first_doc = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(first_doc)

    again = _optimize([*common, "--trials", "8"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Resuming study" in again.stderr and "6 of 8" in again.stderr
    study = optuna.load_study(study_name=name, storage=storage)
    assert len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 8
    assert not study.get_trials(states=(optuna.trial.TrialState.RUNNING,))

    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert document["provenance"]["n_trials_complete"] == 8
    assert {"balanced", "max_clap", "min_repetition"} <= set(document["presets"])
    assert {"musicgen_default", "genre_baseline"} == set(document["baselines"])
    feasible = {t.number for t in study.trials if t.state.name == "COMPLETE"
                and all(v <= 0 for v in t.constraints.values())}
    assert {p["trial"] for p in document["presets"].values()} <= feasible
    assert "optuna-dashboard sqlite:///optuna.db" in again.stderr
    # Presets were chosen among the search front on held-out prompts, every candidate reported.
    held_out = document["validation"]
    assert held_out["source"] == "heldout" and held_out["seeds_per_prompt"] == 1 and len(held_out["prompts"]) == 6
    front = {t.number for t in study.best_trials} & feasible
    assert {c["trial"] for c in held_out["candidates"]} == front
    for entry in document["presets"].values():
        assert entry["validation"]["clap"]["n"] == 6
        # Every objective measured in both the search and on held-out prompts has an optimism (the formula is
        # checked on known numbers in tests/optimizer/export/test_presets.py).
        assert set(entry["optimism"]) == {"clap", "repetition", "diversity"}
        assert all(math.isfinite(v) for v in entry["optimism"].values())
    assert study.user_attrs[_keys.VALIDATION]["trials"]

    (tmp_path / "presets" / "jazz.json").unlink()
    exported = _optimize([*common, "--trials", "8", "--export-only"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "Re-validating" not in exported.stderr  # cached in the study: nothing is generated again
    validate_presets(json.loads((tmp_path / "presets" / "jazz.json").read_text()))

    changed = _optimize([*common[:-4], "--duration", "2.0", "--trials", "9"], tmp_path)
    assert changed.returncode == 2 and "different duration" in changed.stderr


def test_debug_model_runs_without_any_download(tmp_path):
    result = _optimize(["--genre", "ambient", "--model", "debug", "--trials", "3", "--prompts", "1",
                        "--replicates", "1", "--duration", "1.0"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "audio is noise" in result.stderr
    validate_presets(json.loads((tmp_path / "presets" / "ambient.json").read_text()))


def test_reference_audio_adds_a_fad_objective_tied_to_that_audio(tmp_path):
    import numpy as np
    import soundfile

    reference = tmp_path / "my jazz"
    reference.mkdir()
    t = np.arange(3 * 32000) / 32000
    for i in range(2):
        soundfile.write(reference / f"take{i}.wav", 0.3 * np.sin(2 * np.pi * (196 + 30 * i) * t), 32000)
    common = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "2", "--duration", "0.5",
              "--validate-seeds", "1", "--no-artifacts"]
    env_cache = {"MGOPT_CACHE_DIR": str(tmp_path / "cache")}
    os.environ.update(env_cache)
    try:
        result = _optimize([*common, "--trials", "3", "--reference", str(reference)], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "12 excerpt(s) from 2 file(s)" in result.stderr  # 3 s files in 0.5 s excerpts
        study = optuna.load_study(study_name="jazz/debug", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
        assert study.metric_names == ["clap", "repetition", "fad"]
        for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
            assert trial.values[2] == trial.user_attrs[_keys.SCORES]["fad"] >= 0
        document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
        validate_presets(document)
        assert "min_fad" in document["presets"] and document["objectives"][2]["direction"] == "minimize"
        assert "fad" in document["presets"]["min_fad"]["validation"]
        assert len(list((tmp_path / "cache").glob("reference-*.npz"))) == 1

        (reference / "take0.wav").unlink()  # other audio: FAD values would not be comparable
        changed = _optimize([*common, "--trials", "4", "--reference", str(reference)], tmp_path)
        assert changed.returncode == 2 and "different reference" in changed.stderr
        missing = _optimize([*common, "--trials", "4", "--reference", str(tmp_path / "nowhere")], tmp_path)
        assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
        assert "does not exist" in missing.stderr
    finally:
        for key in env_cache:
            os.environ.pop(key, None)
