"""``optimize --human``: generate trials, wait for the listener's 1-10 ratings in optuna-dashboard (served meanwhile
with ``--dashboard``), then validate and export like the search."""

from __future__ import annotations

from contextlib import nullcontext

import optuna
from optuna.artifacts import FileSystemArtifactStore
from rich.console import Console

from objectives import Evaluator
from optimizer.run._export import validate_and_export
from optimizer.run._options import RunOptions
from optimizer.run._resources import artifact_dir, resume_command
from optimizer.run._search import open_run, report_failures
from optimizer.run._setup import Setup
from optimizer.search import SearchSpace, StudySpec

__all__ = ["run_human", "run_human_mode"]


def run_human_mode(opts: RunOptions, setup: Setup, console: Console) -> int:
    """Run (or resume) the rated study until it holds ``--trials`` rated trials, then export; the exit code."""
    bound: list = []
    if opts.dashboard:
        from optimizer.run._dashboard import bind_dashboard

        run = open_run(opts, setup, console, before_load=lambda: bound.append(bind_dashboard(opts)))
    else:
        run = open_run(opts, setup, console)
    assert run.artifact_store is not None  # human with no_artifacts is refused (optimizer.run._modes)
    code = run_human(opts, console, storage=run.storage, study=run.study, evaluator=run.evaluator,
                     space=setup.genre.search_space, spec=setup.spec, batch_trials=run.batch_trials,
                     artifact_store=run.artifact_store, dashboard=bound[0] if bound else None)
    if code is not None:
        return code
    return validate_and_export(run.study, setup, opts, console, models=run.models, batch_trials=run.batch_trials,
                               reference=run.reference)


def run_human(opts: RunOptions, console: Console, *, storage: optuna.storages.BaseStorage,
              study: optuna.Study, evaluator: Evaluator,
              space: SearchSpace, spec: StudySpec, batch_trials: int, artifact_store: FileSystemArtifactStore,
              dashboard=None) -> int | None:
    """Run :func:`~optimizer.review._human.run_rated_trials`, serving optuna-dashboard on ``dashboard`` (a
    bound :class:`~optimizer.review._dashboard_server.BackgroundDashboard`, or None) meanwhile and closing it after.

    Returns:
        None once the study holds ``--trials`` rated trials (the caller exports the presets), else the exit
        code: 1 after repeated failures, 130 on Ctrl-C (trials awaiting a rating stay open for the next run).
    """
    from optimizer.review import awaiting_trials, dashboard_command, register_rating_form, run_rated_trials
    from optimizer.run._console import rating_progress
    from optimizer.search import count_complete, open_storage

    register_rating_form(study, spec.objectives)
    study_id = storage.get_study_id_from_name(study.study_name)
    if dashboard is not None:
        where = f"{dashboard.url}/dashboard/studies/{study_id}"
    else:
        where = "the dashboard: " + dashboard_command(opts.storage, artifact_dir(opts))
    waiting = len(awaiting_trials(study))
    if waiting:
        console.print(f"{waiting} trial(s) from an earlier run await a rating; they are not generated again.")
    console.print(f"Rate each trial's clips 1-10 in the trial page's form at {where}")
    with dashboard if dashboard is not None else nullcontext():
        if dashboard is not None:
            dashboard.serve(storage=open_storage(opts.storage), artifact_store=artifact_store)
            if opts.host not in ("127.0.0.1", "localhost", "::1"):
                console.print(f"[yellow]The dashboard listens on {opts.host}: reachable from other machines.[/yellow]")
        try:
            with rating_progress(console, done=count_complete(study), target=opts.trials, where=where) as hooks:
                summary = run_rated_trials(study, evaluator=evaluator, space=space, n_trials=opts.trials,
                                           pending=opts.pending, artifact_store=artifact_store,
                                           objectives=spec.objectives, batch_trials=batch_trials, hooks=hooks,
                                           heartbeat_interval=opts.heartbeat_interval)
        except KeyboardInterrupt:
            from optimizer.search import exit_code, interrupt_name, running_trials_of_this_worker

            left = len(awaiting_trials(study))
            stuck = running_trials_of_this_worker(study)
            stuck_text = (f" Trial(s) {stuck} could not be failed and stay RUNNING until a run fails them as stale."
                          if stuck else "")
            console.print(f"Interrupted by {interrupt_name()}: {left} trial(s) still await a rating and "
                          f"can be rated at any time.{stuck_text} Wait for more ratings with:\n  {resume_command()}")
            return exit_code()
    return report_failures(summary, console)

