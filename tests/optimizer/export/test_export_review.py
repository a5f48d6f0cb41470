"""What a new user gets after a real ``optimize`` run and export: a dashboard command that serves the run's
clips, and presets marked in the study."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import optuna
import pytest

from tests.servers import free_port, wait_until_serving

pytestmark = pytest.mark.slow

# The storage sits in a subfolder so the artifact folder is not ./artifacts: the printed command must name it.
_STORAGE = "sqlite:///runs/optuna.db"
_RUN = ["--genre", "jazz", "--model", "debug", "--trials", "4", "--prompts", "2", "--replicates", "2",
        "--duration", "0.5", "--seed", "0", "--validate-seeds", "0", "--objective", "diversity",
        "--storage", _STORAGE]


def _optimize(args, cwd):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "80"}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first-hour")
    (folder / "runs").mkdir()
    result = _optimize(_RUN, folder)
    assert result.returncode == 0, result.stderr
    return folder, result


def _study(folder: Path) -> optuna.Study:
    return optuna.load_study(study_name="jazz/debug", storage=f"sqlite:///{folder / 'runs' / 'optuna.db'}")


@pytest.fixture(scope="module")
def dashboard(exported):
    """The dashboard command the run printed, run as is (plus a free port), and its base URL."""
    folder, result = exported
    line = next(x for x in result.stderr.splitlines() if x.startswith("Review the study: "))
    argv = shlex.split(line.removeprefix("Review the study: "))
    assert argv[0] == "optuna-dashboard"
    exe = shutil.which("optuna-dashboard") or str(Path(sys.executable).with_name("optuna-dashboard"))
    port = free_port()
    server = subprocess.Popen([exe, *argv[1:], "--port", str(port), "--quiet"], cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/studies", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _listed(base, study):
    return httpx.get(f"{base}/api/studies/{study._study_id}", params={"after": 0}, timeout=30).json()


def test_printed_dashboard_command_serves_the_runs_clips(exported, dashboard):
    folder, _ = exported
    study = _study(folder)
    trial = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))[-1]
    artifacts = next(t for t in _listed(dashboard, study)["trials"] if t["number"] == trial.number)["artifacts"]
    clip = next(a for a in artifacts if a["mimetype"] == "audio/flac")
    flac = httpx.get(f"{dashboard}/artifacts/{study._study_id}/{trial._trial_id}/{clip['artifact_id']}", timeout=30)
    assert flac.status_code == 200 and flac.content[:4] == b"fLaC"


def test_the_dashboard_shows_which_trial_is_which_preset(exported, dashboard):
    folder, _ = exported
    presets = json.loads((folder / "presets" / "jazz.json").read_text())["presets"]
    study = _study(folder)
    assert study.user_attrs["mgopt:presets:v1"]["presets"] == {name: e["trial"] for name, e in presets.items()}
    listed = _listed(dashboard, study)
    study_note = listed["note"]["body"]
    for name, entry in presets.items():
        assert f"| {name} | {entry['trial']} |" in study_note
    named = {}
    for name, entry in presets.items():
        named.setdefault(entry["trial"], []).append(name)
    for trial in listed["trials"]:
        note = trial["note"]["body"]
        if trial["number"] in named:
            first = note.split("\n")[0]
            assert first.startswith("> **Exported preset:") and all(n in first for n in named[trial["number"]])
            assert f"## Trial {trial['number']}" in note  # the clips note is kept below the mark
        else:
            assert "Exported preset" not in note


def test_help_names_the_default_artifact_folder():
    from optimizer.cli._optimize import DEFAULT_STORAGE, build_parser
    from optimizer.review._review_command import dashboard_command
    from optimizer.search._artifacts import default_artifact_dir

    expected = dashboard_command(DEFAULT_STORAGE, default_artifact_dir(DEFAULT_STORAGE))
    assert "--artifact-dir" in expected and expected in build_parser().format_help()


def test_dashboard_command_quotes_paths_for_the_shell():
    from optimizer.review._review_command import dashboard_command

    command = dashboard_command("my runs/j.log", Path("my runs/artifacts"), host="::1", port=9000)
    assert shlex.split(command) == ["optuna-dashboard", "my runs/j.log", "--artifact-dir", "my runs/artifacts",
                                    "--host", "::1", "--port", "9000"]


def test_diversity_is_a_score_with_its_spread_over_prompts(exported):
    from optimizer import load_presets

    folder, _ = exported
    path = folder / "presets" / "jazz.json"
    document = json.loads(path.read_text())
    assert document["schema_version"] == 2
    loaded = load_presets(path)
    for name, entry in [*document["presets"].items(), *document["baselines"].items()]:
        diversity = entry["scores"]["diversity"]
        assert diversity["n"] == 2 and diversity["stderr"] >= 0  # one value per prompt, not per clip
        assert loaded[name].scores["diversity"].mean == diversity["mean"]
    study = _study(folder)
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        assert trial.values[2] == trial.user_attrs["mgopt:scores:v1"]["diversity"]["mean"]
