"""``optimize --human``: a listener's rating as the third objective, told by a real optuna-dashboard.

The end-to-end test runs the CLI as a subprocess with ``--dashboard`` (the dashboard served from the run's own
process) and rates through the dashboard's HTTP API exactly as its form does: the form reads the automatic
objectives from the trial's user attrs (``ObjectiveUserAttrRef``) in the browser and posts all three values to
``/api/trials/<id>/tell``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import httpx
import optuna
import pytest

from objectives import get_objective
from optimizer import _keys
from optimizer.cli._optimize import main
from tests.servers import free_port, wait_until_serving

RUN = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "1",
       "--batch-trials", "2"]


def optimize_command() -> list[str]:
    """The ``optimize`` console script, or the module where the script is not on PATH."""
    exe = shutil.which("optimize")
    return [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]


def attrs(trial: dict) -> dict[str, str]:
    """A dashboard API trial's user attrs as ``{key: value string}``."""
    return {a["key"]: a["value"] for a in trial["user_attrs"]}


def dashboard_trials(base: str, timeout: float = 60.0) -> tuple[int, list[dict]]:
    """``(study_id, trials)`` of the only study the dashboard at ``base`` lists, once it has one."""
    deadline = time.monotonic() + timeout
    while True:
        studies = httpx.get(f"{base}/api/studies", timeout=5).json()["study_summaries"]
        if studies:
            study_id = studies[0]["study_id"]
            detail = httpx.get(f"{base}/api/studies/{study_id}", params={"after": 0}, timeout=5).json()
            return study_id, detail["trials"]
        assert time.monotonic() < deadline, "the run never created its study"
        time.sleep(0.3)


def test_ratings_told_through_the_dashboard_complete_the_study(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    port = free_port()
    run = subprocess.Popen([*optimize_command(), *RUN, "--human", "--trials", "3", "--pending", "2", "--dashboard",
                            "--port", str(port), "--storage", storage, "--presets-dir", str(tmp_path / "presets")],
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    ratings: dict[int, int] = {}
    most_waiting = 0
    try:
        wait_until_serving(f"{base}/api/studies", run, timeout=90)
        deadline = time.monotonic() + 300  # generous: CI machines are shared; the loop ends as soon as all are rated
        while len(ratings) < 3:
            assert run.poll() is None, run.communicate()[0][-3000:]
            assert time.monotonic() < deadline, f"rated {sorted(ratings)} only"
            _, trials = dashboard_trials(base)
            running = [t for t in trials if t["state"] == "Running"]
            assert len(running) <= 2  # --pending: trials awaiting a rating plus those being evaluated
            waiting = [t for t in running if _keys.AWAITING_RATING in attrs(t)]
            most_waiting = max(most_waiting, len(waiting))
            waiting = [t for t in waiting if t["number"] not in ratings]  # the dashboard caches trials for 2 s
            # The first two trials are generated in one pass: wait until both are offered, so the listener
            # sees --pending trials awaiting a rating at once (rating the first at once would hide that).
            if not waiting or (not ratings and len(waiting) < 2):
                time.sleep(0.3)
                continue
            trial = min(waiting, key=lambda t: t["number"])
            # An offered trial already has its clips and note: the listener can play them. (The dashboard reads
            # the study, which holds the notes, just before the trials, so the note is checked in a later read.)
            assert [a["mimetype"] for a in trial["artifacts"]].count("audio/flac") == 1
            later = next(t for t in dashboard_trials(base)[1] if t["number"] == trial["number"])
            assert later["note"]["body"].startswith(f"## Trial {trial['number']}")
            shown = attrs(trial)
            rating = 3 + trial["number"]
            values = [float(shown[_keys.objective_attr("clap")]), float(shown[_keys.objective_attr("repetition")]),
                      rating]
            told = httpx.post(f"{base}/api/trials/{trial['trial_id']}/tell",
                              json={"state": "Complete", "values": values}, timeout=10)
            assert told.status_code == 204, told.text + (run.stdout.read() if run.poll() is not None else "")
            ratings[trial["number"]] = rating
        output = run.communicate(timeout=600)[0]  # re-validation and export after the last rating
    finally:
        if run.poll() is None:
            run.terminate()
            run.wait(timeout=30)
    assert run.returncode == 0, output[-3000:]
    assert most_waiting == 2
    assert "await a rating" in output and f"{base}/dashboard/studies/" in output

    study = optuna.load_study(study_name="jazz/debug/human", storage=storage)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 3  # none asked beyond --trials
    for trial in study.trials:
        scores = trial.user_attrs[_keys.SCORES]
        assert trial.values == [scores["clap"]["mean"], scores["repetition"]["mean"], ratings[trial.number]]
    # The third trial was asked only after a rating freed a slot.
    first_rated = min(t.datetime_complete for t in study.trials)
    assert study.trials[2].datetime_start >= first_rated

    document = json.loads((tmp_path / "presets" / "jazz.human.json").read_text())  # a rated study's own file
    assert [o["name"] for o in document["objectives"]] == ["clap", "repetition", "rating"]
    assert "max_rating" in document["presets"]
    for entry in document["presets"].values():
        assert entry["scores"]["rating"] == {"mean": ratings[entry["trial"]], "stderr": None, "n": 1}


def test_human_without_artifacts_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*RUN, "--human", "--no-artifacts"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--human needs the clips in the dashboard" in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("pending", ["0", "1000"])
def test_pending_out_of_range_is_refused(tmp_path, capsys, monkeypatch, pending):
    monkeypatch.chdir(tmp_path)
    assert main([*RUN, "--human", "--pending", pending]) == 2
    assert "--pending must be between 1 and 256" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def evaluator(debug_musicgen):
    from objectives import Evaluator
    from objectives._debug import build_debug_clap
    from objectives.generation import TransformersMusicGen
    from objectives.scoring import ClapScorer

    model, processor = debug_musicgen
    return Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                     clap=ClapScorer(*build_debug_clap(), name="debug"), prompts=["smooth jazz trio, 92 BPM"],
                     replicates=1, duration=0.5)


class _Counting:
    """The real evaluator, counting configurations and raising ``KeyboardInterrupt`` on call ``interrupt_at``."""

    def __init__(self, inner, interrupt_at=None):
        self.inner, self.interrupt_at, self.calls = inner, interrupt_at, 0

    def evaluate_many(self, configs, *, rows=None, on_step=None):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        return self.inner.evaluate_many(configs, on_step=on_step)


OBJECTIVES = ("clap", "repetition", "rating")


def _rated_study(storage=None):
    return optuna.create_study(directions=[get_objective(o).direction for o in OBJECTIVES], storage=storage)


def test_ctrl_c_fails_only_trials_not_yet_offered_and_a_rerun_waits_for_the_rest(evaluator, tmp_path):
    from optimizer import SearchSpace
    from optimizer.review._human import RatingHooks, awaiting_trials, run_rated_trials
    from optimizer.search._artifacts import open_artifact_store

    study = _rated_study()
    store = open_artifact_store(tmp_path / "artifacts")
    first = _Counting(evaluator, interrupt_at=2)
    with pytest.raises(KeyboardInterrupt):
        run_rated_trials(study, evaluator=first, space=SearchSpace(), n_trials=3, pending=2, artifact_store=store,
                         objectives=OBJECTIVES, poll_interval=0.01)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.FAIL]
    assert study.trials[1].user_attrs[_keys.FAILURE] == "interrupted"
    assert [t.number for t in awaiting_trials(study)] == [0]
    offered_at = study.trials[0].user_attrs[_keys.AWAITING_RATING]

    # The listener comes back: the re-run offers one new trial beside the waiting one, never re-generates it.
    running_seen = []

    def rate(awaiting, complete):
        running_seen.append(len(study.get_trials(states=(optuna.trial.TrialState.RUNNING,))))
        trial = study.trials[awaiting[0]]
        values = [trial.user_attrs[_keys.objective_attr(o)] for o in OBJECTIVES[:2]]
        study.tell(awaiting[0], [*values, 8])

    second = _Counting(evaluator)
    summary = run_rated_trials(study, evaluator=second, space=SearchSpace(), n_trials=3, pending=2,
                               artifact_store=store, objectives=OBJECTIVES, hooks=RatingHooks(on_wait=rate),
                               poll_interval=0.01)
    assert summary.total_complete == 3 and summary.offered == 2 and second.calls == 2
    assert max(running_seen) == 2
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert [t.number for t in complete] == [0, 2, 3]
    assert all(t.values[2] == 8 and len(t.values) == 3 for t in complete)
    assert complete[0].user_attrs[_keys.AWAITING_RATING] == offered_at  # offered once, by the first run


def test_trials_awaiting_a_rating_are_not_failed_as_stale():
    from optimizer.search._workers import recover_stale_trials

    study = _rated_study()
    waiting, crashed = study.ask(), study.ask()
    for trial in (waiting, crashed):
        trial.set_user_attr(_keys.HEARTBEAT, time.time() - 3600)
    waiting.set_user_attr(_keys.AWAITING_RATING, time.time() - 3600)
    assert recover_stale_trials(study, grace=60) == [crashed.number]
    assert study.trials[waiting.number].state == optuna.trial.TrialState.RUNNING


def test_dashboard_port_in_use_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    import socket

    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([*RUN, "--human", "--dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot serve the dashboard on 127.0.0.1:{port}" in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_the_rating_is_always_the_last_objective():
    from dataclasses import replace

    from tests.optimizer.synthetic import SPEC

    rated = replace(SPEC, objectives=("clap", "repetition", "diversity", "rating"))
    assert rated.rated and rated.automatic == ("clap", "repetition", "diversity")
    assert rated.directions == ["maximize", "minimize", "maximize", "maximize"]
    for wrong in [("clap", "repetition", "rating", "diversity"), ("clap", "rating"), ("clap", "repetition", "rating",
                                                                                      "rating")]:
        with pytest.raises(ValueError, match="then optionally rating"):
            replace(SPEC, objectives=wrong)
