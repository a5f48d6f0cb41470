"""The one trial loop, driven through its public API by a fake mode: the failure streak and interrupts behave the
same whether a mode tells its trials (search) or hands them to a listener (--human, --pairwise)."""

from __future__ import annotations

from collections.abc import Sequence

import optuna
import pytest

from optimizer import SearchSpace, _keys
from optimizer.search._loop import MAX_CONSECUTIVE_FAILURES, Batcher, RunTally, TrialLoop

FAIL, RUNNING, COMPLETE = (optuna.trial.TrialState.FAIL, optuna.trial.TrialState.RUNNING,
                           optuna.trial.TrialState.COMPLETE)


class _Evaluator:
    """Returns the configuration itself as its 'evaluation', or raises for the trial numbers in ``broken``."""

    def __init__(self, broken=lambda index: False) -> None:
        self.calls = 0
        self.broken = broken

    def evaluate_many(self, configs, *, rows=None, on_step):
        out = []
        for config in configs:
            self.calls += 1
            if self.broken(self.calls):
                raise ValueError(f"backend fault in call {self.calls}")
            out.append(config)
        return out


class _Mode:
    """A fake mode: unlimited capacity up to ``target`` settled trials; ``tells`` chooses search-like telling or
    a listener-like hand-over (RUNNING, marked with ``mgopt:awaiting_rating:v1``)."""

    def __init__(self, *, tells: bool, target: int = 50, interrupt_at: int | None = None) -> None:
        self.tells, self.target, self.interrupt_at = tells, target, interrupt_at
        self.settled_numbers: list[int] = []
        self.recorded = 0

    def capacity(self, tally: RunTally) -> int | None:
        return None if len(self.settled_numbers) >= self.target else 3

    def keep_asking(self) -> bool:
        return True

    def wait(self, tally: RunTally) -> None:
        raise AssertionError("capacity never asks to wait")

    def record(self, trial, evaluation):
        self.recorded += 1
        if self.recorded == self.interrupt_at:
            raise KeyboardInterrupt
        if self.tells:
            return [1.0, 0.5]
        trial.set_user_attr(_keys.AWAITING_RATING, 1.0)
        return None

    def settled(self, trial, evaluation, frozen) -> None:
        assert (frozen is not None) == self.tells
        self.settled_numbers.append(trial.number)

    def handed_over(self, trials: Sequence[optuna.Trial]) -> set[int]:
        return {t.number for t in trials if _keys.AWAITING_RATING in t.user_attrs}


def _loop(study, mode, evaluator, batch_trials=3) -> TrialLoop:
    return TrialLoop(study, SearchSpace(), Batcher(evaluator, batch_trials=batch_trials), mode)


def _states(study) -> list[optuna.trial.TrialState]:
    return [t.state for t in study.get_trials(deepcopy=False)]


@pytest.mark.parametrize("tells", [True, False], ids=["search", "listener"])
def test_consecutive_failures_stop_the_loop_in_any_mode(tells):
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    tally = _loop(study, _Mode(tells=tells), _Evaluator(broken=lambda call: True), batch_trials=1).run(RunTally())
    assert _states(study) == [FAIL] * MAX_CONSECUTIVE_FAILURES
    assert tally.failed == MAX_CONSECUTIVE_FAILURES and tally.failures["ValueError"] == MAX_CONSECUTIVE_FAILURES
    assert tally.stopped_reason is not None and "backend fault in call 3" in tally.stopped_reason
    assert all("backend fault" in t.user_attrs[_keys.FAILURE] for t in study.get_trials())


@pytest.mark.parametrize("tells", [True, False], ids=["search", "listener"])
def test_a_success_ends_the_failure_streak(tells):
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    mode = _Mode(tells=tells, target=4)
    # every third evaluation works: two failures in a row at most, so the run reaches its target
    tally = _loop(study, mode, _Evaluator(broken=lambda call: call % 3 != 0), batch_trials=1).run(RunTally())
    assert tally.stopped_reason is None and len(mode.settled_numbers) == 4 and tally.failed == 8
    assert _states(study).count(COMPLETE if tells else RUNNING) == 4


def test_a_fault_in_settling_fails_that_trial_only():
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))

    class _NanMode(_Mode):
        def record(self, trial, evaluation):
            if trial.number == 1:
                raise ValueError("non-finite objective values [nan, 0.5]")
            return super().record(trial, evaluation)

    mode = _NanMode(tells=True, target=2)
    tally = _loop(study, mode, _Evaluator()).run(RunTally())
    assert _states(study) == [COMPLETE, FAIL, COMPLETE]
    assert study.trials[1].user_attrs[_keys.FAILURE].startswith("ValueError: non-finite")
    assert tally.failed == 1 and tally.consecutive == 0


@pytest.mark.parametrize("tells", [True, False], ids=["search", "listener"])
def test_an_interrupt_fails_exactly_the_trials_not_yet_settled(tells):
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    mode = _Mode(tells=tells, interrupt_at=5)  # batches of 3: the second batch is cut short in its second trial
    with pytest.raises(KeyboardInterrupt):
        _loop(study, mode, _Evaluator()).run(RunTally())
    settled = COMPLETE if tells else RUNNING
    assert _states(study) == [settled] * 4 + [FAIL, FAIL]
    assert [t.user_attrs[_keys.FAILURE] for t in study.trials[4:]] == ["interrupted", "interrupted"]
    assert mode.settled_numbers == [0, 1, 2, 3]


def test_an_interrupt_leaves_trials_already_handed_to_the_listener_running():
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))

    class _LateInterrupt(_Mode):
        def record(self, trial, evaluation):
            super().record(trial, evaluation)
            if trial.number == 1:  # Ctrl-C right after the trial was marked for the listener
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _loop(study, _LateInterrupt(tells=False), _Evaluator()).run(RunTally())
    assert _states(study) == [RUNNING, RUNNING, FAIL]


def test_out_of_memory_halves_the_batch_for_later_rounds():
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))

    class _Small(_Evaluator):
        def evaluate_many(self, configs, *, rows=None, on_step):
            if len(configs) > 1:
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return super().evaluate_many(configs, on_step=on_step)

    batcher = Batcher(_Small(), batch_trials=4)
    mode = _Mode(tells=True, target=5)
    TrialLoop(study, SearchSpace(), batcher, mode).run(RunTally())
    assert _states(study) == [COMPLETE] * 5 and batcher.batch_trials == 1
