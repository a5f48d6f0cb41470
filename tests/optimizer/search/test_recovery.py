"""Trials lost to interrupts, dead workers and surplus asks: their reasons, and the reference trials retried."""

from __future__ import annotations

import os
import signal
import time

import optuna
import pytest

from optimizer import _keys
from optimizer.search._baselines import enqueue_references, requeue_lost_baselines
from optimizer.search._interrupts import exit_code, handle_interrupts, received
from optimizer.search._runner import ask_trials, fail_interrupted, fail_trial
from optimizer.search._space import SearchSpace
from optimizer.search._workers import recover_stale_trials


def _study():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    enqueue_references(study, SearchSpace(), None)  # musicgen_default alone
    return study


def _running_reference(study):
    trial = study.ask()
    SearchSpace().suggest(trial)
    return trial


def test_stale_trials_are_failed_with_the_reason():
    study = _study()
    trial = _running_reference(study)
    trial.set_user_attr(_keys.WORKER, "gpu-7:4242")
    trial.set_user_attr(_keys.HEARTBEAT, time.time() - 100)
    assert recover_stale_trials(study, grace=5.0) == [trial.number]
    failed = study.trials[trial.number]
    assert failed.state == optuna.trial.TrialState.FAIL
    assert failed.user_attrs[_keys.FAILURE].startswith("stale: no heartbeat for 100 s from worker gpu-7:4242")


@pytest.mark.parametrize("reason", ["interrupted", "surplus: other workers took the study's last trials"])
def test_a_reference_failed_by_an_interrupt_or_a_surplus_ask_is_enqueued_once_more(reason):
    study = _study()
    first = _running_reference(study)
    fail_trial(study, first, reason)
    assert requeue_lost_baselines(study) == ["musicgen_default"]
    assert requeue_lost_baselines(study) == []  # once: it now has a waiting counterpart
    retry = study.ask()
    assert retry.user_attrs[_keys.BASELINE] == "musicgen_default"
    assert retry.user_attrs[_keys.RETRY_OF] == {"trial": first.number, "reason": reason}
    assert retry.params == {} and study.trials[retry.number].system_attrs["fixed_params"] == \
        study.trials[first.number].system_attrs["fixed_params"]
    fail_interrupted(study, [retry])  # interrupted again: that failure gets its own, single retry
    assert requeue_lost_baselines(study) == ["musicgen_default"]
    assert requeue_lost_baselines(study) == []


def test_a_reference_that_went_stale_is_retried_once_even_when_killed_before_its_parameters_were_drawn():
    study = _study()
    trial = study.ask()  # killed before suggesting: recovery re-enqueues the reference's fixed parameters
    trial.set_user_attr(_keys.HEARTBEAT, time.time() - 100)
    recover_stale_trials(study, grace=5.0)
    assert requeue_lost_baselines(study) == []  # recovery enqueued the retry already: one retry, never two
    retry = _running_reference(study)
    assert retry.user_attrs[_keys.RETRY_OF]["trial"] == trial.number
    assert retry.user_attrs[_keys.BASELINE] == "musicgen_default"
    retry.set_user_attr(_keys.HEARTBEAT, time.time() - 100)  # this one goes stale too: a retry is not retried
    recover_stale_trials(study, grace=5.0)
    assert requeue_lost_baselines(study) == []  # a configuration that keeps killing its workers is given up
    assert not study.get_trials(states=(optuna.trial.TrialState.WAITING,))


def test_a_reference_that_failed_on_its_own_or_completed_is_not_enqueued_again():
    study = _study()
    first = _running_reference(study)
    fail_trial(study, first, "ValueError: non-finite objective values [nan, 0.1]")
    second = _running_reference(study)
    study.tell(second, [0.3, 0.2])
    assert requeue_lost_baselines(study) == []


def test_failing_interrupted_trials_skips_those_already_finished():
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    told, running = study.ask(), study.ask()
    study.tell(told, [0.1, 0.2])  # told just before the interrupt reached the cleanup
    assert fail_interrupted(study, [told, running]) == [running.number]
    assert study.trials[running.number].user_attrs[_keys.FAILURE] == "interrupted"


@pytest.fixture
def signal_handlers():
    """Restore this process's SIGINT/SIGTERM handlers after a test that installs the run's own."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_asking_fails_every_asked_trial(signal_handlers, signum):
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    real_ask = study.ask

    def ask_then_signal():
        trial = real_ask()
        if trial.number == 0:
            os.kill(os.getpid(), signum)  # arrives between asking trial 0 and marking it
        return trial

    study.ask = ask_then_signal
    with handle_interrupts(), pytest.raises(KeyboardInterrupt):
        ask_trials(study, 3, n_trials=10, heartbeat=None, check_surplus=False)
        pytest.fail("the interrupt was lost")
    assert received() == signum and exit_code() == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]
    trials = study.get_trials()
    assert len(trials) == 3  # the interrupt waited for the asks in progress, ...
    assert all(t.state == optuna.trial.TrialState.FAIL and t.user_attrs[_keys.FAILURE] == "interrupted"
               and t.user_attrs[_keys.WORKER] for t in trials)  # ... which were then failed, none left running


def test_later_signals_cannot_interrupt_the_cleanup(signal_handlers):
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    trials = [study.ask() for _ in range(3)]
    with handle_interrupts(), pytest.raises(KeyboardInterrupt):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            pytest.fail("the first signal did not interrupt")
        except KeyboardInterrupt:
            for trial in trials:  # the cleanup, hit by a second and a third signal
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)
                fail_interrupted(study, [trial])
            raise
    assert all(t.state == optuna.trial.TrialState.FAIL for t in study.get_trials())
    assert received() == signal.SIGINT and exit_code() == 130


def test_a_stale_reference_gets_one_retry_whichever_worker_looks_next(monkeypatch):
    """The CI failure of 2026-11-21: recovery failed a killed baseline, and another worker's baseline check ran
    before recovery enqueued the retry and enqueued a second one. Stale trials are retried by recovery alone."""
    study = _study()
    trial = _running_reference(study)  # its parameters were drawn: the worker died while generating
    trial.set_user_attr(_keys.HEARTBEAT, time.time() - 100)
    enqueue = study.enqueue_trial
    others = []

    def another_worker_looks_first(*args, **kwargs):  # worker B's loop runs between recovery's tell and enqueue
        others.append(requeue_lost_baselines(study))
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(study, "enqueue_trial", another_worker_looks_first)
    assert recover_stale_trials(study, grace=5.0) == [trial.number]
    assert others == [[]]
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert [t.user_attrs[_keys.RETRY_OF]["trial"] for t in waiting] == [trial.number]
