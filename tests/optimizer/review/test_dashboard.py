"""What a reviewer gets in optuna-dashboard: playable clips, a spectrogram sheet and a note per trial, served by
`optimize --dashboard` (a real optuna-dashboard server on loopback)."""

import re
import shutil
import subprocess
import sys

import httpx
import optuna
import pytest

from objectives import Evaluator
from objectives.generation import TransformersMusicGen
from objectives.scoring import ClapScorer
from optimizer import SearchSpace, _keys, run_trials
from optimizer.search._artifacts import open_artifact_store
from tests.servers import free_port, wait_until_serving


@pytest.fixture(scope="module")
def study_with_artifacts(tmp_path_factory, debug_musicgen):
    from objectives._debug import build_debug_clap

    folder = tmp_path_factory.mktemp("dashboard")
    model, processor = debug_musicgen
    evaluator = Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                          clap=ClapScorer(*build_debug_clap(), name="debug"),
                          prompts=["smooth jazz trio, 92 BPM", "lo-fi beat, 80 BPM"], replicates=2, duration=0.5)
    storage = f"sqlite:///{folder / 'optuna.db'}"
    study = optuna.create_study(storage=storage, study_name="jazz/debug", directions=list(_keys.DIRECTIONS))
    run_trials(study, evaluator=evaluator, space=SearchSpace(), n_trials=2, batch_trials=2,
               artifact_store=open_artifact_store(folder / "artifacts"))
    return folder, storage


def test_dashboard_serves_each_trials_clips_sheet_and_note(study_with_artifacts):
    folder, storage = study_with_artifacts
    port = free_port()
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    server = subprocess.Popen([*command, "--dashboard", "--storage", storage, "--port", str(port)], cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/studies", server)
        study_id = httpx.get(f"{base}/api/studies").json()["study_summaries"][0]["study_id"]
        trials = httpx.get(f"{base}/api/studies/{study_id}", params={"after": 0}).json()["trials"]
        assert len(trials) == 2
        for trial in trials:
            kinds = sorted(a["mimetype"] for a in trial["artifacts"])
            assert kinds == ["audio/flac"] * 4 + ["image/png"]
            note = trial["note"]["body"]
            assert f"## Trial {trial['number']}" in note and "| smooth jazz trio, 92 BPM |" in note
            sheet = re.search(r"!\[spectrograms\]\((/artifacts/[^)]+)\)", note).group(1)
            png = httpx.get(base + sheet)
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and len(png.content) > 5000
            clip = next(a for a in trial["artifacts"] if a["mimetype"] == "audio/flac")
            wav = httpx.get(f"{base}/artifacts/{study_id}/{trial['trial_id']}/{clip['artifact_id']}")
            assert wav.status_code == 200 and wav.content[:4] == b"fLaC"
            assert wav.headers["content-type"].startswith("audio/flac")
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = server.stdout.read() if server.stdout else ""
    assert f"http://127.0.0.1:{port}/" in out


def test_dashboard_without_a_study_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from optimizer.cli._optimize import main

    monkeypatch.chdir(tmp_path)
    assert main(["--dashboard", "--storage", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "run the search first" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_host_that_cannot_be_bound_is_refused_before_listening_or_any_folder(tmp_path):
    import os
    import socket

    optuna.create_study(storage=f"sqlite:///{tmp_path / 'optuna.db'}", study_name="jazz/debug",
                        directions=list(_keys.DIRECTIONS))
    before = sorted(p.name for p in tmp_path.iterdir())
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    failures = []
    with taken:
        for host, port, fix in [("999.1.1.1", 8080, "--host"), ("no-such-host.invalid", 8080, "--host"),
                                ("::zz", 8080, "--host"), ("127.0.0.1", taken.getsockname()[1], "--port")]:
            result = subprocess.run([*command, "--dashboard", "--storage", "sqlite:///optuna.db", "--host", host,
                                     "--port", str(port)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                    env={**os.environ, "HF_HUB_OFFLINE": "1"})
            err = result.stderr.strip()
            if not (result.returncode == 2 and len(err.splitlines()) == 1 and f"pass another {fix}" in err
                    and "Listening" not in result.stdout + err and "http://" not in result.stdout + err
                    and sorted(p.name for p in tmp_path.iterdir()) == before):
                failures.append(f"{host}:{port}: exit {result.returncode}: {result.stdout[-300:]} {err[-300:]}")
    assert failures == [], "\n".join(failures)
