"""Validate-and-export, written once for every mode of ``optimize``: re-validate the Pareto candidates, build and
write the preset file, mark the study. One exit-code policy: a study with nothing to export is exit 1
(:data:`~optimizer._errors.EXIT_FAILED`: the input was good, the study holds no feasible trial), whichever mode
asked."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from optimizer._errors import EXIT_FAILED, UsageError
from optimizer._payloads import has, read
from optimizer._study_payloads import PairwiseSetup, StoredSpec
from optimizer.run._conditioning import Conditioning
from optimizer.run._models import load_models, load_reference, size_passes, trials_per_pass
from optimizer.run._options import RunOptions
from optimizer.run._outputs import check_presets_path, preset_path, study_kind
from optimizer.run._resources import artifact_dir

__all__ = ["check_given_match_study", "existing_study", "export_once", "export_presets", "nothing_to_export_fails",
           "run_export_only", "show_presets", "validate_and_export", "validate_front", "write_or_refuse"]


def nothing_to_export_fails(export: Callable[[], int], console: Console) -> int:
    """Run ``export``; a study without a feasible trial (:class:`~optimizer.export._presets.NoFeasibleTrialError`)
    is printed in red and returns :data:`~optimizer._errors.EXIT_FAILED` in every mode."""
    from optimizer.export import NoFeasibleTrialError
    from optimizer.search import mask_secrets  # no password of a URL is ever printed

    try:
        return export()
    except NoFeasibleTrialError as exc:
        console.print(f"[red]{escape(mask_secrets(str(exc).strip()))}[/red]")
        return EXIT_FAILED


def write_or_refuse(document: dict, path: Path) -> None:
    """Write ``document`` to ``path`` atomically; an unwritable path, or one that is not this study's preset file
    (:mod:`optimizer._outputs`, checked again: the folder may have changed during the run), is a usage error."""
    from optimizer.export import write_presets
    from optimizer.run._outputs import PRESETS_HINT

    try:
        write_presets(document, path, hint=PRESETS_HINT)
    except OSError as exc:
        raise UsageError(f"cannot write presets to {str(path)!r}: {exc.strerror or exc}.") from None


def show_presets(document: dict, path: Path, console: Console) -> None:
    """Print the preset table (stdout) and where the file went (``console``)."""
    from optimizer.run._console import FrontView

    # Piped output gets 200 columns (a log has no width to fit; rich would assume 80); a terminal keeps its own
    # width, and the table turns into one block per preset where it does not fit.
    Console(width=None if sys.stdout.isatty() else 200).print(FrontView(document))
    console.print(f"Presets written to [bold]{path}[/bold]")


def existing_study(url: str, name: str):
    """The multi-objective study ``name`` in ``url`` for ``--export-only``.

    Raises:
        UsageError: no storage or no such study (the message names the studies there), or a pairwise study.
    """
    from optimizer.search import load_existing_study

    study = load_existing_study(url, name, no_storage="run the search first (without --export-only)",
                                no_study="pass --model or --study-name as given to the search, or run it first")
    if has(study, PairwiseSetup):
        raise UsageError(f"study {name!r} is a pairwise study; add --pairwise to export its preferred presets.")
    return study


def validate_front(study, genre, opts: RunOptions, console: Console, *, clap_name: str, models=None,
                   batch_trials: int = 1, reference=None, conditioning: Conditioning | None = None) -> dict | None:
    """Re-validate the study's Pareto candidates on held-out prompts (``--validate-seeds``); None when off.

    Results already cached in the study for the same setup are reused; models are loaded only when some
    candidate still needs generating.
    """
    from optimizer.export import DEFAULT_VALIDATE_SEEDS, ValidationSetup, candidates, validate_candidates

    seeds = DEFAULT_VALIDATE_SEEDS if opts.validate_seeds is None else opts.validate_seeds
    if seeds == 0:
        return None
    spec = stored_spec.values if (stored_spec := read(study, StoredSpec)) is not None else {}
    duration = float(spec.get("duration", opts.duration))
    setup = ValidationSetup.for_genre(heldout=genre.heldout_prompts, search=tuple(spec.get("prompts", ())),
                                      replicates=seeds, duration=duration)
    trials = candidates(study)
    if not trials:
        return None
    results = validate_candidates(study, trials, setup, None)
    missing = len(trials) - len(results)
    if missing:
        from objectives import Evaluator
        from optimizer.search import Batcher

        generator, clap, device = models or load_models(opts, clap_name, console)
        if reference is None and opts.reference is not None:
            reference = load_reference(opts, clap, console, duration=duration)
        clips = len(setup.prompts) * seeds
        if models is None:
            batch_trials = trials_per_pass(opts, generator, device, clips_per_config=clips)
        else:
            size_passes(opts, generator, batch_trials=batch_trials, clips_per_config=clips)
        evaluator = Evaluator(generator=generator, clap=clap, prompts=setup.prompts, replicates=seeds,
                              duration=duration, base_seed=setup.base_seed, reference=reference,
                              repetition_reference=float(spec.get("repetition_reference", 0.0)),
                              **(conditioning or Conditioning()).evaluator_kwargs())
        batcher = Batcher(evaluator, batch_trials=max(1, batch_trials))
        where = "held-out" if setup.source == "heldout" else "search (no held-out prompts in the genre file)"

        what = (f"Re-validating {missing} Pareto candidate(s) and baseline(s) on {len(setup.prompts)} {where} "
                f"prompts x {seeds} new seeds")

        console.print(f"{what}.", markup=False, highlight=False)
        with _revalidation_bar(console) as bar:
            results = validate_candidates(study, trials, setup, _evaluate_in_passes(batcher, console, bar, what))
    failed = [n for n, r in results.items() if "error" in r]
    if failed:
        console.print(f"[yellow]Validation failed for trial(s) {failed}; they are not exported as presets.[/yellow]")
    return {"setup": setup.describe(), "results": results}


@contextmanager
def _revalidation_bar(console: Console) -> Iterator[Callable[[float, int, str], None] | None]:
    """On a terminal, re-validation's own bar (configurations done, fractions of a pass by decoding step) with
    its time left; None when the output is piped (plain lines say it there)."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from optimizer.run._eta import format_left

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                        TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), console=console, transient=False)
    with progress:
        task = progress.add_task("re-validation", total=None, count="", eta=format_left(None, bound=False))
        yield lambda done, total, left: progress.update(task, completed=done, total=total,
                                                        count=f"{int(done)}/{total}", eta=left)


def _evaluate_in_passes(batcher, console: Console, bar: Callable[[float, int, str], None] | None,
                        what: str) -> Callable[[list], list]:
    """The re-validation's evaluate: one decoding pass per ``batcher.batch_trials`` configurations. On a terminal
    ``bar`` moves at every decoding step with the time left (:class:`~optimizer.run._eta.SteadyEstimate` of the
    time per configuration so far); piped, a plain line after each pass says how many are done and the time left."""
    import time

    from optimizer.run._eta import SteadyEstimate, format_left, format_seconds
    from optimizer.search import raise_if_stopping

    def evaluate(configs: list) -> list:
        out: list = []
        start = time.monotonic()
        steady = SteadyEstimate()

        def show(done: float) -> None:
            if bar is not None and done > 0:
                left = steady.update((time.monotonic() - start) / done * (len(configs) - done))
                bar(done, len(configs), format_left(left, bound=False))

        while len(out) < len(configs):
            chunk = configs[len(out):len(out) + batcher.batch_trials]

            def on_step(step: int, total: int, before: int = len(out), size: int = len(chunk)) -> None:
                raise_if_stopping()
                show(before + size * step / max(total, 1))

            out.extend(batcher.evaluate(chunk, on_step=on_step))
            show(len(out))
            if bar is None:
                left = (time.monotonic() - start) / len(out) * (len(configs) - len(out))
                console.print(f"{what}: {len(out)}/{len(configs)} done, about {format_seconds(left)} left",
                              markup=False, highlight=False)
        return out

    return evaluate


def export_presets(study, genre: str, path: Path, console: Console, storage: str, artifacts: Path | None = None,
                   validation: dict | None = None) -> int:
    """Build the presets of a multi-objective study, write them to ``path`` and mark them in the study.

    Args:
        study: the search (or ``--human``) study.
        genre: the genre name written into the file.
        path: the preset file.
        console: where messages go (stderr).
        storage: the storage URL (listener feedback is folded in for database servers; the review command).
        artifacts: the artifact folder the review command names, or None.
        validation: :func:`validate_front`'s result, or None.

    Returns:
        0.

    Raises:
        NoFeasibleTrialError: the study has no feasible trial (see :func:`nothing_to_export_fails`).
        UsageError: ``path`` cannot be written.
    """
    from optimizer.export import build_presets, malformed_trials
    from optimizer.review import dashboard_command, mark_presets
    from optimizer.service import fold_feedback

    rated = fold_feedback(study, storage, genre=genre) if "://" in storage else 0
    if rated:
        console.print(f"Folded listener feedback from the preset service for {rated} preset(s).")
    malformed = [t.number for t in malformed_trials(study)]
    if malformed:
        console.print(f"[yellow]Ignored {len(malformed)} trial(s) told values this tool cannot have sent (wrong "
                      f"count, not finite, or a rating outside 1-10): {malformed[:10]}.[/yellow]")
    document = build_presets(study, genre=genre, validation=validation)
    write_or_refuse(document, path)
    show_presets(document, path, console)
    marked = mark_presets(study, document, path)  # only now: the marks say the file holds these presets
    console.print(f"Marked them in the study: its note, and the notes of trial(s) {marked}.")
    console.print(f"Review the study: {dashboard_command(storage, artifacts)}", markup=False, highlight=False,
                  soft_wrap=True)
    return 0


def validate_and_export(study, setup, opts: RunOptions, console: Console, *, models=None,
                        batch_trials: int = 1, reference=None) -> int:
    """Re-validate (``--validate-seeds``) and export ``study``'s presets to its file
    (:func:`optimizer.run._outputs.preset_path`): the one export path of search, ``--human`` and ``--export-only``;
    nothing feasible is exit 1."""
    def export() -> int:
        validation = validate_front(study, setup.genre, opts, console, clap_name=setup.clap_name, models=models,
                                    batch_trials=batch_trials, reference=reference, conditioning=setup.conditioning)
        path = preset_path(opts, setup.genre.name, study.study_name, study_kind(study))
        return export_presets(study, setup.genre.name, path, console, opts.storage,
                              None if opts.no_artifacts else artifact_dir(opts), validation)

    return nothing_to_export_fails(export, console)


def export_once(study, setup, opts: RunOptions, console: Console, summary, *, models, reference) -> int:
    """Export the presets of a study that holds its trials, exactly once across workers: the worker that
    completed the last trial claims the export in the study (``mgopt:export:v1``); every other worker waits
    until the file is current (then says so) or takes the export over from a claim holder that died."""
    from optimizer.export import ClaimKeeper, take_export_turn
    from optimizer.search import is_last_finisher

    path = preset_path(opts, setup.genre.name, study.study_name, study_kind(study))

    def waiting(holder) -> None:
        who = f"worker {holder.worker}" if holder is not None else "the worker that completed the last trial"
        console.print(f"The study has its {opts.trials} trials; {who} writes {path}. Waiting for it (its "
                      f"export is taken over if it stops for {5 * opts.heartbeat_interval:g} s).")

    finisher = not summary.complete_at_start and is_last_finisher(study, summary.told)
    claim = take_export_turn(study, path, interval=opts.heartbeat_interval, finisher=finisher, on_wait=waiting)
    if claim is None:
        console.print(f"The study has its {opts.trials} trials and {path} is up to date: it was built from "
                      "all of them (--export-only rewrites it).")
        return 0
    with ClaimKeeper(study, claim):
        return validate_and_export(study, setup, opts, console, models=models,
                                   batch_trials=summary.final_batch_trials, reference=reference)


def run_export_only(opts: RunOptions, setup, console: Console, *, notice: Callable[[], None] | None = None) -> int:
    """``optimize --export-only``: re-validate and re-export the presets of the existing study; the exit code.

    Raises:
        UsageError: no such study, a study-describing option given with a value the study was not run with, or a
            study with no completed trial (nothing to export from: the input is wrong, not the run).
    """
    import optuna

    from optimizer.search import default_study_name

    study = existing_study(opts.storage, opts.study_name or default_study_name(setup.genre.name, opts.model))
    check_given_match_study(study, setup.spec, opts.given)
    searched_in = stored.values.get("dtype") if (stored := read(study, StoredSpec)) is not None else None
    if searched_in and "dtype" not in opts.given:  # re-validate in the format the study was searched in
        opts = replace(opts, dtype=searched_in)
    if not study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        raise UsageError(f"study {study.study_name!r} has no completed trial to export; run the search first "
                         "(without --export-only).")
    check_presets_path(opts, setup.genre.name, study.study_name, study_kind(study))
    if notice is not None:
        notice()
    return validate_and_export(study, setup, opts, console)


_STUDY_OPTIONS = {"model": "--model", "backend": "--backend", "clap": "--clap", "duration": "--duration",
                  "replicates": "--replicates", "prompts": "--prompts", "reference": "--reference",
                  "continuation": "--continuation", "melody": "--melody", "dtype": "--dtype"}
"""Options that describe the study a search ran (its stored spec key, by destination): given with
``--export-only``, they must be the study's (``dtype`` only where the study recorded one)."""


def check_given_match_study(study, spec, given) -> None:
    """Refuse a study-describing option (:data:`_STUDY_OPTIONS`) that ``given`` holds and whose value the study was
    not run with: ``--export-only`` re-exports the study as it is, it cannot change its prompts or length.

    Raises:
        UsageError: one sentence naming the option, both values and the fix.
    """

    stored = found.values if (found := read(study, StoredSpec)) is not None else {}
    wanted = spec.to_dict()
    for dest, flag in _STUDY_OPTIONS.items():
        if dest in given and stored.get(dest) != wanted.get(dest) and (dest != "dtype" or "dtype" in stored):
            was, asked = _brief(stored.get(dest)), _brief(wanted.get(dest))
            raise UsageError(f"{flag} does not match study {study.study_name!r}: it was run with {dest} {was} but "
                             f"{flag} gives {asked}; --export-only re-exports the study as it was run, so drop "
                             f"{flag}.")


def _brief(value) -> str:
    """A stored value in a message: as written when short, else a list by its length."""
    text = repr(value)
    if len(text) <= 60:
        return text
    return f"{len(value)} entries" if isinstance(value, list) else text[:57] + "..."
