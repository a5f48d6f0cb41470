"""Several workers on one study: heartbeats, stale-trial recovery, exact trial counts.

Optuna's own heartbeat (``RDBStorage(heartbeat_interval=...)``) is driven by ``study.optimize`` and does not
cover ask/tell, nor JournalStorage. This module keeps one over ask/tell on any storage, through public APIs
only: a daemon thread writes the time into each running trial's ``mgopt:heartbeat:v1`` user attr; any worker
fails a RUNNING trial whose heartbeat is older than the grace period (``study.tell(number, state=FAIL)``) and
enqueues its parameters once more, marking the retry with ``mgopt:retry_of:v1``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime

import optuna
from optuna.trial import TrialState

from optimizer._payloads import has, read, user_attrs_of, write
from optimizer._trial_payloads import AwaitingRating, BaselineLabel, HeartbeatTime, RacingStop, RetryOf, Worker
from optimizer.search._interrupts import shielded
from optimizer.search._trials import fail_trial

__all__ = ["WORKER_ID", "Heartbeat", "is_last_finisher", "open_slots", "recover_stale_trials",
           "running_trials_of_this_worker", "surplus_trials"]

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
"""This process as a worker: ``host:pid`` (``mgopt:worker:v1`` of the trials it asks)."""


class Heartbeat:
    """Writes the time into the ``mgopt:heartbeat:v1`` user attr of watched trials every ``interval`` seconds.

    Use as a context manager; :meth:`watch` trials as they are asked, :meth:`forget` them once told. A
    storage error inside the thread is kept for :attr:`last_error` and retried next beat, never raised.

    Args:
        interval: seconds between beats, > 0.
    """

    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"heartbeat interval must be > 0 seconds but got {interval}.")
        self.interval = interval
        self.last_error: BaseException | None = None
        self._trials: dict[int, optuna.Trial] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mgopt-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, 2 * self.interval))

    def watch(self, trials: Iterable[optuna.Trial]) -> None:
        """Start beating for ``trials`` (beats once at once, so a new trial is never without one)."""
        trials = list(trials)
        with self._lock:
            for trial in trials:
                self._trials[trial.number] = trial
        self._beat(trials)

    def forget(self, trial: optuna.Trial) -> None:
        """Stop beating for a trial that has been told."""
        with self._lock:
            self._trials.pop(trial.number, None)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                trials = list(self._trials.values())
            self._beat(trials)

    def _beat(self, trials: list[optuna.Trial]) -> None:
        now = time.time()
        for trial in trials:
            try:
                write(trial, HeartbeatTime(now))
            except Exception as exc:
                self.last_error = exc


def _last_sign_of_life(trial: optuna.trial.FrozenTrial) -> float:
    beat = read(trial, HeartbeatTime)
    if beat is not None:
        return beat.time
    start = trial.datetime_start
    return start.timestamp() if start is not None else time.time()  # Optuna's datetimes are naive local time


def recover_stale_trials(study: optuna.Study, *, grace: float) -> list[int]:
    """Fail RUNNING trials without a heartbeat for ``grace`` seconds and enqueue their parameters once.

    Trials awaiting a listener's rating (``mgopt:awaiting_rating:v1``) are never failed: they may wait for hours.

    Safe to run from several workers at once: only the worker whose ``tell`` succeeds re-enqueues. A trial
    that was itself a retry is not retried again. Each failed trial says why in ``mgopt:failure:v1``
    (``stale: no heartbeat for N s from worker host:pid ...``), written just before the tell (a worker that
    loses the race to a late ``tell`` COMPLETE of the owner leaves that text on a COMPLETE trial, where it
    means nothing: the reason is only read on FAIL trials).

    Returns:
        Numbers of the trials this call failed.
    """
    now = time.time()
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if has(trial, AwaitingRating):
            continue  # evaluated, waiting for a listener (``--human``): no worker beats for it, none needs to
        silent = now - _last_sign_of_life(trial)
        if silent <= grace:
            continue
        worker = stored.id if (stored := read(trial, Worker)) is not None else "unknown"
        reason = f"stale: no heartbeat for {silent:.0f} s from worker {worker} (killed, or its machine was lost)"
        with shielded():  # failed and re-enqueued together, or neither
            try:
                fail_trial(study, trial, reason)
            except (ValueError, RuntimeError):  # another worker failed or finished it first
                continue
            failed.append(trial.number)
            # A reference killed before its parameters were drawn still has its enqueued (fixed) parameters.
            params = dict(trial.params) or dict(trial.system_attrs.get("fixed_params") or {})
            if not has(trial, RetryOf) and params:
                label = read(trial, BaselineLabel)
                study.enqueue_trial(params, user_attrs=user_attrs_of(
                    RetryOf(trial.number, f"no heartbeat for {silent:.0f} s"), *([label] if label else [])))
    return failed


def _counts(study: optuna.Study) -> tuple[int, list[int]]:
    """Finished trials (COMPLETE and racing-stopped) and the numbers of the RUNNING ones."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED))
    complete = sum(t.state == TrialState.COMPLETE or (t.state == TrialState.PRUNED and read(t, RacingStop) is not None)
                   for t in trials)
    running = sorted(t.number for t in trials if t.state == TrialState.RUNNING)
    return complete, running


def open_slots(study: optuna.Study, *, n_trials: int, count_running: bool = True) -> tuple[int, int]:
    """``(complete, free)``: finished trials so far (COMPLETE, and those racing stopped: ``--trials`` counts
    configurations tried), and how many more may be asked now without the running ones of all workers
    overshooting ``n_trials`` (``count_running=False`` for a worker known to be alone)."""
    complete, running = _counts(study)
    return complete, max(0, n_trials - complete - (len(running) if count_running else 0))


def surplus_trials(study: optuna.Study, mine: Iterable[int], *, n_trials: int) -> set[int]:
    """Which of this worker's just-asked trials exceed ``n_trials`` because other workers asked at the same time.

    Every worker applies the same rule: the running trials with the lowest numbers fill the remaining
    slots, the others are surplus. So the study never completes more than ``n_trials`` trials.
    """
    complete, running = _counts(study)
    allowed = set(running[: max(0, n_trials - complete)])
    return {n for n in mine if n not in allowed}


def is_last_finisher(study: optuna.Study, told: set[int]) -> bool:
    """True when this worker told the study's most recently finished trial (COMPLETE, or stopped by racing): the
    one worker that exports."""
    from optimizer.search._racing_study import stopped_trials

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    complete += [trial for trial, _ in stopped_trials(study)]
    if not complete:
        return False
    last = max(complete, key=lambda t: (t.datetime_complete or datetime.min, t.number))
    return last.number in told


def running_trials_of_this_worker(study: optuna.Study) -> list[int]:
    """Numbers of RUNNING trials asked by this process (``mgopt:worker:v1``) that do not await a listener's
    rating: what an interrupted run must not leave behind."""
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [t.number for t in running
            if read(t, Worker) == Worker(WORKER_ID) and not has(t, AwaitingRating)]
