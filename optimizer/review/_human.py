"""Listeners rate trials in optuna-dashboard (``optimize --human``): the third objective, 1-10, maximized.

A trial is asked, evaluated (clips, CLAP, repetition, constraints), its clips and note are uploaded, its
automatic objective values are copied into flat user attrs (``mgopt:objective:clap:v1``...), and only then is it
marked ``mgopt:awaiting_rating:v1`` and left RUNNING. The study's objective form
(:func:`register_rating_form`) shows those values read-only (``ObjectiveUserAttrRef``) beside a 1-10 slider; when
the listener submits it, the dashboard tells the trial COMPLETE with all values. This process never tells a
rated trial and never makes a rating up: it only keeps at most ``pending`` trials waiting and asks new ones as
ratings arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import optuna
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import TrialState
from optuna_dashboard import ObjectiveUserAttrRef, SliderWidget, register_objective_form_widgets

from objectives import Evaluation, Evaluator
from optimizer import _keys
from optimizer._payloads import has, write
from optimizer._record_payloads import ObjectiveValue
from optimizer._trial_payloads import AwaitingRating
from optimizer.search import (
    Batcher,
    Heartbeat,
    RunTally,
    SearchSpace,
    TrialLoop,
    record_evaluation,
    requeue_lost_baselines,
    upload_trial_artifacts,
)

__all__ = ["RatingHooks", "RatingPolicy", "RatingSummary", "awaiting_trials", "offer_for_rating",
           "register_rating_form", "run_rated_trials"]


@dataclass
class RatingSummary(RunTally):
    """What one ``--human`` run did: trials offered for rating and failed now, and the study's rated total."""

    offered: int = 0


@dataclass
class RatingHooks:
    """Progress callbacks of :func:`run_rated_trials` (the CLI wires a rich display to these)."""

    on_batch_start: Callable[[list[int]], None] = lambda numbers: None
    on_step: Callable[[int, int], None] = lambda done, total: None
    on_offered: Callable[[int, Evaluation], None] = lambda number, evaluation: None
    """A trial now awaits a rating: its number and evaluation."""
    on_wait: Callable[[list[int], int], None] = lambda awaiting, complete: None
    """Nothing to ask now: numbers of the trials awaiting a rating, and the number of rated trials."""


def register_rating_form(study: optuna.Study, objectives: Sequence[str]) -> None:
    """Register the dashboard's objective form: the automatic objectives read-only from each trial's
    ``mgopt:objective:<name>:v1`` user attr, then a 1-10 slider for the rating (idempotent).

    Raises:
        ValueError: ``objectives`` does not end with ``rating`` or does not match the study's directions.
    """
    if not objectives or objectives[-1] != _keys.RATING:
        raise ValueError(f"the last objective must be {_keys.RATING!r} but got {list(objectives)}.")
    low, high = _keys.RATING_RANGE
    widgets: list = [ObjectiveUserAttrRef(key=_keys.objective_attr(name)) for name in objectives[:-1]]
    widgets.append(SliderWidget(min=low, max=high, step=1, labels=[(low, "poor"), (high, "excellent")],
                                description=f"Your rating of the clips, {low} (poor) to {high} (excellent)"))
    register_objective_form_widgets(study, widgets=widgets)


def awaiting_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """RUNNING trials that are evaluated and wait for a listener's rating, by number."""
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return sorted((t for t in running if has(t, AwaitingRating)), key=lambda t: t.number)


def offer_for_rating(trial: optuna.Trial, evaluation: Evaluation, *, objectives: Sequence[str],
                     artifact_store: FileSystemArtifactStore) -> list[float]:
    """Record ``evaluation`` on ``trial``, upload its clips and note, then mark it awaiting a rating.

    The mark is written last, so a trial is only ever offered with its artifacts in place.

    Args:
        trial: a RUNNING trial.
        evaluation: its evaluation.
        objectives: the study's objectives, ``rating`` last.
        artifact_store: where the clips, spectrogram sheet go.

    Returns:
        The automatic objective values (all but the rating), in order.

    Raises:
        ValueError: a non-finite objective value.
        OSError: the artifacts could not be written.
    """
    automatic = [o for o in objectives if o != _keys.RATING]
    values = record_evaluation(trial, evaluation, automatic)
    for name, value in zip(automatic, values, strict=True):
        write(trial, ObjectiveValue(name, float(value)))
    upload_trial_artifacts(trial, evaluation, artifact_store)
    write(trial, AwaitingRating(time.time()))
    return values


def run_rated_trials(
    study: optuna.Study,
    *,
    evaluator: Evaluator,
    space: SearchSpace,
    n_trials: int,
    pending: int,
    artifact_store: FileSystemArtifactStore,
    objectives: Sequence[str],
    batch_trials: int = 1,
    hooks: RatingHooks | None = None,
    heartbeat_interval: float | None = None,
    poll_interval: float = 2.0,
) -> RatingSummary:
    """Keep up to ``pending`` trials awaiting a rating until the study holds ``n_trials`` COMPLETE (rated) trials.

    Every RUNNING trial counts against ``pending`` and ``n_trials``: those awaiting a rating (also from an
    earlier run of the same command, which resumes waiting for them instead of generating new ones) and those
    being evaluated. When a rating arrives, the freed slot is filled by asking and evaluating a new trial
    (several at once in one decoding pass, up to ``batch_trials``). A trial whose evaluation or upload fails is
    told FAIL with the reason; after :data:`~optimizer.search._loop.MAX_CONSECUTIVE_FAILURES` in a row the run stops.
    Ctrl-C fails only the trials not yet offered and re-raises ``KeyboardInterrupt``; trials awaiting a rating
    stay RUNNING (they are exempt from stale-trial recovery).

    Args:
        study: a study whose last objective is ``rating`` (see :func:`register_rating_form`).
        evaluator: the composite objective.
        space: the search space.
        n_trials: target number of COMPLETE trials, >= 1.
        pending: most RUNNING trials at once (awaiting a rating or being evaluated), >= 1.
        artifact_store: where each trial's clips go before it is offered.
        objectives: the study's objectives, ``rating`` last.
        batch_trials: most trials evaluated together, >= 1.
        hooks: progress callbacks.
        heartbeat_interval: seconds between heartbeats of trials being evaluated (stale ones of a crashed run are
            failed after five intervals and retried); None for no heartbeat.
        poll_interval: seconds between looks at the study while waiting for ratings.

    Raises:
        ValueError: ``pending`` or ``batch_trials`` < 1, or ``rating`` is not the last objective.
    """
    if pending < 1 or batch_trials < 1:
        raise ValueError(f"pending and batch_trials must be >= 1 but got {pending} and {batch_trials}.")
    if not objectives or objectives[-1] != _keys.RATING:
        raise ValueError(f"the last objective must be {_keys.RATING!r} but got {list(objectives)}.")
    hooks = hooks or RatingHooks()
    heartbeat = Heartbeat(heartbeat_interval) if heartbeat_interval is not None else None
    summary = RatingSummary()
    policy = RatingPolicy(study, n_trials=n_trials, pending=pending, objectives=objectives,
                          artifact_store=artifact_store, hooks=hooks, summary=summary, poll_interval=poll_interval)
    TrialLoop(study, space, Batcher(evaluator, batch_trials=batch_trials), policy, heartbeat=heartbeat,
              surplus_target=n_trials, on_batch_start=hooks.on_batch_start, on_step=hooks.on_step).run(summary)
    return summary


@dataclass
class RatingPolicy:
    """:class:`~optimizer.search._loop.TrialPolicy` of ``--human``: keep up to ``pending`` trials RUNNING (awaiting
    a rating or being evaluated) until ``n_trials`` are rated; settle an evaluation by offering it for rating
    (see :func:`run_rated_trials` for the arguments)."""

    study: optuna.Study
    n_trials: int
    pending: int
    objectives: Sequence[str]
    artifact_store: FileSystemArtifactStore
    hooks: RatingHooks
    summary: RatingSummary
    poll_interval: float = 2.0
    _first: bool = True

    def capacity(self, tally: RunTally) -> int | None:
        requeue_lost_baselines(self.study)
        trials_now = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
        complete = sum(t.state == TrialState.COMPLETE for t in trials_now)
        running = sum(t.state == TrialState.RUNNING for t in trials_now)
        tally.total_complete = complete
        if self._first:
            tally.complete_at_start, self._first = complete >= self.n_trials, False
        if complete >= self.n_trials:
            return None
        return max(0, min(self.pending, self.n_trials - complete) - running)

    def keep_asking(self) -> bool:
        return True

    def wait(self, tally: RunTally) -> None:
        self.hooks.on_wait([t.number for t in awaiting_trials(self.study)], tally.total_complete)
        time.sleep(self.poll_interval)

    def record(self, trial: optuna.Trial, evaluation: Evaluation) -> None:
        offer_for_rating(trial, evaluation, objectives=self.objectives, artifact_store=self.artifact_store)
        return None  # the listener completes it

    def settled(self, trial: optuna.Trial, evaluation: Evaluation, frozen: optuna.trial.FrozenTrial | None) -> None:
        self.summary.offered += 1
        self.hooks.on_offered(trial.number, evaluation)

    def handed_over(self, trials: Sequence[optuna.Trial]) -> set[int]:
        # also one marked awaiting just before Ctrl-C, before the loop noted it settled
        return {t.number for t in awaiting_trials(self.study)} & {t.number for t in trials}
