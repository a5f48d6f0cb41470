"""``optimize --racing`` end to end on the debug models: a worker SIGKILLed mid-race and restarted finishes the
study, the killed trial is retried like any other, and the presets come from fully evaluated trials only."""

from __future__ import annotations

import json

import optuna
import pytest

from optimizer import _keys, validate_presets
from optimizer.search import count_finished, stopped_trials
from tests.optimizer.search.test_workers import _kill_mid_trial, _study, _worker

pytestmark = pytest.mark.slow
TRIALS = 8
RACING = ["--racing", "--racing-level", "0.2", "--prompts", "2", "--replicates", "2", "--trials", str(TRIALS)]


def test_a_raced_run_killed_mid_trial_resumes_and_exports_only_complete_trials(tmp_path):
    storage = str(tmp_path / "study.log")
    killed = _kill_mid_trial(storage, lambda attempt: _worker(storage, tmp_path, seed=attempt, duration=1.0,
                                                              extra=RACING),
                             ready=lambda: len(_study(storage).trials) >= 3)  # a front exists: the trial is raced
    again = _worker(storage, tmp_path, seed=10, duration=1.0, extra=RACING)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0 and "Traceback" not in out, out[-3000:]

    study = _study(storage)
    trials = study.get_trials()
    assert optuna.trial.TrialState.RUNNING not in [t.state for t in trials]
    assert count_finished(study) == TRIALS  # COMPLETE plus racing-stopped: what --trials counts
    for number in killed:
        assert trials[number].state == optuna.trial.TrialState.FAIL
        [retry] = [t for t in trials if t.user_attrs.get(_keys.RETRY_OF, {}).get("trial") == number]
        assert retry.params == trials[number].params
        assert retry.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert set(document["baselines"]) == {"musicgen_default", "genre_baseline"}  # references are never raced
    complete = {t.number for t in trials if t.state == optuna.trial.TrialState.COMPLETE}
    assert {t.number for t, _ in stopped_trials(study)}.isdisjoint(complete)
    for group in ("presets", "baselines"):
        for entry in (document.get(group) or {}).values():
            assert entry["trial"] in complete, (group, entry["trial"])
