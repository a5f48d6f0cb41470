"""The export claim (`mgopt:export:v1`) and what makes a preset file current, on in-memory studies."""

from __future__ import annotations

import json
import subprocess
import time

import optuna
import pytest

from optimizer import _keys
from optimizer.export._export_claim import ClaimKeeper, ExportClaim, presets_current, read_claim, take_export_turn
from optimizer.export._presets import build_presets, write_presets
from optimizer.search._workers import WORKER_ID
from tests.optimizer.synthetic import make_study

POINTS = [(0.30, 0.20), (0.40, 0.30), (0.20, 0.10)]


class _Waited(Exception):
    pass


def _stop_waiting(claim):
    raise _Waited(claim)


def _dead_local_worker() -> str:
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{WORKER_ID.rpartition(':')[0]}:{child.pid}"


def _claim(study, *, worker="other-host:1", age=0.0, released=False, complete=None, interval=1.0):
    complete = len(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) if complete is None else complete
    claim = ExportClaim(complete=complete, worker=worker, token="t-" + worker, heartbeat=time.time() - age,
                        interval=interval, released=released)
    study.set_user_attr(_keys.EXPORT, claim.to_dict())
    return claim


def test_a_file_is_current_only_when_built_from_every_complete_trial_of_this_study(tmp_path):
    study = make_study(POINTS)
    path = tmp_path / "jazz.json"
    assert not presets_current(study, path)  # no file
    path.write_text("{not json")
    assert not presets_current(study, path)
    path.unlink()  # write_presets never replaces a file that is not this study's preset file
    write_presets(build_presets(study, genre="jazz"), path)
    assert presets_current(study, path)
    other = make_study(POINTS, name="jazz/other")
    assert not presets_current(other, path)  # same counts, another study
    study.add_trial(optuna.trial.create_trial(values=[0.1, 0.1]))
    assert not presets_current(study, path)  # built from fewer trials than the study now has
    document = json.loads(path.read_text())
    del document["provenance"]["n_trials_complete"]
    path.write_text(json.dumps(document))
    assert not presets_current(study, path)


@pytest.mark.parametrize("finisher", [True, False])
def test_a_live_holder_is_waited_for(tmp_path, finisher):
    study = make_study(POINTS)
    holder = _claim(study, age=1.0)
    with pytest.raises(_Waited) as waited:
        take_export_turn(study, tmp_path / "jazz.json", interval=1.0, finisher=finisher, on_wait=_stop_waiting)
    assert waited.value.args[0] == holder
    assert read_claim(study) == holder  # untouched


@pytest.mark.parametrize("dead", ["released", "silent", "vanished-process", "older-state", "garbled"])
def test_a_dead_or_stale_claim_is_taken_over(tmp_path, dead):
    study = make_study(POINTS)
    if dead == "released":
        _claim(study, released=True)
    elif dead == "silent":
        _claim(study, age=5.5)  # five intervals without a beat
    elif dead == "vanished-process":
        _claim(study, worker=_dead_local_worker())
    elif dead == "older-state":
        _claim(study, complete=2)  # a claim for fewer trials than the study now has
    else:
        study.set_user_attr(_keys.EXPORT, {"complete": "x"})
    # The last trial has no heartbeat (told by a process without one): nobody else is about to claim.
    mine = take_export_turn(study, tmp_path / "jazz.json", interval=1.0, finisher=False, on_wait=_stop_waiting)
    assert mine is not None and mine.worker == WORKER_ID and read_claim(study) == mine


def test_without_a_claim_a_waiter_gives_the_finisher_its_heartbeat_grace(tmp_path):
    study = make_study(POINTS)
    study.add_trial(optuna.trial.create_trial(values=[0.5, 0.5], user_attrs={
        _keys.WORKER: "other-host:7", _keys.HEARTBEAT: time.time()}))
    with pytest.raises(_Waited) as waited:
        take_export_turn(study, tmp_path / "jazz.json", interval=1.0, finisher=False, on_wait=_stop_waiting)
    assert waited.value.args[0] is None and read_claim(study) is None
    # The finisher itself claims at once; a waiter claims once the finisher's worker is gone.
    assert take_export_turn(study, tmp_path / "jazz.json", interval=1.0, finisher=True) is not None
    study.set_user_attr(_keys.EXPORT, None)
    study.add_trial(optuna.trial.create_trial(values=[0.6, 0.6], user_attrs={
        _keys.WORKER: _dead_local_worker(), _keys.HEARTBEAT: time.time()}))
    assert take_export_turn(study, tmp_path / "jazz.json", interval=1.0, finisher=False,
                            on_wait=_stop_waiting) is not None


def test_a_current_file_needs_no_export_even_with_a_live_claim(tmp_path):
    study = make_study(POINTS)
    path = write_presets(build_presets(study, genre="jazz"), tmp_path / "jazz.json")
    _claim(study, age=0.0)
    assert take_export_turn(study, path, interval=1.0, finisher=False, on_wait=_stop_waiting) is None


def test_the_keeper_beats_and_releases_its_own_claim_only(tmp_path):
    study = make_study(POINTS)
    mine = take_export_turn(study, tmp_path / "jazz.json", interval=0.1, finisher=True)
    with pytest.raises(RuntimeError), ClaimKeeper(study, mine):
        time.sleep(0.35)
        assert read_claim(study).heartbeat > mine.heartbeat  # beating
        raise RuntimeError("the export failed")
    assert read_claim(study).released and read_claim(study).token == mine.token
    # A claim another worker took over meanwhile is left as it is.
    mine = take_export_turn(study, tmp_path / "jazz.json", interval=0.1, finisher=True)
    with ClaimKeeper(study, mine):
        theirs = _claim(study, age=0.0)
    assert read_claim(study) == theirs
