"""Search mode of the trial loop: every trial is scored automatically and told its values.

:func:`run_trials` drives :class:`~optimizer.search._loop.TrialLoop` with :class:`SearchPolicy`; the loop's shared
parts (asking, batching, failing, interrupts) live in :mod:`optimizer.search._loop` and
:mod:`optimizer.search._trials`, re-exported here for callers of the search runner.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import soundfile
from optuna.artifacts import FileSystemArtifactStore

from objectives import Evaluation, Evaluator, diagnostics, get_objective, registered
from optimizer import _keys
from optimizer._payloads import write
from optimizer._record_payloads import PerPrompt, TrialParams
from optimizer._trial_payloads import Degeneracy, PromptScores, Timing, TrialScores
from optimizer.search._artifacts import upload_trial_artifacts
from optimizer.search._baselines import enqueue_references, requeue_lost_baselines
from optimizer.search._loop import (
    MAX_CONSECUTIVE_FAILURES,
    Batcher,
    RunTally,
    TrialLoop,
    ask_trials,
    suggest_and_evaluate,
)
from optimizer.search._racing import Stopped
from optimizer.search._racing_run import RacingBatcher
from optimizer.search._racing_study import count_finished, race_front
from optimizer.search._space import SearchSpace
from optimizer.search._trials import count_complete, fail_interrupted, fail_trial, failure_reason
from optimizer.search._workers import WORKER_ID, Heartbeat, open_slots, running_trials_of_this_worker

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "WORKER_ID",
    "Batcher",
    "RunSummary",
    "RunTally",
    "SearchPolicy",
    "TrialHooks",
    "ask_trials",
    "count_complete",
    "enqueue_references",
    "fail_interrupted",
    "fail_trial",
    "failure_reason",
    "objective_values",
    "record_evaluation",
    "run_trials",
    "running_trials_of_this_worker",
    "suggest_and_evaluate",
]


@dataclass
class RunSummary(RunTally):
    """What one search run did: trials completed, stopped by racing (``stopped``) and failed now, failures by
    reason, and the study's total of finished trials."""

    completed: int = 0
    final_batch_trials: int = 1
    told: set[int] = field(default_factory=set)
    """Trials this worker completed or stopped."""


@dataclass
class TrialHooks:
    """Progress callbacks (the CLI wires rich progress bars to these)."""

    on_batch_start: Callable[[list[int]], None] = lambda numbers: None
    on_step: Callable[[int, int], None] = lambda done, total: None
    on_trial_end: Callable[[optuna.trial.FrozenTrial], None] = lambda trial: None
    on_trial_stopped: Callable[[optuna.Trial, Stopped], None] = lambda trial, stop: None
    """A trial racing stopped (about to be told PRUNED)."""


def objective_values(evaluation: Evaluation, objectives: Sequence[str]) -> list[float]:
    """The values of ``objectives`` (names in :mod:`objectives._registry`) for one evaluation."""
    values = {name: get_objective(name).value(evaluation) for name in objectives}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise ValueError(f"objective(s) {missing} not measured by this evaluator (fad needs a reference set, "
                         "melody needs melodies).")
    return [float(v) for v in values.values()]  # type: ignore[arg-type]


def record_evaluation(trial: optuna.Trial, evaluation: Evaluation,
                      objectives: Sequence[str] = _keys.BASE_OBJECTIVES) -> list[float]:
    """Store an evaluation on ``trial`` (user attrs and constraints); return the values of ``objectives``.

    Raises:
        ValueError: an objective is NaN or infinite (the trial must then be failed, not told).
    """
    values = objective_values(evaluation, objectives)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"non-finite objective values {values}")
    write(trial, TrialParams.of(evaluation.params))
    # every objective, then every recorded-only diagnostic (raw and token repetition, stereo image, continuity)
    scores = ({o.name: o.stored(evaluation) for o in registered()}
              | {d.name: d.stored(evaluation) for d in diagnostics()})
    scores = {name: score for name, score in scores.items() if score is not None}
    write(trial, TrialScores.from_dict(scores))
    write(trial, PerPrompt(PromptScores.list_from_stored(evaluation.per_prompt())))
    write(trial, Degeneracy(evaluation.constraints, evaluation.feasible))
    write(trial, Timing(evaluation.generation_seconds, evaluation.scoring_seconds))
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
    objectives: Sequence[str] = _keys.BASE_OBJECTIVES,
    racing_level: float | None = None,
) -> RunSummary:
    """Run trials until the study holds ``n_trials`` finished trials (a total, so re-running resumes): COMPLETE
    ones, and with racing those it stopped.

    Asks up to ``batch_trials`` trials at once (the sampler's constant liar keeps them apart), evaluates
    them in one batched decoding pass, and tells each. On out-of-memory the batch is split in halves and
    the same trials are retried, and later batches use the smaller size. A trial whose generation or
    scoring raises otherwise (NaN scores, a backend error, a full disk) is told FAIL with the reason in the
    ``mgopt:failure:v1`` user attr (a failing batch is retried trial by trial to find which) and the run
    goes on; after :data:`MAX_CONSECUTIVE_FAILURES` failures in a row it stops. Ctrl-C fails the running
    trials (so none is left RUNNING) and re-raises ``KeyboardInterrupt``.

    With ``heartbeat_interval`` set, several workers may share the study: running trials carry a heartbeat
    (:class:`~optimizer.search._workers.Heartbeat`), trials silent for five intervals are failed and retried once
    (:func:`~optimizer.search._workers.recover_stale_trials`), and the running trials of all workers count against
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
        racing_level: None evaluates every trial in full; a level in (0, 0.5) races
            (:class:`~optimizer.search._racing_run.RacingBatcher`): a trial is decoded in stages and told PRUNED
            with its partial scores (``mgopt:racing:v1``) once infeasible or dominated by the feasible front at
            that one-sided level. Only trials that reach the last stage are COMPLETE (and can become presets).

    Raises:
        ValueError: ``batch_trials`` < 1, or ``racing_level`` outside (0, 0.5).
    """
    if batch_trials < 1:
        raise ValueError(f"batch_trials must be >= 1 but got {batch_trials}.")
    if racing_level is not None and not 0.0 < racing_level < 0.5:
        raise ValueError(f"the racing level must be in (0, 0.5) but got {racing_level}.")
    hooks = hooks or TrialHooks()
    heartbeat = Heartbeat(heartbeat_interval) if heartbeat_interval is not None else None
    summary = RunSummary(total_complete=count_finished(study))
    summary.complete_at_start = summary.total_complete >= n_trials
    policy = SearchPolicy(study, n_trials=n_trials, objectives=objectives, hooks=hooks, save_audio=save_audio,
                          artifact_store=artifact_store, poll_interval=poll_interval, summary=summary,
                          shared=heartbeat is not None)
    batcher = Batcher(evaluator, batch_trials=batch_trials) if racing_level is None else RacingBatcher(
        evaluator, batch_trials=batch_trials, front=lambda: race_front(study, objectives, len(evaluator.prompts)),
        objectives=objectives, level=racing_level)
    TrialLoop(study, space, batcher, policy, heartbeat=heartbeat,
              surplus_target=n_trials if heartbeat is not None else None,
              on_batch_start=hooks.on_batch_start, on_step=hooks.on_step, on_stopped=policy.stopped).run(summary)
    summary.final_batch_trials = batcher.batch_trials
    return summary


@dataclass
class SearchPolicy:
    """:class:`~optimizer.search._loop.TrialPolicy` of the search: fill the study to ``n_trials`` COMPLETE trials,
    telling each evaluation's objective values (see :func:`run_trials` for the arguments)."""

    study: optuna.Study
    n_trials: int
    objectives: Sequence[str]
    hooks: TrialHooks
    summary: RunSummary
    save_audio: Path | None = None
    artifact_store: FileSystemArtifactStore | None = None
    poll_interval: float = 2.0
    shared: bool = False
    """Other workers may share the study: their running trials count against ``n_trials``."""

    def capacity(self, tally: RunTally) -> int | None:
        requeue_lost_baselines(self.study)
        tally.total_complete, free = open_slots(self.study, n_trials=self.n_trials, count_running=self.shared)
        return None if tally.total_complete >= self.n_trials else free

    def keep_asking(self) -> bool:
        return True

    def wait(self, tally: RunTally) -> None:
        time.sleep(self.poll_interval)  # the other workers hold the remaining trials

    def record(self, trial: optuna.Trial, evaluation: Evaluation) -> list[float]:
        values = record_evaluation(trial, evaluation, self.objectives)
        if self.save_audio is not None:
            _save_clips(self.save_audio, trial.number, evaluation)
        if self.artifact_store is not None:
            upload_trial_artifacts(trial, evaluation, self.artifact_store)
        return values

    def settled(self, trial: optuna.Trial, evaluation: Evaluation, frozen: optuna.trial.FrozenTrial | None) -> None:
        self.summary.completed += 1
        self.summary.total_complete += 1
        self.summary.told.add(trial.number)
        if frozen is not None:
            self.hooks.on_trial_end(frozen)

    def handed_over(self, trials: Sequence[optuna.Trial]) -> set[int]:
        return set()

    def stopped(self, trial: optuna.Trial, stop: Stopped) -> None:
        """A trial racing stopped, before it is told PRUNED: its configuration, clips so far and a note that says
        it was stopped (not failed)."""
        write(trial, TrialParams.of(stop.evaluation.params))
        if self.save_audio is not None:
            _save_clips(self.save_audio, trial.number, stop.evaluation)
        if self.artifact_store is not None:
            upload_trial_artifacts(trial, stop.evaluation, self.artifact_store, stopped=stop)
        self.summary.told.add(trial.number)
        self.hooks.on_trial_stopped(trial, stop)


def _save_clips(folder: Path, number: int, evaluation: Evaluation) -> None:
    """Write the trial's clips as new files: an existing name (another run's clip, a link) is never replaced or
    followed (:func:`optimizer._outputs.create_new_files`); the trial fails with ``FileExistsError`` instead."""
    import io

    from optimizer._outputs import create_new_files

    folder.mkdir(parents=True, exist_ok=True)
    audio = evaluation.audio
    waves = audio.audio if audio.channels is None else audio.channels.transpose(0, 2, 1)  # stereo: [T, 2], as generate
    files = {}
    for clip, wave in zip(evaluation.clips, waves, strict=True):
        name = f"trial_{number:04d}_p{clip.prompt_index:02d}_r{clip.replicate:02d}.wav"
        data = io.BytesIO()
        soundfile.write(data, wave.clip(-1.0, 1.0), audio.sample_rate, subtype="PCM_16", format="WAV")
        files[folder / name] = data.getvalue()
    create_new_files(files)
