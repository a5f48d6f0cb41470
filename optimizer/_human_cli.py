"""The ``optimize --human`` part of the CLI: register the rating form, wait for ratings, say where to rate."""

from __future__ import annotations

import argparse
from contextlib import nullcontext

import optuna
from optuna.artifacts import FileSystemArtifactStore
from rich.console import Console

from objectives._evaluation import Evaluator
from optimizer._space import SearchSpace
from optimizer._study import StudySpec

__all__ = ["run_human"]


def run_human(args: argparse.Namespace, console: Console, *, storage: optuna.storages.BaseStorage,
              study: optuna.Study, evaluator: Evaluator,
              space: SearchSpace, spec: StudySpec, batch_trials: int, artifact_store: FileSystemArtifactStore,
              dashboard=None) -> int | None:
    """Run :func:`~optimizer._human.run_rated_trials` for the CLI, serving optuna-dashboard on ``dashboard`` (a
    bound :class:`~optimizer._dashboard_server.BackgroundDashboard`, or None) meanwhile and closing it after.

    Returns:
        None once the study holds ``--trials`` rated trials (the caller exports the presets), else the exit
        code: 1 after repeated failures, 130 on Ctrl-C (trials awaiting a rating stay open for the next run).
    """
    from optimizer._cli import _artifact_dir, _resume_command, report_failures
    from optimizer._console import rating_progress
    from optimizer._human import awaiting_trials, register_rating_form, run_rated_trials
    from optimizer._review_command import dashboard_command
    from optimizer._runner import complete_trials
    from optimizer._study import open_storage

    register_rating_form(study, spec.objectives)
    study_id = storage.get_study_id_from_name(study.study_name)
    if dashboard is not None:
        where = f"{dashboard.url}/dashboard/studies/{study_id}"
    else:
        where = "the dashboard: " + dashboard_command(args.storage, _artifact_dir(args))
    waiting = len(awaiting_trials(study))
    if waiting:
        console.print(f"{waiting} trial(s) from an earlier run await a rating; they are not generated again.")
    console.print(f"Rate each trial's clips 1-10 in the trial page's form at {where}")
    with dashboard if dashboard is not None else nullcontext():
        if dashboard is not None:
            dashboard.serve(storage=open_storage(args.storage), artifact_store=artifact_store)
            if args.host not in ("127.0.0.1", "localhost", "::1"):
                console.print(f"[yellow]The dashboard listens on {args.host}: reachable from other machines.[/yellow]")
        try:
            with rating_progress(console, done=complete_trials(study), target=args.trials, where=where) as hooks:
                summary = run_rated_trials(study, evaluator=evaluator, space=space, n_trials=args.trials,
                                           pending=args.pending, artifact_store=artifact_store,
                                           objectives=spec.objectives, batch_trials=batch_trials, hooks=hooks,
                                           heartbeat_interval=args.heartbeat_interval)
        except KeyboardInterrupt:
            from optimizer import _interrupts
            from optimizer._runner import running_trials_of_this_worker

            left = len(awaiting_trials(study))
            stuck = running_trials_of_this_worker(study)
            stuck_text = (f" Trial(s) {stuck} could not be failed and stay RUNNING until a run fails them as stale."
                          if stuck else "")
            console.print(f"Interrupted by {_interrupts.interrupt_name()}: {left} trial(s) still await a rating and "
                          f"can be rated at any time.{stuck_text} Wait for more ratings with:\n  {_resume_command()}")
            return _interrupts.exit_code()
    return report_failures(summary, console)

