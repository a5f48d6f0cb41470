"""The ask/tell loop: suggest a configuration, evaluate it, record everything, tell Optuna."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import soundfile
from optuna.artifacts import FileSystemArtifactStore

from objectives._evaluation import Evaluation, Evaluator
from objectives._params import DecodingParams
from objectives.generation._memory import is_out_of_memory, release_memory
from optimizer import _keys
from optimizer._artifacts import upload_trial_artifacts
from optimizer._baselines import enqueue_references, requeue_lost_baselines
from optimizer._interrupts import shielded
from optimizer._space import SearchSpace
from optimizer._workers import WORKER_ID, Heartbeat, open_slots, recover_stale_trials, surplus_trials

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "WORKER_ID",
    "Batcher",
    "RunSummary",
    "RunTally",
    "TrialHooks",
    "ask_trials",
    "complete_trials",
    "enqueue_references",
    "fail_interrupted",
    "fail_trial",
    "failure_reason",
    "record_evaluation",
    "run_trials",
    "running_trials_of_this_worker",
    "suggest_and_evaluate",
]

MAX_CONSECUTIVE_FAILURES = 3
"""Stop after this many failed trials in a row: something is wrong with the setup, not the parameters."""


@dataclass
class RunTally:
    """What every runner counts: failures by reason, the failure streak that stops a run, the study's total."""

    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    total_complete: int = 0
    stopped_reason: str | None = None
    """Set once :data:`MAX_CONSECUTIVE_FAILURES` trials failed in a row."""
    recovered: int = 0
    """Other workers' stale trials this worker failed and re-enqueued."""
    complete_at_start: bool = False
    """The study already held its trials when this run began."""
    consecutive: int = 0
    """Failures in a row, reset by any success."""

    def count_failure(self, reason: str) -> bool:
        """Count a failed trial (``reason`` from :func:`failure_reason`); True when the run must stop."""
        self.failed += 1
        self.failures[reason.split(":")[0]] += 1
        self.consecutive += 1
        if self.consecutive >= MAX_CONSECUTIVE_FAILURES:
            self.stopped_reason = f"{self.consecutive} trials failed in a row (last: {reason})"
        return self.stopped_reason is not None

    def count_success(self) -> None:
        """A trial went through: the failure streak ends."""
        self.consecutive = 0


@dataclass
class RunSummary(RunTally):
    """What one search run did: trials completed and failed now, failures by reason, and the study's total."""

    completed: int = 0
    final_batch_trials: int = 1
    told: set[int] = field(default_factory=set)
    """Trials this worker completed."""


@dataclass
class TrialHooks:
    """Progress callbacks (the CLI wires rich progress bars to these)."""

    on_batch_start: Callable[[list[int]], None] = lambda numbers: None
    on_step: Callable[[int, int], None] = lambda done, total: None
    on_trial_end: Callable[[optuna.trial.FrozenTrial], None] = lambda trial: None


def complete_trials(study: optuna.Study) -> int:
    """Number of COMPLETE trials (feasible or not)."""
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def objective_values(evaluation: Evaluation, objectives: Sequence[str]) -> list[float]:
    """The values of ``objectives`` (names of :data:`~optimizer._keys.OBJECTIVE_DIRECTIONS`) for one evaluation."""
    table = {"clap": evaluation.clap.mean, "repetition": evaluation.repetition.mean,
             "diversity": evaluation.diversity.mean, "fad": evaluation.fad}
    missing = [name for name in objectives if table.get(name) is None]
    if missing:
        raise ValueError(f"objective(s) {missing} not measured by this evaluator (fad needs a reference set).")
    return [float(table[name]) for name in objectives]  # type: ignore[arg-type]


def record_evaluation(trial: optuna.Trial, evaluation: Evaluation,
                      objectives: Sequence[str] = _keys.OBJECTIVES) -> list[float]:
    """Store an evaluation on ``trial`` (user attrs and constraints); return the values of ``objectives``.

    Raises:
        ValueError: an objective is NaN or infinite (the trial must then be failed, not told).
    """
    values = objective_values(evaluation, objectives)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"non-finite objective values {values}")
    trial.set_user_attr(_keys.PARAMS, evaluation.params.to_dict())
    scores = {"clap": evaluation.clap.to_dict(), "repetition": evaluation.repetition.to_dict(),
              "diversity": evaluation.diversity.to_dict()}
    if evaluation.raw_repetition is not None:  # the objective is the excess over the genre; keep the raw share too
        scores["raw_repetition"] = evaluation.raw_repetition.to_dict()
    if evaluation.token_repetition is not None:
        scores["token_repetition"] = evaluation.token_repetition.to_dict()
    if evaluation.fad is not None:
        scores["fad"] = evaluation.fad
    trial.set_user_attr(_keys.SCORES, scores)
    trial.set_user_attr(_keys.PER_PROMPT, evaluation.per_prompt())
    trial.set_user_attr(_keys.DEGENERACY, {"constraints": evaluation.constraints, "feasible": evaluation.feasible})
    trial.set_user_attr(_keys.TIMING, {"generation_s": evaluation.generation_seconds,
                                       "scoring_s": evaluation.scoring_seconds})
    for name, value in evaluation.constraints.items():
        trial.set_constraint(name, value)
    return values


def run_trials(
    study: optuna.Study,
    *,
    evaluator: Evaluator,
    space: SearchSpace,
    n_trials: int,
    batch_trials: int = 1,
    hooks: TrialHooks | None = None,
    save_audio: Path | None = None,
    heartbeat_interval: float | None = None,
    poll_interval: float = 2.0,
    artifact_store: FileSystemArtifactStore | None = None,
    objectives: Sequence[str] = _keys.OBJECTIVES,
) -> RunSummary:
    """Run trials until the study holds ``n_trials`` COMPLETE trials (a total, so re-running resumes).

    Asks up to ``batch_trials`` trials at once (the sampler's constant liar keeps them apart), evaluates
    them in one batched decoding pass, and tells each. On out-of-memory the batch is split in halves and
    the same trials are retried, and later batches use the smaller size. A trial whose generation or
    scoring raises otherwise (NaN scores, a backend error, a full disk) is told FAIL with the reason in the
    ``mgopt:failure:v1`` user attr (a failing batch is retried trial by trial to find which) and the run
    goes on; after :data:`MAX_CONSECUTIVE_FAILURES` failures in a row it stops. Ctrl-C fails the running
    trials (so none is left RUNNING) and re-raises ``KeyboardInterrupt``.

    With ``heartbeat_interval`` set, several workers may share the study: running trials carry a heartbeat
    (:class:`~optimizer._workers.Heartbeat`), trials silent for five intervals are failed and retried once
    (:func:`~optimizer._workers.recover_stale_trials`), and the running trials of all workers count against
    ``n_trials`` so the study stops at exactly ``n_trials`` COMPLETE trials; a worker with nothing left to
    ask waits ``poll_interval`` seconds and looks again until the others finish.

    Args:
        study: the study (objectives: CLAP, repetition).
        evaluator: the composite objective.
        space: the search space.
        n_trials: target number of COMPLETE trials in the study, >= 1.
        batch_trials: most trials evaluated together, >= 1.
        hooks: progress callbacks.
        save_audio: folder for the clips as ``trial_0007_p02_r01.wav``, or None.
        heartbeat_interval: seconds between heartbeats; None for a worker that is alone on its study.
        poll_interval: seconds between looks while other workers hold the remaining trials.
        artifact_store: where each trial's clips, spectrogram sheet go for optuna-dashboard (with a note);
            None to skip.
        objectives: the study's objectives, in the order of its directions.
    """
    if batch_trials < 1:
        raise ValueError(f"batch_trials must be >= 1 but got {batch_trials}.")
    hooks = hooks or TrialHooks()
    heartbeat = Heartbeat(heartbeat_interval) if heartbeat_interval is not None else None
    summary = RunSummary(total_complete=complete_trials(study))
    summary.complete_at_start = summary.total_complete >= n_trials
    batch = Batcher(evaluator, limit=batch_trials)
    with heartbeat if heartbeat is not None else nullcontext():
        while True:
            if heartbeat is not None:
                summary.recovered += len(recover_stale_trials(study, grace=5 * heartbeat.interval))
            requeue_lost_baselines(study)
            summary.total_complete, free = open_slots(study, n_trials=n_trials, count_running=heartbeat is not None)
            if summary.total_complete >= n_trials:
                break
            if free == 0:
                time.sleep(poll_interval)  # the other workers hold the remaining trials
                continue
            trials = ask_trials(study, min(batch.limit, free), n_trials=n_trials, heartbeat=heartbeat,
                                check_surplus=heartbeat is not None)
            if not trials:
                continue
            told: set[int] = set()
            try:
                hooks.on_batch_start([t.number for t in trials])
                for trial, outcome in suggest_and_evaluate(trials, space, batch, on_step=hooks.on_step):
                    if not isinstance(outcome, BaseException):
                        try:
                            values = record_evaluation(trial, outcome, objectives)
                            if save_audio is not None:
                                _save_clips(save_audio, trial.number, outcome)
                            if artifact_store is not None:
                                upload_trial_artifacts(trial, outcome, artifact_store)
                        except Exception as exc:  # e.g. NaN scores, a full disk
                            outcome = exc
                    with shielded():  # a trial told is always noted as told
                        if isinstance(outcome, BaseException):
                            reason = failure_reason(outcome)
                            fail_trial(study, trial, reason)
                            told.add(trial.number)
                            summary.count_failure(reason)
                        else:
                            frozen = study.tell(trial, values)
                            told.add(trial.number)
                            summary.count_success()
                            summary.completed += 1
                            summary.total_complete += 1
                            summary.told.add(trial.number)
                    if not isinstance(outcome, BaseException):
                        hooks.on_trial_end(frozen)
                    if heartbeat is not None:
                        heartbeat.forget(trial)
            except KeyboardInterrupt:
                fail_interrupted(study, [t for t in trials if t.number not in told])
                raise
            if summary.stopped_reason:
                break
    summary.final_batch_trials = batch.limit
    return summary


class Batcher:
    """Evaluates configurations together, halving on out-of-memory and isolating other failures.

    Args:
        evaluator: the composite objective.
        limit: most configurations a caller should pass at once; lowered when a batch runs out of memory.
    """

    def __init__(self, evaluator: Evaluator, *, limit: int) -> None:
        self.evaluator = evaluator
        self.limit = limit

    def evaluate(self, configs: list[DecodingParams], *, on_step: Callable[[int, int], None]
                 ) -> list[Evaluation | BaseException]:
        if not configs:
            return []
        try:
            return list(self.evaluator.evaluate_many(configs, on_step=on_step))
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            if len(configs) == 1:
                return [exc]
            if is_out_of_memory(exc):
                release_memory()
                half = len(configs) // 2
                self.limit = max(1, min(self.limit, half))
                return self.evaluate(configs[:half], on_step=on_step) + self.evaluate(configs[half:], on_step=on_step)
            return [r for c in configs for r in self.evaluate([c], on_step=on_step)]


def ask_trials(study: optuna.Study, count: int, *, n_trials: int, heartbeat: Heartbeat | None,
               check_surplus: bool) -> list[optuna.Trial]:
    """Ask ``count`` trials, mark them with this worker (``mgopt:worker:v1``) and watch them with ``heartbeat``.

    With ``check_surplus`` (several workers may share the study), trials that simultaneous asking by other
    workers made surplus to ``n_trials`` (:func:`~optimizer._workers.surplus_trials`) are failed at once and
    left out.

    Returns:
        The trials to evaluate, possibly none.
    """
    trials: list[optuna.Trial] = []
    try:
        with shielded():  # an interrupt is raised once the trials are asked and marked, and fails them here
            for _ in range(count):
                trials.append(study.ask())
                trials[-1].set_user_attr(_keys.WORKER, WORKER_ID)
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
                         on_step: Callable[[int, int], None]) -> list[tuple[optuna.Trial, Evaluation | BaseException]]:
    """Suggest a configuration for each trial and evaluate all of them in one batched pass.

    A sampler fault (``space.suggest`` raising) or an evaluation fault is returned as that trial's outcome, so
    it fails that trial only; ``KeyboardInterrupt`` propagates.

    Returns:
        ``(trial, evaluation or exception)`` for each of ``trials``, in order.
    """
    suggested: list[tuple[optuna.Trial, DecodingParams | BaseException]] = []
    for trial in trials:
        try:
            suggested.append((trial, space.suggest(trial)))
        except Exception as exc:  # a sampler fault fails this trial only
            suggested.append((trial, exc))
    ready = [(t, p) for t, p in suggested if isinstance(p, DecodingParams)]
    results = dict(zip([t.number for t, _ in ready], batch.evaluate([p for _, p in ready], on_step=on_step),
                       strict=True))
    return [(trial, params if isinstance(params, BaseException) else results[trial.number])
            for trial, params in suggested]


def failure_reason(exc: BaseException) -> str:
    """``"<kind>: <first line>"`` (kind ``out_of_memory`` or the exception's type), at most ~300 characters:
    what a failed trial's ``mgopt:failure:v1`` says."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = "out_of_memory" if "out of memory" in text.lower() else type(exc).__name__
    return f"{kind}: {text[:300]}" if text else kind


def fail_trial(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    """Record ``reason`` in ``mgopt:failure:v1`` and tell ``trial`` FAIL."""
    trial.set_user_attr(_keys.FAILURE, reason)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)


def fail_interrupted(study: optuna.Study, trials: Sequence[optuna.Trial], reason: str = "interrupted") -> list[int]:
    """Fail each of ``trials`` with ``reason`` after an interrupt, skipping any another worker (or a tell the
    interrupt cut short) already finished, so one such trial never stops the others from being failed.

    Returns:
        Numbers of the trials this call failed.
    """
    failed = []
    for trial in trials:
        try:
            fail_trial(study, trial, reason)
        except (ValueError, RuntimeError):  # already finished (UpdateFinishedTrialError is a RuntimeError)
            continue
        failed.append(trial.number)
    return failed


def running_trials_of_this_worker(study: optuna.Study) -> list[int]:
    """Numbers of RUNNING trials asked by this process (``mgopt:worker:v1``) that do not await a listener's
    rating: what an interrupted run must not leave behind."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    return [t.number for t in running
            if t.user_attrs.get(_keys.WORKER) == WORKER_ID and _keys.AWAITING_RATING not in t.user_attrs]


def _save_clips(folder: Path, number: int, evaluation: Evaluation) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for clip, wave in zip(evaluation.clips, evaluation.audio.audio, strict=True):
        name = f"trial_{number:04d}_p{clip.prompt_index:02d}_r{clip.replicate:02d}.wav"
        soundfile.write(folder / name, wave.clip(-1.0, 1.0), evaluation.audio.sample_rate, subtype="PCM_16")
