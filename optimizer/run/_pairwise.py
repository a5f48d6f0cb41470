"""``optimize --pairwise``: run (or only export) a pairwise study from :class:`~optimizer.run.RunOptions` (the
listener's side is :mod:`optimizer.review._pairwise`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from optimizer._errors import EXIT_FAILED, UsageError
from optimizer._payloads import has, read, require
from optimizer._study_payloads import PairwiseSetup, StoredSpec
from optimizer.run._export import nothing_to_export_fails, show_presets, write_or_refuse
from optimizer.run._models import load_models, loaded_spec, trials_per_pass
from optimizer.run._options import RunOptions
from optimizer.run._outputs import check_presets_path
from optimizer.run._resources import artifact_dir, artifact_store, precheck_artifact_dir, resume_command

__all__ = ["MAX_COMPARE", "check_pairwise_args", "run_pairwise_mode"]

MAX_COMPARE = 16
"""Most clips shown side by side (each is a card with a player on the feedback page)."""


def check_pairwise_args(opts: RunOptions) -> None:
    """Refuse a ``--compare`` out of range and BoTorch's absence, before anything is written (options pairwise
    mode ignores are refused by the command line's pairing table, ``optimizer.cli._pairings``).

    Raises:
        UsageError: one sentence naming the option and the fix.
    """
    from optimizer.review import check_preferential_installed

    if opts.compare is not None and not 2 <= opts.compare <= MAX_COMPARE:
        raise UsageError(f"--compare must be between 2 and {MAX_COMPARE} clips but got {opts.compare}.")
    check_preferential_installed()


def run_pairwise_mode(opts: RunOptions, setup: Any, console: Console) -> int:
    """Run (or resume) the pairwise study of ``genre``, then export its preferred presets; returns the exit code.

    Raises:
        UsageError: bad options, BoTorch missing, an incompatible existing study, unwritable outputs.
    """
    from optimizer.review import pairwise_study_name

    genre, spec, prompts, clap_name = setup.genre, setup.spec, setup.prompts, setup.clap_name
    check_pairwise_args(opts)
    name = opts.study_name or pairwise_study_name(genre.name, opts.model)
    presets = check_presets_path(opts, genre.name, name, "pairwise")  # before anything is loaded or written
    if opts.export_only:
        return _export(_existing(opts.storage, name), genre.name, presets, console)

    from optimizer.search import open_storage, parse_storage

    given = parse_storage(opts.storage)
    file, shown = given.file, given.display
    if file is not None and not file.exists() and not file.parent.exists():
        raise UsageError(f"cannot create the storage {shown!r}: folder {str(file.parent)!r} does not exist.")
    precheck_artifact_dir(artifact_dir(opts))
    storage = open_storage(opts.storage)
    _check_existing(storage, name, spec, opts.compare)
    generator, clap, device = load_models(opts, clap_name, console)
    spec = loaded_spec(spec, generator)  # what ran: the stored study is checked against it again below
    batch_trials = trials_per_pass(opts, generator, device, clips_per_config=len(prompts) * opts.replicates)

    from objectives import Evaluator
    from optimizer.review import dashboard_command, fail_unready_trials, load_or_create_pairwise_study, run_pairwise
    from optimizer.search import enqueue_references

    store = artifact_store(opts)
    study, created = load_or_create_pairwise_study(storage, name, spec, compare=opts.compare, seed=opts.seed)
    if created:
        enqueue_references(study, genre.search_space, genre.baseline)
    stale = fail_unready_trials(study, storage)
    evaluator = Evaluator(generator=generator, clap=clap, prompts=prompts, replicates=opts.replicates,
                          duration=opts.duration, repetition_reference=spec.repetition_reference)
    compare = require(study, PairwiseSetup).compare
    verb = "Creating" if created else "Resuming"
    console.print(f"{verb} pairwise study [bold]{name}[/bold] in {shown}: the listener compares {compare} "
                  f"clips at a time (prompt 0, seed 0 of each configuration); the run ends once {opts.trials} "
                  "trials are compared.")
    if stale:
        console.print(f"Failed {len(stale)} trial(s) an earlier run left without a clip: {stale}.")
    dashboard = dashboard_command(opts.storage, artifact_dir(opts), host=opts.host, port=opts.port)
    host = f"[{opts.host}]" if ":" in opts.host else opts.host
    console.print(f"Compare the clips in optuna-dashboard (another terminal): {dashboard}\n"
                  f"  then open http://{host}:{opts.port}/dashboard/studies/{_study_id(storage, name)} , listen, "
                  "and click the worst clip each time (the dashboard's choose-worst mode).")

    def generated(trial, params) -> None:
        console.print(f"trial {trial.number} ready: {params.strategy}, temperature {params.temperature:.2f}, "
                      f"top_k {params.top_k}, top_p {params.top_p:.2f}, cfg_coef {params.cfg_coef:.2f}")

    def waiting(progress) -> None:
        console.print(f"{progress.waiting} clip(s) await your comparison; {progress.compared} of {progress.target} "
                      f"trials compared, {progress.preferences} preference pair(s) recorded.")

    try:
        summary = run_pairwise(study, evaluator=evaluator, space=genre.search_space, n_trials=opts.trials,
                               artifact_store=store, batch_trials=batch_trials, on_generated=generated,
                               on_wait=waiting)
    except KeyboardInterrupt:
        from optimizer.search import exit_code, interrupt_name

        console.print(f"Interrupted by {interrupt_name()}: the clips made so far stay in the study. "
                      f"Resume with:\n  {resume_command()}")
        return exit_code()
    if summary.stopped_reason:
        console.print(f"[red]Stopped: {summary.stopped_reason}.[/red] Fix the cause and resume with:\n"
                      f"  {resume_command()}")
        return EXIT_FAILED
    return _export(study, genre.name, presets, console)


def _check_existing(storage, name: str, spec, compare: int | None) -> None:
    """Refuse an incompatible existing study before any model is loaded (the check runs again on load)."""
    import optuna

    from optimizer.search import check_same_setup, find_study

    existing = find_study(storage, name)
    if existing is None:
        return
    pairwise = read(existing, PairwiseSetup)
    if pairwise is None:
        if existing.get_trials(deepcopy=False) or existing.directions != [optuna.study.StudyDirection.MINIMIZE]:
            raise UsageError(f"study {name!r} exists and is not a pairwise study; pass --study-name NEW.")
        return
    if compare is not None and compare != pairwise.compare:
        raise UsageError(f"pairwise study {name!r} shows {pairwise.compare} clips at a time but got --compare "
                         f"{compare}; drop --compare or pass --study-name NEW.")
    check_same_setup(name, require(existing, StoredSpec).values, spec)


def _existing(url: str, name: str):
    from optuna_dashboard.preferential import load_study

    from optimizer.review import ResettingPreferentialSampler
    from optimizer.search import load_existing_study, open_storage

    found = load_existing_study(url, name, no_storage="run the pairwise search first (without --export-only)",
                                no_study="pass --model or --study-name as given to the search, or run it first")
    if not has(found, PairwiseSetup):
        raise UsageError(f"study {name!r} in {url!r} is not a pairwise study; drop --pairwise to export its "
                         "Pareto presets.")
    return load_study(study_name=name, storage=open_storage(url), sampler=ResettingPreferentialSampler())


def _study_id(storage, name: str) -> int:
    return storage.get_study_id_from_name(name)


def _export(study, genre: str, path, console: Console) -> int:
    from optimizer.export import build_pairwise_presets

    def export() -> int:
        document = build_pairwise_presets(study, genre=genre)
        write_or_refuse(document, path)
        show_presets(document, path, console)
        return 0

    return nothing_to_export_fails(export, console)
