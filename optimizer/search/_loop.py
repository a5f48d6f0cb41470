"""The one trial loop: ask -> evaluate in batches -> settle, for search, ``--human`` and ``--pairwise`` alike.

:class:`TrialLoop` owns everything the modes share: asking (:func:`~optimizer.search._trials.ask_trials`, with
this worker's mark, heartbeats, stale-trial recovery and the surplus check), evaluating the asked trials
together (:class:`Batcher`: one decoding pass, halved on out-of-memory, a fault isolated to its trial), failing
a trial with its reason, the failure streak that stops a broken setup (:class:`RunTally`), and interrupts (asks
and tells are shielded; Ctrl-C or SIGTERM fails exactly the trials not yet settled). A mode supplies only what
differs, as a :class:`TrialPolicy`: how many trials may be asked now (its capacity and stop condition), what to
do while none may be, and how a finished evaluation is settled (search: record and tell the values;
``--human``: offer it for rating and leave it RUNNING; ``--pairwise``: upload its clip for comparison).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import optuna

from objectives import DecodingParams, Evaluation, Evaluator
from objectives.generation import is_out_of_memory, release_memory
from optimizer._payloads import has, write
from optimizer._trial_payloads import BaselineLabel, Worker
from optimizer.search._interrupts import raise_if_stopping, shielded
from optimizer.search._racing import Stopped
from optimizer.search._space import SearchSpace
from optimizer.search._trials import fail_interrupted, fail_trial, failure_reason
from optimizer.search._workers import WORKER_ID, Heartbeat, recover_stale_trials, surplus_trials

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = ["MAX_CONSECUTIVE_FAILURES", "Batcher", "RunTally", "TrialLoop", "TrialPolicy", "ask_trials",
           "suggest_and_evaluate"]

MAX_CONSECUTIVE_FAILURES = 3
"""Stop after this many failed trials in a row: something is wrong with the setup, not the parameters."""


@dataclass
class RunTally:
    """What every mode counts: failures by reason, the failure streak that stops a run, the study's total."""

    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    """Failed trials by the kind of their reason (``out_of_memory``, ``ValueError``, ...)."""
    total_complete: int = 0
    stopped_reason: str | None = None
    """Set once :data:`MAX_CONSECUTIVE_FAILURES` trials failed in a row."""
    recovered: int = 0
    """Other workers' stale trials this worker failed and re-enqueued."""
    complete_at_start: bool = False
    """The study already held its trials when this run began."""
    consecutive: int = 0
    """Failures in a row, reset by any success."""
    stopped: int = 0
    """Trials racing stopped (told PRUNED, ``optimize --racing``)."""

    def count_failure(self, reason: str) -> bool:
        """Count a failed trial (``reason`` from :func:`~optimizer.search._trials.failure_reason`); True when the
        run must stop."""
        self.failed += 1
        self.failures[reason.split(":")[0]] += 1
        self.consecutive += 1
        if self.consecutive >= MAX_CONSECUTIVE_FAILURES:
            self.stopped_reason = f"{self.consecutive} trials failed in a row (last: {reason})"
        return self.stopped_reason is not None

    def count_success(self) -> None:
        """A trial went through: the failure streak ends."""
        self.consecutive = 0


class TrialPolicy(Protocol):
    """What one mode supplies to :class:`TrialLoop`: capacity, waiting and settling."""

    def capacity(self, tally: RunTally) -> int | None:
        """How many trials may be asked now: None once the run is done (its target reached), 0 to wait."""
        ...

    def keep_asking(self) -> bool:
        """Asked before each further trial of a batch: False stops asking (e.g. the listener has enough clips)."""
        ...

    def wait(self, tally: RunTally) -> None:
        """Nothing may be asked now: report progress and sleep until it is worth looking again."""
        ...

    def record(self, trial: optuna.Trial, evaluation: Evaluation) -> list[float] | None:
        """Store ``evaluation`` on ``trial`` and return the values to tell, or None to leave it RUNNING for a
        listener (who completes it in the dashboard). Raising (NaN scores, a full disk) fails the trial."""
        ...

    def settled(self, trial: optuna.Trial, evaluation: Evaluation,
                frozen: optuna.trial.FrozenTrial | None) -> None:
        """``trial`` went through (``frozen`` when it was told COMPLETE): count it and report it."""
        ...

    def handed_over(self, trials: Sequence[optuna.Trial]) -> set[int]:
        """Which of ``trials`` a listener already holds: an interrupt leaves them RUNNING."""
        ...


class Batcher:
    """Evaluates configurations together, halving on out-of-memory and isolating other failures.

    Args:
        evaluator: the composite objective.
        batch_trials: most configurations (trials) a caller should pass at once, >= 1; lowered when a batch
            runs out of memory.
    """

    def __init__(self, evaluator: Evaluator, *, batch_trials: int) -> None:
        self.evaluator = evaluator
        self.batch_trials = batch_trials

    def evaluate(self, configs: list[DecodingParams], *, on_step: Callable[[int, int], None],
                 stoppable: Sequence[bool] | None = None) -> list[Evaluation | Stopped | BaseException]:
        """One evaluation or exception per configuration, in order (a racing batcher may also stop those
        ``stoppable`` marks, all when None: :class:`~optimizer.search._racing.Stopped`); ``KeyboardInterrupt``
        propagates."""
        return list(self.evaluate_rows(configs, on_step=on_step))

    def evaluate_rows(self, configs: list[DecodingParams], *, on_step: Callable[[int, int], None],
                      rows: Sequence[tuple[int, int]] | None = None) -> list[Evaluation | BaseException]:
        """:meth:`evaluate` of ``rows`` (``(prompt, replicate)`` pairs; None: all) of each configuration."""
        if not configs:
            return []
        try:
            return list(self.evaluator.evaluate_many(configs, rows=rows, on_step=on_step))
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            if len(configs) == 1:
                return [exc]
            if is_out_of_memory(exc):
                release_memory()
                half = len(configs) // 2
                self.batch_trials = max(1, min(self.batch_trials, half))
                return (self.evaluate_rows(configs[:half], on_step=on_step, rows=rows)
                        + self.evaluate_rows(configs[half:], on_step=on_step, rows=rows))
            return [r for c in configs for r in self.evaluate_rows([c], on_step=on_step, rows=rows)]


def ask_trials(study: optuna.Study | PreferentialStudy, count: int, *, n_trials: int, heartbeat: Heartbeat | None,
               check_surplus: bool, keep_asking: Callable[[], bool] | None = None) -> list[optuna.Trial]:
    """Ask up to ``count`` trials, mark them with this worker (``mgopt:worker:v1``) and watch them with ``heartbeat``.

    With ``check_surplus`` (several workers may share the study), trials that simultaneous asking by other
    workers made surplus to ``n_trials`` (:func:`~optimizer.search._workers.surplus_trials`) are failed at once and
    left out. An interrupt while asking fails the trials asked so far and re-raises ``KeyboardInterrupt``.

    Args:
        study: the study to ask (a ``PreferentialStudy`` too).
        count: most trials to ask, >= 1.
        n_trials: the study's target of COMPLETE trials (for the surplus check).
        heartbeat: watches the asked trials; None for none.
        check_surplus: fail the trials other workers' simultaneous asks made surplus.
        keep_asking: called before each trial after the first; asking stops when it returns False (None: ask
            ``count``).

    Returns:
        The trials to evaluate, possibly none.
    """
    trials: list[optuna.Trial] = []
    try:
        with shielded():  # an interrupt is raised once the trials are asked and marked, and fails them here
            for _ in range(count):
                if trials and keep_asking is not None and not keep_asking():
                    break
                trials.append(study.ask())
                write(trials[-1], Worker(WORKER_ID))
            if heartbeat is not None:
                heartbeat.watch(trials)
    except KeyboardInterrupt:
        fail_interrupted(study, trials)
        raise
    if not check_surplus:
        return trials
    extra = surplus_trials(study, [t.number for t in trials], n_trials=n_trials)
    for trial in [t for t in trials if t.number in extra]:
        fail_trial(study, trial, "surplus: other workers took the study's last trials at the same time")
        if heartbeat is not None:
            heartbeat.forget(trial)
    return [t for t in trials if t.number not in extra]


def suggest_and_evaluate(trials: Sequence[optuna.Trial], space: SearchSpace, batch: Batcher, *,
                         on_step: Callable[[int, int], None]
                         ) -> list[tuple[optuna.Trial, Evaluation | Stopped | BaseException]]:
    """Suggest a configuration for each trial and evaluate all of them in one batched pass.

    A sampler fault (``space.suggest`` raising) or an evaluation fault is returned as that trial's outcome, so
    it fails that trial only; ``KeyboardInterrupt`` propagates.

    Returns:
        ``(trial, evaluation, racing's stop or exception)`` for each of ``trials``, in order.
    """
    suggested: list[tuple[optuna.Trial, DecodingParams | BaseException]] = []
    for trial in trials:
        try:
            suggested.append((trial, space.suggest(trial)))
        except Exception as exc:  # a sampler fault fails this trial only
            suggested.append((trial, exc))
    ready = [(t, p) for t, p in suggested if isinstance(p, DecodingParams)]
    # The reference trials are the presets' yardsticks: racing never stops them (the preset file names both).
    stoppable = [not has(t, BaselineLabel) for t, _ in ready]
    results = dict(zip([t.number for t, _ in ready],
                       batch.evaluate([p for _, p in ready], on_step=on_step, stoppable=stoppable), strict=True))
    return [(trial, params if isinstance(params, BaseException) else results[trial.number])
            for trial, params in suggested]


@dataclass
class TrialLoop:
    """Drives trials through one mode's :class:`TrialPolicy` until it is done or the failure streak stops it.

    Each round: recover other workers' stale trials (with a heartbeat), ask ``policy.capacity`` trials (at most
    ``batcher.batch_trials``; none: ``policy.wait``), evaluate them in one batched pass, and settle each: a
    successful ``policy.record`` is told COMPLETE with its values (or left to a listener), a fault anywhere is
    told FAIL with its reason and counted; after :data:`MAX_CONSECUTIVE_FAILURES` failures in a row the loop
    stops with ``tally.stopped_reason`` set. Ctrl-C (or SIGTERM under
    :func:`~optimizer.search._interrupts.handle_interrupts`) fails the asked trials not yet settled nor handed
    to a listener, so none is left RUNNING, and re-raises ``KeyboardInterrupt``.

    Attributes:
        study: the study to ask from (a ``PreferentialStudy`` too).
        space: the search space.
        batcher: evaluates the asked trials together.
        policy: what the mode supplies.
        heartbeat: beats for the trials being evaluated and recovers stale ones of dead workers (after five
            silent intervals); None for a worker alone on its study.
        surplus_target: the study's ``n_trials`` when several workers may ask at once (surplus trials are then
            failed at once); None to skip that check.
        on_batch_start: called with the numbers of each batch's trials.
        on_step: decoding progress, ``(done, total)`` steps.
        on_stopped: called with each trial racing stopped, after it is told PRUNED (:class:`Stopped`: only a
            racing batcher stops trials).
    """

    study: optuna.Study | PreferentialStudy
    space: SearchSpace
    batcher: Batcher
    policy: TrialPolicy
    heartbeat: Heartbeat | None = None
    surplus_target: int | None = None
    on_batch_start: Callable[[list[int]], None] = lambda numbers: None
    on_step: Callable[[int, int], None] = lambda done, total: None
    on_stopped: Callable[[optuna.Trial, Stopped], None] = lambda trial, stop: None

    def run(self, tally: RunTally) -> RunTally:
        """Run until ``policy.capacity`` says done or ``tally.stopped_reason`` is set; return ``tally``."""
        with self.heartbeat if self.heartbeat is not None else nullcontext():
            while True:
                raise_if_stopping()  # the handler's KeyboardInterrupt may have been swallowed (by a finalizer)
                if self.heartbeat is not None:
                    tally.recovered += len(recover_stale_trials(self.study, grace=5 * self.heartbeat.interval))
                room = self.policy.capacity(tally)
                if room is None:
                    break
                if room <= 0:
                    self.policy.wait(tally)
                    continue
                trials = ask_trials(self.study, min(self.batcher.batch_trials, room),
                                    n_trials=self.surplus_target or 0, heartbeat=self.heartbeat,
                                    check_surplus=self.surplus_target is not None,
                                    keep_asking=self.policy.keep_asking)
                if trials:
                    self._settle_batch(trials, tally)
                if tally.stopped_reason:
                    break
        raise_if_stopping()
        return tally

    def _step(self, done: int, total: int) -> None:
        raise_if_stopping()
        self.on_step(done, total)

    def _settle_batch(self, trials: list[optuna.Trial], tally: RunTally) -> None:
        settled: set[int] = set()
        try:
            self.on_batch_start([t.number for t in trials])
            for trial, outcome in suggest_and_evaluate(trials, self.space, self.batcher, on_step=self._step):
                if isinstance(outcome, Stopped):
                    self._stop(trial, outcome, tally, settled)
                    continue
                values: list[float] | None = None
                if not isinstance(outcome, BaseException):
                    try:
                        values = self.policy.record(trial, outcome)
                    except Exception as exc:  # e.g. NaN scores, a full disk
                        outcome = exc
                frozen = None
                with shielded():  # a trial told is always noted as told
                    if isinstance(outcome, BaseException):
                        reason = failure_reason(outcome)
                        fail_trial(self.study, trial, reason)
                        tally.count_failure(reason)
                    else:
                        if values is not None:
                            frozen = trial.study.tell(trial, values)
                        tally.count_success()
                    settled.add(trial.number)
                if self.heartbeat is not None:
                    self.heartbeat.forget(trial)
                if not isinstance(outcome, BaseException):
                    self.policy.settled(trial, outcome, frozen)
        except KeyboardInterrupt:
            left = [t for t in trials if t.number not in settled]
            held = self.policy.handed_over(left) if left else set()
            fail_interrupted(self.study, [t for t in left if t.number not in held])
            raise

    def _stop(self, trial: optuna.Trial, stop: Stopped, tally: RunTally, settled: set[int]) -> None:
        """Tell a trial racing stopped PRUNED with its partial scores; a fault doing so fails it."""
        from optimizer.search._racing_study import stop_trial

        try:
            self.on_stopped(trial, stop)  # its clips and note, before it is told (a told trial takes no artifacts)
            fault = None
        except Exception as exc:  # a full disk
            fault = exc
        with shielded():
            if fault is None:
                stop_trial(trial, verdict=stop.verdict, stage=stop.stage, stages=stop.stages,
                           clips_full=self.batcher.evaluator.clips_per_config, level=stop.level,
                           samples=stop.samples, constraints=stop.evaluation.constraints)
                tally.stopped += 1
                tally.count_success()
            else:
                reason = failure_reason(fault)
                fail_trial(self.study, trial, reason)
                tally.count_failure(reason)
            settled.add(trial.number)
        if self.heartbeat is not None:
            self.heartbeat.forget(trial)
