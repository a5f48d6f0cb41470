"""The application layer runs a study from typed options, without argparse (issue 19)."""

import dataclasses
import json
import subprocess
import sys

import optuna
import pytest

from optimizer import _keys
from optimizer.run import Conditioning, RunOptions, melody_model, optimize, preset_path


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_options_are_frozen_and_documented():
    options = RunOptions(genre="jazz")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.trials = 3  # type: ignore[misc]
    assert options.melody == () and options.given == frozenset()


def test_the_run_layer_imports_no_command_line_and_stays_cheap():
    code = ("import sys; from optimizer.run import RunOptions, optimize, prepare; "
            "bad = [m for m in sys.modules if m.startswith('optimizer.cli') or m == 'torch']; assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_melody_model_is_decided_by_name_before_loading_and_unknown_for_a_hub_id():
    assert melody_model("debug-melody") is True
    assert melody_model("debug") is False
    assert melody_model("facebook/musicgen-melody") is None  # the loaded generator tells
    assert Conditioning().evaluator_kwargs() == {}


def test_a_bad_option_is_a_usage_error_before_anything_is_written(tmp_path):
    from optimizer._errors import UsageError

    with pytest.raises(UsageError, match="--trials must be between 1"):
        optimize(RunOptions(genre="jazz", trials=0, model="debug"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_optimize_runs_a_study_from_options_and_writes_its_presets(tmp_path):
    options = RunOptions(genre="jazz", trials=2, model="debug", prompts=1, replicates=1, duration=0.5, seed=0,
                         validate_seeds=0, no_artifacts=True, storage=f"sqlite:///{tmp_path / 'optuna.db'}",
                         presets_dir=tmp_path / "presets", device="cpu")
    assert optimize(options) == 0
    study = optuna.load_study(study_name="jazz/debug", storage=options.storage)
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(finished) == 2
    spec = study.user_attrs[_keys.STUDY_SPEC]
    assert spec["model"] == "debug" and spec["duration"] == 0.5 and spec["replicates"] == 1
    path = preset_path(options, "jazz", "jazz/debug")
    assert path == tmp_path / "presets" / "jazz.json"
    document = json.loads(path.read_text())
    assert document["provenance"]["study"] == "jazz/debug" and document["presets"]
