"""``optimize`` without a mode flag: run (or resume) the search, then export the presets once across workers.

:func:`open_run` is shared with ``--human`` (:mod:`optimizer.run._human`): everything up to the first trial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console

from optimizer._errors import EXIT_FAILED
from optimizer.run._conditioning import check_melody_model
from optimizer.run._export import export_once
from optimizer.run._models import load_models, load_reference, loaded_spec, say_estimate, trials_per_pass
from optimizer.run._options import RunOptions
from optimizer.run._outputs import check_presets_path, clips_folder, default_name, precheck_clips
from optimizer.run._resources import (
    artifact_dir,
    artifact_store,
    precheck_artifact_dir,
    precheck_storage,
    resume_command,
)
from optimizer.run._setup import Setup

__all__ = ["OpenRun", "open_run", "report_failures", "run_search"]


@dataclass(frozen=True)
class OpenRun:
    """A study opened for trials, with its models loaded.

    Attributes:
        storage: the Optuna storage.
        study: the study (created with its reference trials enqueued, or resumed).
        evaluator: the :class:`objectives._evaluation.Evaluator` of the setup's prompts and seeds.
        models: ``(generator, clap, device)``.
        reference: CLAP statistics of ``--reference``, or None.
        batch_trials: trials decoded together in one pass.
        artifact_store: the artifact store, or None with ``--no-artifacts``.
        done: completed trials the study held when it was opened.
    """

    storage: Any
    study: Any
    evaluator: Any
    models: tuple
    reference: Any
    batch_trials: int
    artifact_store: Any
    done: int


def open_run(opts: RunOptions, setup: Setup, console: Console, *, before_load=None) -> OpenRun:
    """Check every output, load the models, then open or create the study and say so.

    Args:
        opts: parsed ``optimize`` options.
        setup: the run's :class:`~optimizer.run._setup.Setup`.
        console: stderr.
        before_load: called after the output checks and before any model loads (``--human --dashboard`` binds
            its port there), or None.

    Raises:
        UsageError: an incompatible study, an unwritable folder or storage, a model that cannot be loaded.
    """
    from objectives import Evaluator
    from optimizer.search import (
        count_finished,
        enqueue_references,
        load_or_create_study,
        make_sampler,
        open_storage,
        parse_storage,
    )

    kind = "human" if opts.human else ""  # a rated study has its own name and preset file, as pairwise has
    name = opts.study_name or default_name(setup.genre.name, opts.model, kind)
    precheck_storage(opts.storage, name, setup.spec)
    check_presets_path(opts, setup.genre.name, name, kind)
    precheck_clips(opts, name)
    if not opts.no_artifacts:
        precheck_artifact_dir(artifact_dir(opts))
    if before_load is not None:
        before_load()
    generator, clap, device = load_models(opts, setup.clap_name, console)
    conditioning = setup.conditioning
    if conditioning.melodies and conditioning.melody_model is None:  # the name did not tell: the class does, once
        check_melody_model(opts.model, conditioning.melodies, generator)
    # what ran, from the loaded model: its channel count and the library that decodes it
    spec = loaded_spec(setup.spec, generator)
    reference = load_reference(opts, clap, console, digest=setup.reference)
    clips = len(setup.prompts) * opts.replicates
    batch_trials = trials_per_pass(opts, generator, device, clips_per_config=clips)
    store = None if opts.no_artifacts else artifact_store(opts)
    storage = open_storage(opts.storage)
    study, created = load_or_create_study(storage, name, spec, make_sampler(opts.sampler, seed=opts.seed))
    if created:
        enqueue_references(study, setup.genre.search_space, setup.genre.baseline)
    evaluator = Evaluator(generator=generator, clap=clap, prompts=setup.prompts, replicates=opts.replicates,
                          duration=opts.duration, reference=reference,
                          repetition_reference=spec.repetition_reference, **setup.conditioning.evaluator_kwargs())
    done = count_finished(study)  # COMPLETE, and trials racing stopped: --trials counts both
    verb = "Creating" if created else "Resuming"
    shown = parse_storage(opts.storage).display
    console.print(f"{verb} study [bold]{name}[/bold] in {shown}: {done} of {opts.trials} trials "
                  f"{'rated' if opts.human else 'done'}; "
                  f"{len(setup.prompts)} prompts x {opts.replicates} seeds x {opts.duration:g} s per trial, "
                  f"{batch_trials} trial(s) per decoding pass.")
    return OpenRun(storage=storage, study=study, evaluator=evaluator, models=(generator, clap, device),
                   reference=reference, batch_trials=batch_trials, artifact_store=store, done=done)


def run_search(opts: RunOptions, setup: Setup, console: Console) -> int:
    """Run the search until the study holds ``--trials`` completed trials, then export; returns the exit code."""
    from optimizer.run._console import trial_progress
    from optimizer.search import DEFAULT_LEVEL, run_trials

    run = open_run(opts, setup, console)
    clips = clips_folder(opts, run.study.study_name)
    if clips is not None:
        console.print(f"Saving each trial's clips in {clips}", markup=False, highlight=False)
    generator, _, device = run.models
    say_estimate(opts, console, generator, setup.prompts, device, trials=opts.trials - run.done,
                 batch_trials=run.batch_trials)
    racing_level = (opts.racing_level or DEFAULT_LEVEL) if opts.racing else None
    if racing_level is not None:
        console.print(f"Racing at level {racing_level:g}: each trial is decoded in stages and stopped once degenerate "
                      "or dominated by the feasible front; stopped trials count towards --trials, never as presets.",
                      markup=False, highlight=False)
    try:
        with trial_progress(console, done=run.done, target=opts.trials) as hooks:
            summary = run_trials(run.study, evaluator=run.evaluator, space=setup.genre.search_space,
                                 n_trials=opts.trials, batch_trials=run.batch_trials, hooks=hooks,
                                 save_audio=clips, heartbeat_interval=opts.heartbeat_interval,
                                 artifact_store=run.artifact_store, objectives=setup.spec.objectives,
                                 racing_level=racing_level)
    except KeyboardInterrupt:
        return _interrupted(run.study, console, grace=5 * opts.heartbeat_interval)
    stopped = report_failures(summary, console)
    if stopped is not None:
        return stopped
    if summary.stopped:
        console.print(f"Racing stopped {summary.stopped} of this run's {summary.stopped + summary.completed} trial(s) "
                      "early (PRUNED, with their partial scores in mgopt:racing:v1); presets come from fully "
                      "evaluated trials only.",
                      markup=False, highlight=False)
    if summary.recovered:
        console.print(f"Recovered {summary.recovered} stale trial(s) of crashed workers (failed, parameters retried).")
    return export_once(run.study, setup, opts, console, summary, models=run.models, reference=run.reference)


def _interrupted(study, console: Console, *, grace: float) -> int:
    """After the runner failed its running trials on an interrupt: say what storage shows (not what was meant
    to happen) and return 130 (Ctrl-C) or 143 (SIGTERM)."""
    from optimizer.search import exit_code, interrupt_name, running_trials_of_this_worker

    how = interrupt_name()
    try:
        left = running_trials_of_this_worker(study)
    except Exception as exc:  # the storage went away: say so rather than guess
        console.print(f"Interrupted by {how}; could not check the study ({type(exc).__name__}): trials of this run "
                      f"still RUNNING are failed by the next run after {grace:g} s without a heartbeat. Resume with:"
                      f"\n  {resume_command()}", markup=False, highlight=False)
        return exit_code()
    if left:
        console.print(f"Interrupted by {how}: trial(s) {left} could not be failed and stay RUNNING until a run fails "
                      f"them after {grace:g} s without a heartbeat. Resume with:\n  {resume_command()}",
                      markup=False, highlight=False)
    else:
        console.print(f"Interrupted by {how}: the trials this run was evaluating are failed ('interrupted'); none is "
                      f"left running. Resume with:\n  {resume_command()}", markup=False, highlight=False)
    return exit_code()


def report_failures(summary, console: Console) -> int | None:
    """Print a run's failed trials by reason; return :data:`EXIT_FAILED` (with the resume command) when the
    run stopped on consecutive failures, else None. ``summary`` has ``failed``, ``failures`` (a Counter of
    reasons) and ``stopped_reason``."""
    if summary.failed:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.failures.most_common())
        console.print(f"[yellow]{summary.failed} trial(s) failed ({reasons}); see the mgopt:failure:v1 user attr.")
    if summary.stopped_reason:
        console.print(f"[red]Stopped: {summary.stopped_reason}.[/red] Fix the cause and resume with:\n"
                      f"  {resume_command()}")
        return EXIT_FAILED
    return None
