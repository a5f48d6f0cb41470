"""``optimize``: search MusicGen decoding parameters for a genre and export Pareto presets."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from optimizer._errors import EXIT_FAILED, EXIT_USAGE, OneLineArgumentParser, UsageError
from optimizer._warnings import quiet_library_warnings

__all__ = ["build_parser", "main"]

DEFAULT_MODEL = "facebook/musicgen-small"
DEFAULT_CLAP = "laion/larger_clap_music"
DEFAULT_STORAGE = "sqlite:///optuna.db"
MAX_TRIALS = 100_000
MAX_DURATION = 30.0
DEFAULT_PENDING = 4
MAX_PENDING = 256

_EXAMPLES = """\
examples:
  optimize --genre jazz --trials 50
      search jazz decoding for facebook/musicgen-small; resumable; writes presets/jazz.json
  optimize --genre jazz --trials 8 --model debug
      try the whole pipeline with tiny random models (the audio is noise)
  optimize --genre-file my_genre.toml --model ./musicgen-medium --clap ./larger_clap_music
      your own genre file, models from local directories (saved with save_pretrained)
  optimize --genre jazz --trials 30 --human --dashboard
      also rate each trial's clips 1-10 in optuna-dashboard (served at http://127.0.0.1:8080/); the run
      waits for your ratings, and re-running it resumes waiting
  optimize --genre jazz --export-only
      re-export presets/jazz.json from the existing study
  optimize --list-genres

--trials is the total number of completed trials the study should hold: re-running the same command
resumes the study and runs only what is missing. Review with (clips and spectrograms need --artifact-dir):
  {review}
  optimize --dashboard
"""



def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``--help`` shows examples)."""
    from optimizer._argtypes import seed_arg
    from optimizer._keys import EXTRA_OBJECTIVES
    from optimizer._review_command import dashboard_command
    from optimizer._samplers import DEFAULT_SAMPLER, SAMPLERS

    # Path("artifacts") is default_artifact_dir(DEFAULT_STORAGE), spelled out: _artifacts imports torch.
    review_command = dashboard_command(DEFAULT_STORAGE, Path("artifacts"))
    p = OneLineArgumentParser(prog="optimize", description=__doc__, epilog=_EXAMPLES.format(review=review_command),
                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_argument_group("what to optimize")
    which.add_argument("--genre", help="a shipped genre (see --list-genres)")
    which.add_argument("--genre-file", type=Path, help="your own genre TOML file instead of --genre")
    which.add_argument("--list-genres", action="store_true", help="list the shipped genres and exit")
    which.add_argument("--trials", type=int, default=50,
                       help="total completed trials the study should hold (default 50; a re-run resumes)")
    which.add_argument("--prompts", type=int, default=None,
                       help="use only the first N prompts of the genre per trial (default: all)")
    which.add_argument("--replicates", type=int, default=2, help="seeds per prompt (default 2)")
    which.add_argument("--duration", type=float, default=5.0, help="clip length in seconds (default 5, max 30)")
    models = p.add_argument_group("models")
    models.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"MusicGen hub id or local directory, or 'debug' (default {DEFAULT_MODEL})")
    models.add_argument("--clap", default=None,
                        help=f"CLAP hub id or local directory (default {DEFAULT_CLAP}; 'debug' with --model debug)")
    models.add_argument("--backend", default="transformers", choices=("transformers", "audiocraft"))
    models.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, cuda:N or mps")
    models.add_argument("--batch-trials", default="auto",
                        help="trials evaluated together in one decoding pass: a number or auto (default: what "
                             "fits in GPU memory, up to 16; about 64 clips on CPU); halved on out-of-memory")
    models.add_argument("--batch-size", type=int, default=None,
                        help="most clips decoded at once (default: all clips of a batch of trials)")
    study = p.add_argument_group("study")
    study.add_argument("--storage", default=DEFAULT_STORAGE,
                       help=f"Optuna RDB URL, or a path ending in .log for a journal file (default {DEFAULT_STORAGE})")
    study.add_argument("--heartbeat-interval", type=float, default=30.0,
                       help="seconds between heartbeats of running trials; a trial silent for 5 intervals is "
                            "failed and retried once by any worker (default 30)")
    study.add_argument("--study-name", help="default: <genre>/<model>")
    study.add_argument("--objective", action="append", default=[], choices=EXTRA_OBJECTIVES, dest="extra_objectives",
                       help="add an objective after CLAP and repetition: diversity (maximise the spread of CLAP "
                            "embeddings across seeds); repeatable")
    study.add_argument("--prompt-suffix", action="append", default=[], dest="prompt_suffixes", metavar="TEXT",
                       help="a text that may be appended to every prompt (e.g. 'high quality, 48 kHz', '4/4 time'); "
                            "searched as a categorical dimension together with no suffix; repeatable; adds to the "
                            "genre file's search_space.prompt_suffixes")
    study.add_argument("--reference", type=Path, default=None, metavar="DIR",
                       help="a folder of your own audio in the genre: adds the objective fad, the Frechet distance "
                            "between CLAP embeddings of each trial's clips and of excerpts of this audio (minimised; "
                            "embeddings computed once and cached)")
    study.add_argument("--sampler", default=DEFAULT_SAMPLER, choices=SAMPLERS,
                       help=f"Optuna sampler (default {DEFAULT_SAMPLER}; see README)")
    study.add_argument("--seed", type=seed_arg, default=None,
                       help="sampler seed, 0 to 2**32 - 1 (clip seeds are fixed per prompt)")
    out = p.add_argument_group("output")
    out.add_argument("--presets-dir", type=Path, default=Path("presets"), help="where <genre>.json goes")
    out.add_argument("--save-audio", type=Path, help="keep every clip as WAV in this folder")
    out.add_argument("--export-only", action="store_true", help="only export presets from the existing study")
    out.add_argument("--validate-seeds", type=int, default=None,
                     help="before export, re-generate the Pareto candidates and baselines on the genre's held-out "
                          "prompts with this many new seeds each and choose presets on those scores (default 4; "
                          "0 exports on search scores)")
    out.add_argument("--artifact-dir", type=Path, default=None,
                     help="where clips and spectrograms go for optuna-dashboard (default: artifacts/ beside the "
                          "SQLite or journal file, ./artifacts for a database server)")
    out.add_argument("--no-artifacts", action="store_true", help="do not upload clips and spectrograms")
    review = p.add_argument_group("review")
    review.add_argument("--dashboard", action="store_true",
                        help="start optuna-dashboard on --storage and the artifact folder, then wait")
    review.add_argument("--human", action="store_true",
                        help="add a third objective, your 1-10 rating of each trial's clips in optuna-dashboard; "
                             "the run waits for ratings (with --dashboard it serves the dashboard meanwhile)")
    review.add_argument("--pending", type=int, default=DEFAULT_PENDING,
                        help=f"with --human: most trials awaiting a rating at once (default {DEFAULT_PENDING})")
    review.add_argument("--host", default="127.0.0.1", help="dashboard address (default 127.0.0.1: this machine)")
    review.add_argument("--port", type=int, default=8080, help="dashboard port (default 8080)")
    review.add_argument("--pairwise", action="store_true",
                        help="pairwise mode: a listener compares clips in the dashboard and a preferential GP "
                             "learns from the choices; --trials counts compared trials (needs the preferential "
                             "extra; see README)")
    review.add_argument("--compare", type=int, default=None,
                        help="pairwise: clips shown side by side, 2-16 (default 4; fixed when the study is created)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``optimize`` console script; returns the exit code."""
    from optimizer import _interrupts
    from optimizer._errors import StorageWriteError  # a full disk mid-run: one sentence, exit 1

    console = Console(stderr=True)
    args = build_parser().parse_args(argv)
    quiet_library_warnings()
    with _interrupts.handle_interrupts():  # SIGTERM as Ctrl-C; a second signal cannot cut the cleanup short
        try:
            return _run(args, console)
        except UsageError as exc:
            console.print(f"optimize: error: {exc}", markup=False, highlight=False, soft_wrap=True)
            return EXIT_USAGE
        except StorageWriteError as exc:
            console.print(f"optimize: error: {exc}.", markup=False, highlight=False, soft_wrap=True)
            return EXIT_FAILED
        except KeyboardInterrupt:  # while loading models, validating or exporting: no trial of ours is running
            console.print(f"optimize: interrupted by {_interrupts.interrupt_name()}; no file was left half-written. "
                          f"Resume with: {_resume_command()}", markup=False, highlight=False, soft_wrap=True)
            return _interrupts.exit_code()


def _run(args: argparse.Namespace, console: Console) -> int:
    from optimizer._genre import list_genres, load_genre, load_genre_file

    if args.list_genres:
        for name in list_genres():
            genre = load_genre(name)
            print(f"{name:12s} {len(genre.prompts):3d} prompts  {genre.description[:90]}")
        return 0
    if args.dashboard and not args.human:
        return _dashboard(args, console)
    _validate(args)
    genre = load_genre_file(args.genre_file) if args.genre_file else load_genre(args.genre)
    _check_genre_name(genre.name)
    prompts = genre.prompts[: args.prompts] if args.prompts else genre.prompts
    clap_name = args.clap or ("debug" if args.model == "debug" else DEFAULT_CLAP)

    from optimizer._presets import NoFeasibleTrialError
    from optimizer._study import StudySpec, default_study_name

    reference = _reference_digest(args, clap_name)
    repetition_reference = _repetition_reference(args, genre)
    space = _with_prompt_suffixes(genre.search_space, args.prompt_suffixes)
    spec = StudySpec(genre=genre.name, model=args.model, backend=args.backend, clap=clap_name,
                     duration=float(args.duration), replicates=args.replicates, base_seed=0, prompts=tuple(prompts),
                     objectives=("clap", "repetition", *dict.fromkeys(args.extra_objectives),
                                 *(("fad",) if reference else ()), *(("rating",) if args.human else ())),
                     reference=reference, repetition_reference=repetition_reference)
    if args.pairwise:
        from dataclasses import replace

        from optimizer._pairwise_cli import run_pairwise_command

        return run_pairwise_command(args, console, genre=replace(genre, search_space=space), spec=spec,
                                    prompts=prompts, clap_name=clap_name)
    name = args.study_name or default_study_name(genre.name, args.model)
    preset_path = args.presets_dir / f"{genre.name}.json"

    if args.export_only:
        study = _existing_study(args.storage, name)
        _precheck_folder(args.presets_dir, "cannot write presets to", "pass --presets-dir")
        try:
            validation = _validate_front(study, genre, args, console, clap_name=clap_name)
            return _export(study, genre.name, preset_path, console, args.storage,
                           None if args.no_artifacts else _artifact_dir(args), validation)
        except NoFeasibleTrialError as exc:
            raise UsageError(str(exc)) from None

    _precheck_storage(args.storage, name, spec)
    _precheck_folder(args.presets_dir, "cannot write presets to", "pass --presets-dir")
    if not args.no_artifacts:
        _precheck_artifact_dir(_artifact_dir(args))
    dashboard = _bind_dashboard(args) if args.human and args.dashboard else None
    generator, clap, device = _load_models(args, clap_name, console)
    reference_stats = _load_reference(args, clap, console, digest=reference)
    batch_trials = _batch_trials(args, generator, device, clips_per_config=len(prompts) * args.replicates)

    from objectives._evaluation import Evaluator
    from optimizer._console import trial_progress
    from optimizer._runner import complete_trials, enqueue_references, run_trials
    from optimizer._samplers import make_sampler
    from optimizer._study import load_or_create_study, open_storage

    artifact_store = None if args.no_artifacts else _artifact_store(args)
    storage = open_storage(args.storage)
    study, created = load_or_create_study(storage, name, spec, make_sampler(args.sampler, seed=args.seed))
    if created:
        enqueue_references(study, space, genre.baseline)
    evaluator = Evaluator(generator=generator, clap=clap, prompts=prompts, replicates=args.replicates,
                          duration=args.duration, reference=reference_stats,
                          repetition_reference=spec.repetition_reference)
    done = complete_trials(study)
    verb = "Creating" if created else "Resuming"
    console.print(f"{verb} study [bold]{name}[/bold] in {args.storage}: {done} of {args.trials} trials "
                  f"{'rated' if args.human else 'done'}; "
                  f"{len(prompts)} prompts x {args.replicates} seeds x {args.duration:g} s per trial, "
                  f"{batch_trials} trial(s) per decoding pass.")
    if not args.human:
        _say_estimate(args, console, generator, prompts, device, trials=args.trials - done, batch_trials=batch_trials)
    if args.human:
        from optimizer._human_cli import run_human

        assert artifact_store is not None  # --human --no-artifacts is refused in _validate
        code = run_human(args, console, storage=storage, study=study, evaluator=evaluator,
                         space=space, spec=spec, batch_trials=batch_trials,
                         artifact_store=artifact_store, dashboard=dashboard)
        if code is not None:
            return code
        try:
            validation = _validate_front(study, genre, args, console, clap_name=clap_name,
                                         models=(generator, clap, device), batch_trials=batch_trials,
                                         reference=reference_stats)
            return _export(study, genre.name, preset_path, console, args.storage, _artifact_dir(args), validation)
        except NoFeasibleTrialError as exc:
            console.print(f"[red]{exc}[/red]")
            return EXIT_FAILED
    try:
        with trial_progress(console, done=done, target=args.trials) as hooks:
            summary = run_trials(study, evaluator=evaluator, space=space, n_trials=args.trials,
                                 batch_trials=batch_trials, hooks=hooks, save_audio=args.save_audio,
                                 heartbeat_interval=args.heartbeat_interval, artifact_store=artifact_store,
                                 objectives=spec.objectives)
    except KeyboardInterrupt:
        return _interrupted(study, console, grace=5 * args.heartbeat_interval)
    stopped = report_failures(summary, console)
    if stopped is not None:
        return stopped
    if summary.recovered:
        console.print(f"Recovered {summary.recovered} stale trial(s) of crashed workers (failed, parameters retried).")
    return _export_once(study, genre, args, console, preset_path, summary, clap_name=clap_name,
                        models=(generator, clap, device), reference=reference_stats)


def _export_once(study, genre, args: argparse.Namespace, console: Console, preset_path: Path, summary, *,
                 clap_name: str, models, reference) -> int:
    """Export the presets of a study that holds its trials, exactly once across workers: the worker that
    completed the last trial claims the export in the study (``mgopt:export:v1``); every other worker waits
    until the file is current (then says so) or takes the export over from a claim holder that died."""
    from optimizer._export_claim import ClaimKeeper, take_export_turn
    from optimizer._presets import NoFeasibleTrialError
    from optimizer._workers import is_last_finisher

    def waiting(holder) -> None:
        who = f"worker {holder.worker}" if holder is not None else "the worker that completed the last trial"
        console.print(f"The study has its {args.trials} trials; {who} writes {preset_path}. Waiting for it (its "
                      f"export is taken over if it stops for {5 * args.heartbeat_interval:g} s).")

    finisher = not summary.complete_at_start and is_last_finisher(study, summary.told)
    claim = take_export_turn(study, preset_path, interval=args.heartbeat_interval, finisher=finisher,
                             on_wait=waiting)
    if claim is None:
        console.print(f"The study has its {args.trials} trials and {preset_path} is up to date: it was built from "
                      "all of them (--export-only rewrites it).")
        return 0
    with ClaimKeeper(study, claim):
        try:
            validation = _validate_front(study, genre, args, console, clap_name=clap_name, models=models,
                                         batch_trials=summary.final_batch_trials, reference=reference)
            return _export(study, genre.name, preset_path, console, args.storage,
                           None if args.no_artifacts else _artifact_dir(args), validation)
        except NoFeasibleTrialError as exc:
            console.print(f"[red]{exc}[/red]")
            return EXIT_FAILED


def _interrupted(study, console: Console, *, grace: float) -> int:
    """After the runner failed its running trials on an interrupt: say what storage shows (not what was meant
    to happen) and return 130 (Ctrl-C) or 143 (SIGTERM)."""
    from optimizer import _interrupts
    from optimizer._runner import running_trials_of_this_worker

    how = _interrupts.interrupt_name()
    try:
        left = running_trials_of_this_worker(study)
    except Exception as exc:  # the storage went away: say so rather than guess
        console.print(f"Interrupted by {how}; could not check the study ({type(exc).__name__}): trials of this run "
                      f"still RUNNING are failed by the next run after {grace:g} s without a heartbeat. Resume with:"
                      f"\n  {_resume_command()}", markup=False, highlight=False)
        return _interrupts.exit_code()
    if left:
        console.print(f"Interrupted by {how}: trial(s) {left} could not be failed and stay RUNNING until a run fails "
                      f"them after {grace:g} s without a heartbeat. Resume with:\n  {_resume_command()}",
                      markup=False, highlight=False)
    else:
        console.print(f"Interrupted by {how}: the trials this run was evaluating are failed ('interrupted'); none is "
                      f"left running. Resume with:\n  {_resume_command()}", markup=False, highlight=False)
    return _interrupts.exit_code()


def report_failures(summary, console: Console) -> int | None:
    """Print a run's failed trials by reason; return :data:`EXIT_FAILED` (with the resume command) when the
    run stopped on consecutive failures, else None. ``summary`` has ``failed``, ``failures`` (a Counter of
    reasons) and ``stopped_reason``."""
    if summary.failed:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.failures.most_common())
        console.print(f"[yellow]{summary.failed} trial(s) failed ({reasons}); see the mgopt:failure:v1 user attr.")
    if summary.stopped_reason:
        console.print(f"[red]Stopped: {summary.stopped_reason}.[/red] Fix the cause and resume with:\n"
                      f"  {_resume_command()}")
        return EXIT_FAILED
    return None


def _validate(args: argparse.Namespace) -> None:
    from optimizer._estimate import rate_from_env

    try:
        rate_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if bool(args.genre) == bool(args.genre_file):
        raise UsageError("give exactly one of --genre NAME or --genre-file PATH (see --list-genres).")
    if not 1 <= args.trials <= MAX_TRIALS:
        raise UsageError(f"--trials must be between 1 and {MAX_TRIALS} but got {args.trials}.")
    if not (0.0 < args.duration <= MAX_DURATION):
        raise UsageError(f"--duration must be in (0, {MAX_DURATION:g}] seconds (MusicGen is trained on 30 s "
                         f"windows) but got {args.duration:g}.")
    if args.replicates < 1 or args.replicates > 64:
        raise UsageError(f"--replicates must be between 1 and 64 but got {args.replicates}.")
    if args.prompts is not None and args.prompts < 1:
        raise UsageError(f"--prompts must be at least 1 but got {args.prompts}.")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1 but got {args.batch_size}.")
    if args.batch_trials != "auto" and not (args.batch_trials.isdigit() and 1 <= int(args.batch_trials) <= 256):
        raise UsageError(f"--batch-trials must be auto or a number from 1 to 256 but got {args.batch_trials!r}.")
    if not 0.1 <= args.heartbeat_interval <= 3600:
        raise UsageError(f"--heartbeat-interval must be in [0.1, 3600] seconds but got {args.heartbeat_interval:g}.")
    if args.validate_seeds is not None and not 0 <= args.validate_seeds <= 64:
        raise UsageError(f"--validate-seeds must be between 0 and 64 but got {args.validate_seeds}.")
    if args.study_name is not None and not (0 < len(args.study_name) <= 512):
        raise UsageError("--study-name must have 1 to 512 characters.")
    if args.human and args.no_artifacts:
        raise UsageError("--human needs the clips in the dashboard to rate them, so it cannot be combined with "
                         "--no-artifacts.")
    if not 1 <= args.pending <= MAX_PENDING:
        raise UsageError(f"--pending must be between 1 and {MAX_PENDING} but got {args.pending}.")
    if args.human and args.dashboard and not 0 < args.port < 65536:
        raise UsageError(f"--port must be in 1-65535 but got {args.port}.")


def _check_genre_name(name: str) -> None:
    # load_genre_file validates names; this guards the preset path against a file that slipped through.
    if "/" in name or "\\" in name or name.startswith("."):
        raise UsageError(f"genre name {name!r} cannot be used as a file name.")


def _precheck_storage(url: str, name: str, spec) -> None:
    """Refuse an incompatible existing study before any model is loaded or any file is created."""
    from optimizer._study import check_compatible, check_new_storage_file, find_study, open_storage, storage_file

    path = storage_file(url)
    if path is not None and not path.exists():
        if not path.parent.exists():
            raise UsageError(f"cannot create the storage {url!r}: folder {str(path.parent)!r} does not exist.")
        check_new_storage_file(url, path)
        return
    existing = find_study(open_storage(url), name)
    if existing is not None:
        check_compatible(existing, spec)


def _existing_study(url: str, name: str):
    from optimizer import _keys
    from optimizer._study import load_existing_study

    study = load_existing_study(url, name, no_storage="run the search first (without --export-only)",
                                no_study="pass --model or --study-name as given to the search, or run it first")
    if _keys.PAIRWISE in study.user_attrs:
        raise UsageError(f"study {name!r} is a pairwise study; add --pairwise to export its preferred presets.")
    return study


def _load_models(args: argparse.Namespace, clap_name: str, console: Console):
    from objectives._loading import load_clap, load_generator
    from objectives.generation._device import resolve_device
    from objectives.generation._transformers import ModelLoadError

    _quiet_libraries()
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with console.status(f"Loading {args.model} and {clap_name} on {device}..."):
        try:
            generator = load_generator(args.model, backend=args.backend, device=device,
                                       max_batch=args.batch_size or 32)
            clap = load_clap(clap_name, device=device)
        except ModelLoadError as exc:
            raise UsageError(str(exc)) from None
    if args.model == "debug" or clap_name == "debug":
        console.print("[yellow]Using tiny random-weight debug model(s): the audio is noise and the scores "
                      "mean nothing; use this to try the pipeline only.[/yellow]")
    return generator, clap, device


def _with_prompt_suffixes(space, extra: list[str]):
    """The genre's search space with ``--prompt-suffix`` texts added; a bad suffix is a usage error."""
    if not extra:
        return space
    from dataclasses import replace

    try:
        return replace(space, prompt_suffixes=tuple(dict.fromkeys([*space.prompt_suffixes, *extra])))
    except ValueError as exc:
        raise UsageError(f"--prompt-suffix: {exc}") from None


def _reference_digest(args: argparse.Namespace, clap_name: str) -> str | None:
    """The digest of ``--reference`` (files, CLAP, clip length), or None; a bad folder is a usage error."""
    if args.reference is None:
        return None
    from objectives.scoring._reference import reference_digest

    try:
        return reference_digest(args.reference, clap_name, float(args.duration))
    except (ValueError, OSError) as exc:
        raise UsageError(f"--reference: {exc}") from None


def _repetition_reference(args: argparse.Namespace, genre) -> float:
    """Raw repetition real music of the genre reaches at the clip length, which the repetition objective is
    measured beyond: from ``--reference DIR`` when given (cached), else the genre file's ``[calibration]``, else
    0 (raw repetition). A bad folder is a usage error."""
    if args.reference is not None:
        from objectives.scoring._reference import reference_repetition_cached

        try:
            return reference_repetition_cached(args.reference, float(args.duration))
        except ValueError as exc:
            raise UsageError(f"--reference: {exc}") from None
    return genre.calibration.reference_at(float(args.duration)) if genre.calibration is not None else 0.0


def _load_reference(args: argparse.Namespace, clap, console: Console, *, duration: float | None = None,
                    digest: str | None = None):
    """CLAP embedding statistics of ``--reference`` (cached after the first time), or None."""
    if args.reference is None:
        return None
    from objectives.scoring._reference import load_reference

    with console.status(f"Embedding the reference audio in {args.reference} (once; cached)..."):
        try:
            reference = load_reference(args.reference, clap, duration=duration or args.duration, digest=digest)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--reference: {exc}") from None
    console.print(f"Reference set: {reference.excerpts} excerpt(s) from {reference.files} file(s), "
                  f"digest {reference.digest}.")
    return reference.stats


def _batch_trials(args: argparse.Namespace, generator, device, *, clips_per_config: int) -> int:
    """``--batch-trials`` resolved, and the generator's rows per pass sized to hold a whole batch."""
    from objectives.generation._memory import configs_per_pass

    row_bytes = generator.row_bytes(args.duration) if hasattr(generator, "row_bytes") else None
    if args.batch_trials == "auto":
        k = configs_per_pass(row_bytes=row_bytes, clips_per_config=clips_per_config, device=device)
    else:
        k = int(args.batch_trials)
    if hasattr(generator, "max_batch"):
        generator.max_batch = args.batch_size or k * clips_per_config
    return k


def _say_estimate(args: argparse.Namespace, console: Console, generator, prompts, device, *, trials: int,
                  batch_trials: int) -> None:
    """Print the decoding time ahead (a warning from an hour up); goes on either way (CI has no stdin)."""
    from optimizer._estimate import RATE_ENV, estimate_run, rate_from_env

    if args.backend != "transformers":  # audiocraft's backend reports clips, not decoding steps
        return
    clips = len(prompts) * args.replicates
    estimate = estimate_run(generator, prompts, trials=trials, clips_per_trial=clips, batch_trials=batch_trials,
                            rows_per_pass=args.batch_size or batch_trials * clips, duration=args.duration,
                            device=str(device), steps_per_second=rate_from_env())  # checked in _validate
    if estimate is None:
        return
    if estimate.long:
        console.print(f"[yellow]This run will take a long time: decoding alone is {estimate.describe()} "
                      f"({estimate.steps_per_second:.3g} steps/s for {estimate.rows} clips at once). --duration, "
                      f"--replicates, --prompts and --trials reduce it; it goes on now (Ctrl-C stops it, and the "
                      f"same command resumes).[/yellow]", soft_wrap=True)
    else:
        source = "measured" if estimate.measured else f"at {RATE_ENV}"
        console.print(f"Decoding time: {estimate.describe()} ({source}; CLAP scoring comes on top).", soft_wrap=True)


def _artifact_dir(args: argparse.Namespace) -> Path:
    from optimizer._artifacts import default_artifact_dir

    return args.artifact_dir or default_artifact_dir(args.storage)


def _precheck_artifact_dir(folder: Path) -> None:
    """Refuse an artifact folder that could not be created, before anything is written."""
    _precheck_folder(folder, "cannot create the artifact folder", "pass --artifact-dir or --no-artifacts")


def _precheck_folder(folder: Path, problem: str, hint: str) -> None:
    from optimizer._files import check_creatable_folder

    check_creatable_folder(folder, problem, hint)


def _artifact_store(args: argparse.Namespace):
    from optimizer._artifacts import open_artifact_store

    try:
        return open_artifact_store(_artifact_dir(args))
    except OSError as exc:
        raise UsageError(f"cannot create the artifact folder {str(_artifact_dir(args))!r}: "
                         f"{exc.strerror or exc}; pass --artifact-dir or --no-artifacts.") from None


def _dashboard(args: argparse.Namespace, console: Console) -> int:
    """Serve optuna-dashboard for ``--storage`` and the artifact folder until Ctrl-C."""
    import optuna_dashboard

    from optimizer._study import open_storage, storage_file

    path = storage_file(args.storage)
    if path is not None and not path.exists():
        raise UsageError(f"no storage at {args.storage!r}: run the search first.")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be in 1-65535 but got {args.port}.")
    storage = open_storage(args.storage)
    store = _artifact_store(args)
    host = f"[{args.host}]" if ":" in args.host else args.host
    console.print(f"optuna-dashboard for {args.storage} (artifacts in {_artifact_dir(args)}): "
                  f"http://{host}:{args.port}/  (Ctrl-C stops it)")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]Listening on {args.host}: reachable from other machines.[/yellow]")
    try:
        optuna_dashboard.run_server(storage, host=args.host, port=args.port, artifact_store=store)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}.") from None
    return 0


def _bind_dashboard(args: argparse.Namespace):
    """The port of ``--human --dashboard``, bound before anything is loaded or written (a port in use is a usage
    error); the run serves the dashboard on it once the study is open."""
    from optimizer._dashboard_server import BackgroundDashboard

    try:
        return BackgroundDashboard(host=args.host, port=args.port)
    except OSError as exc:
        raise UsageError(f"cannot serve the dashboard on {args.host}:{args.port}: {exc.strerror or exc}; "
                         "pass another --port.") from None


def _quiet_libraries() -> None:
    import optuna
    import transformers

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def _validate_front(study, genre, args: argparse.Namespace, console: Console, *, clap_name: str, models=None,
                    batch_trials: int = 1, reference=None) -> dict | None:
    """Re-validate the study's Pareto candidates on held-out prompts (``--validate-seeds``); None when off.

    Results already cached in the study for the same setup are reused; models are loaded only when some
    candidate still needs generating.
    """
    from optimizer import _keys
    from optimizer._validation import DEFAULT_VALIDATE_SEEDS, ValidationSetup, candidates, validate_candidates

    seeds = DEFAULT_VALIDATE_SEEDS if args.validate_seeds is None else args.validate_seeds
    if seeds == 0:
        return None
    spec = study.user_attrs.get(_keys.STUDY_SPEC, {})
    duration = float(spec.get("duration", args.duration))
    setup = ValidationSetup.for_genre(heldout=genre.heldout_prompts, search=tuple(spec.get("prompts", ())),
                                      replicates=seeds, duration=duration)
    trials = candidates(study)
    if not trials:
        return None
    results = validate_candidates(study, trials, setup, None)
    missing = len(trials) - len(results)
    if missing:
        from objectives._evaluation import Evaluator
        from optimizer._runner import Batcher

        generator, clap, device = models or _load_models(args, clap_name, console)
        if reference is None and args.reference is not None:
            reference = _load_reference(args, clap, console, duration=duration)
        clips = len(setup.prompts) * seeds
        if models is None:
            batch_trials = _batch_trials(args, generator, device, clips_per_config=clips)  # sizes max_batch too
        elif hasattr(generator, "max_batch"):
            generator.max_batch = args.batch_size or max(1, batch_trials) * clips
        evaluator = Evaluator(generator=generator, clap=clap, prompts=setup.prompts, replicates=seeds,
                              duration=duration, base_seed=setup.base_seed, reference=reference,
                              repetition_reference=float(spec.get("repetition_reference", 0.0)))
        batcher = Batcher(evaluator, limit=max(1, batch_trials))
        where = "held-out" if setup.source == "heldout" else "search (no held-out prompts in the genre file)"

        def evaluate(configs):
            out: list = []
            while len(out) < len(configs):
                chunk = configs[len(out):len(out) + batcher.limit]
                out.extend(batcher.evaluate(chunk, on_step=lambda done, total: None))
            return out

        with console.status(f"Re-validating {missing} Pareto candidate(s) and baseline(s) on {len(setup.prompts)} "
                            f"{where} prompts x {seeds} new seeds..."):
            results = validate_candidates(study, trials, setup, evaluate)
    failed = [n for n, r in results.items() if "error" in r]
    if failed:
        console.print(f"[yellow]Validation failed for trial(s) {failed}; they are not exported as presets.[/yellow]")
    return {"setup": setup.describe(), "results": results}


def _export(study, genre: str, path: Path, console: Console, storage: str, artifact_dir: Path | None = None,
            validation: dict | None = None) -> int:
    from optimizer._console import front_table
    from optimizer._presets import build_presets, write_presets
    from optimizer.service._fold import fold_feedback

    rated = fold_feedback(study, storage, genre=genre) if "://" in storage else 0
    if rated:
        console.print(f"Folded listener feedback from the preset service for {rated} preset(s).")
    from optimizer._pareto import malformed_trials

    malformed = [t.number for t in malformed_trials(study)]
    if malformed:
        console.print(f"[yellow]Ignored {len(malformed)} trial(s) told values this tool cannot have sent (wrong "
                      f"count, not finite, or a rating outside 1-10): {malformed[:10]}.[/yellow]")
    document = build_presets(study, genre=genre, validation=validation)
    try:
        write_presets(document, path)
    except OSError as exc:
        raise UsageError(f"cannot write presets to {str(path)!r}: {exc.strerror or exc}.") from None
    # Piped output gets rich's 80 columns, too narrow for the table; a terminal keeps its own width.
    Console(width=None if sys.stdout.isatty() else 200).print(front_table(document))
    console.print(f"Presets written to [bold]{path}[/bold]")
    from optimizer._preset_marks import mark_presets
    from optimizer._review_command import dashboard_command

    marked = mark_presets(study, document, path)  # only now: the marks say the file holds these presets
    console.print(f"Marked them in the study: its note, and the notes of trial(s) {marked}.")

    console.print(f"Review the study: {dashboard_command(storage, artifact_dir)}", markup=False, highlight=False,
                  soft_wrap=True)
    return 0


def _resume_command() -> str:
    return " ".join(shlex.quote(a) for a in ["optimize", *sys.argv[1:]])


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
