"""The search: space, samplers, genre files, study and storage, workers and heartbeats, baselines, interrupts,
the trial loop and the dashboard artifacts (clips, spectrogram sheet, note) it uploads.

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.search._artifacts import default_artifact_dir, open_artifact_store, upload_trial_artifacts
    from optimizer.search._baselines import enqueue_references, requeue_lost_baselines
    from optimizer.search._estimate import RATE_ENV, estimate_run, rate_from_env
    from optimizer.search._genre import Genre, list_genres, load_genre, load_genre_file
    from optimizer.search._interrupts import exit_code, handle_interrupts, interrupt_name, raise_if_stopping
    from optimizer.search._loop import Batcher, RunTally, TrialLoop
    from optimizer.search._racing import DEFAULT_LEVEL, Stopped, Verdict
    from optimizer.search._racing_run import RacingBatcher
    from optimizer.search._racing_study import count_finished, stopped_trials
    from optimizer.search._runner import RunSummary, TrialHooks, record_evaluation, run_trials
    from optimizer.search._samplers import DEFAULT_SAMPLER, SAMPLERS, make_sampler
    from optimizer.search._space import SearchSpace
    from optimizer.search._storage import connect_args, engine_options
    from optimizer.search._storage_check import check_rdb
    from optimizer.search._storage_spec import mask_secrets, open_error, parse_storage
    from optimizer.search._study import (
        StudySpec,
        check_compatible,
        check_new_storage_file,
        check_same_setup,
        default_study_name,
        find_study,
        load_existing_study,
        load_or_create_study,
        open_storage,
        storage_file,
    )
    from optimizer.search._trials import count_complete, fail_trial
    from optimizer.search._workers import WORKER_ID, Heartbeat, is_last_finisher, running_trials_of_this_worker

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_SAMPLER",
    "RATE_ENV",
    "SAMPLERS",
    "WORKER_ID",
    "Batcher",
    "Genre",
    "Heartbeat",
    "RacingBatcher",
    "RunSummary",
    "RunTally",
    "SearchSpace",
    "Stopped",
    "StudySpec",
    "TrialHooks",
    "TrialLoop",
    "Verdict",
    "check_compatible",
    "check_new_storage_file",
    "check_rdb",
    "check_same_setup",
    "connect_args",
    "count_complete",
    "count_finished",
    "default_artifact_dir",
    "default_study_name",
    "engine_options",
    "enqueue_references",
    "estimate_run",
    "exit_code",
    "fail_trial",
    "find_study",
    "handle_interrupts",
    "interrupt_name",
    "is_last_finisher",
    "list_genres",
    "load_existing_study",
    "load_genre",
    "load_genre_file",
    "load_or_create_study",
    "make_sampler",
    "mask_secrets",
    "open_artifact_store",
    "open_error",
    "open_storage",
    "parse_storage",
    "raise_if_stopping",
    "rate_from_env",
    "record_evaluation",
    "requeue_lost_baselines",
    "run_trials",
    "running_trials_of_this_worker",
    "stopped_trials",
    "storage_file",
    "upload_trial_artifacts",
]

_LAZY = {
    "default_artifact_dir": "optimizer.search._artifacts",
    "open_artifact_store": "optimizer.search._artifacts",
    "upload_trial_artifacts": "optimizer.search._artifacts",
    "enqueue_references": "optimizer.search._baselines",
    "requeue_lost_baselines": "optimizer.search._baselines",
    "RATE_ENV": "optimizer.search._estimate",
    "estimate_run": "optimizer.search._estimate",
    "rate_from_env": "optimizer.search._estimate",
    "Genre": "optimizer.search._genre",
    "list_genres": "optimizer.search._genre",
    "load_genre": "optimizer.search._genre",
    "load_genre_file": "optimizer.search._genre",
    "exit_code": "optimizer.search._interrupts",
    "handle_interrupts": "optimizer.search._interrupts",
    "interrupt_name": "optimizer.search._interrupts",
    "raise_if_stopping": "optimizer.search._interrupts",
    "Batcher": "optimizer.search._loop",
    "RunTally": "optimizer.search._loop",
    "TrialLoop": "optimizer.search._loop",
    "DEFAULT_LEVEL": "optimizer.search._racing",
    "Stopped": "optimizer.search._racing",
    "Verdict": "optimizer.search._racing",
    "RacingBatcher": "optimizer.search._racing_run",
    "count_finished": "optimizer.search._racing_study",
    "stopped_trials": "optimizer.search._racing_study",
    "RunSummary": "optimizer.search._runner",
    "TrialHooks": "optimizer.search._runner",
    "record_evaluation": "optimizer.search._runner",
    "run_trials": "optimizer.search._runner",
    "DEFAULT_SAMPLER": "optimizer.search._samplers",
    "SAMPLERS": "optimizer.search._samplers",
    "make_sampler": "optimizer.search._samplers",
    "SearchSpace": "optimizer.search._space",
    "connect_args": "optimizer.search._storage",
    "engine_options": "optimizer.search._storage",
    "check_rdb": "optimizer.search._storage_check",
    "mask_secrets": "optimizer.search._storage_spec",
    "open_error": "optimizer.search._storage_spec",
    "parse_storage": "optimizer.search._storage_spec",
    "StudySpec": "optimizer.search._study",
    "check_compatible": "optimizer.search._study",
    "check_new_storage_file": "optimizer.search._study",
    "check_same_setup": "optimizer.search._study",
    "default_study_name": "optimizer.search._study",
    "find_study": "optimizer.search._study",
    "load_existing_study": "optimizer.search._study",
    "load_or_create_study": "optimizer.search._study",
    "open_storage": "optimizer.search._study",
    "storage_file": "optimizer.search._study",
    "count_complete": "optimizer.search._trials",
    "fail_trial": "optimizer.search._trials",
    "Heartbeat": "optimizer.search._workers",
    "WORKER_ID": "optimizer.search._workers",
    "is_last_finisher": "optimizer.search._workers",
    "running_trials_of_this_worker": "optimizer.search._workers",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
