"""What every generating mode of ``optimize`` needs first: checked numbers, the genre, the study's setup."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from typing import Any

from optimizer._errors import UsageError
from optimizer.cli._conditioning import check_conditioning, check_files_used, spec_conditioning
from optimizer.cli._models import check_backend_runs_model
from optimizer.cli._parser import DEFAULT_CLAP, MAX_DURATION, MAX_PENDING, MAX_TRIALS

__all__ = ["Setup", "check_genre_name", "prepare", "repetition_reference", "validate_numbers", "with_prompt_suffixes"]


@dataclass(frozen=True)
class Setup:
    """The run a command line describes, built before any model is loaded.

    Attributes:
        genre: the loaded genre (:class:`optimizer.search._genre.Genre`) with ``--prompt-suffix`` texts added to
            its search space.
        prompts: the prompts each trial generates (the first ``--prompts`` of the genre).
        clap_name: the CLAP hub id, local directory or ``debug``.
        spec: the :class:`optimizer.search._study.StudySpec` the study must match.
        reference: the digest of ``--reference`` (None without it).
    """

    genre: Any
    prompts: tuple[str, ...]
    clap_name: str
    spec: Any
    reference: str | None


def prepare(args: argparse.Namespace) -> Setup:
    """Check the numbers, load the genre and describe the study; reads files but writes none.

    Raises:
        UsageError: a number out of range, an unknown or malformed genre, a bad ``--reference`` folder or
            ``--prompt-suffix``.
    """
    from optimizer.search import StudySpec, load_genre, load_genre_file

    validate_numbers(args)
    check_backend_runs_model(args.model, args.backend)
    check_conditioning(args)
    genre = load_genre_file(args.genre_file) if args.genre_file else load_genre(args.genre)
    check_genre_name(genre.name)
    prompts = tuple(genre.prompts[: args.prompts] if args.prompts else genre.prompts)
    check_files_used(args, len(prompts))
    from objectives import DEBUG_MODELS

    clap_name = args.clap or ("debug" if args.model in DEBUG_MODELS else DEFAULT_CLAP)
    reference = reference_digest_of(args, clap_name, clips=len(prompts) * args.replicates)
    repetition = repetition_reference(args, genre)
    space = with_prompt_suffixes(genre.search_space, args.prompt_suffixes)
    check_space_counts(space, genre.name, args)
    spec = StudySpec(genre=genre.name, model=args.model, backend=args.backend, clap=clap_name,
                     duration=float(args.duration), replicates=args.replicates, base_seed=0, prompts=prompts,
                     objectives=("clap", "repetition", *dict.fromkeys(args.extra_objectives),
                                 *(("melody",) if args.melody else ()),
                                 *(("fad",) if reference else ()), *(("rating",) if args.human else ())),
                     reference=reference, repetition_reference=repetition, **spec_conditioning(args))
    return Setup(genre=replace(genre, search_space=space), prompts=prompts, clap_name=clap_name, spec=spec,
                 reference=reference)


def validate_numbers(args: argparse.Namespace) -> None:
    from optimizer.search import rate_from_env

    try:
        rate_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if bool(args.genre) == bool(args.genre_file):
        raise UsageError("give exactly one of --genre NAME or --genre-file PATH (see --list-genres).")
    if not 1 <= args.trials <= MAX_TRIALS:
        raise UsageError(f"--trials must be between 1 and {MAX_TRIALS} but got {args.trials}.")
    if not (0.0 < args.duration <= MAX_DURATION):
        raise UsageError(f"--duration must be in (0, {MAX_DURATION:g}] seconds (past 30 s MusicGen generates in "
                         f"overlapping 30 s windows) but got {args.duration:g}.")
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


def check_space_counts(space, genre: str, args: argparse.Namespace) -> None:
    """Refuse a search of a dimension that changes nothing in this run (export alone searches nothing)."""
    inert = () if args.export_only else space.inert_dimensions(backend=args.backend, duration=float(args.duration))
    if "two_step_cfg" in inert:
        raise UsageError(f"genre {genre!r} searches two_step_cfg, which only the audiocraft backend uses (the "
                         f"{args.backend} backend guides each step in one pass, so it would change nothing); set "
                         "two_step_cfg = false in its [search_space] or pass --backend audiocraft.")
    if "extend_stride" in inert:
        raise UsageError(f"genre {genre!r} searches extend_stride, which only clips past 30 s use, but --duration is "
                         f"{args.duration:g} s; remove extend_stride from its [search_space] or pass a --duration "
                         "over 30.")


def check_genre_name(name: str) -> None:
    # load_genre_file validates names; this guards the preset path against a file that slipped through.
    if "/" in name or "\\" in name or name.startswith("."):
        raise UsageError(f"genre name {name!r} cannot be used as a file name.")


def with_prompt_suffixes(space, extra: list[str]):
    """The genre's search space with ``--prompt-suffix`` texts added; a bad suffix is a usage error."""
    if not extra:
        return space
    try:
        return replace(space, prompt_suffixes=tuple(dict.fromkeys([*space.prompt_suffixes, *extra])))
    except ValueError as exc:
        raise UsageError(f"--prompt-suffix: {exc}") from None


def reference_digest_of(args: argparse.Namespace, clap_name: str, *, clips: int) -> str | None:
    """The digest of ``--reference`` (files, CLAP, clip length), or None; a bad folder, or a trial of fewer
    ``clips`` than FAD needs, is a usage error."""
    if args.reference is None:
        return None
    from objectives.scoring import MIN_EMBEDDINGS, reference_digest

    if clips < MIN_EMBEDDINGS:
        raise UsageError(f"--reference needs at least {MIN_EMBEDDINGS} clips per trial for FAD (prompts x "
                         f"--replicates) but got {clips}; raise --replicates or --prompts.")

    try:
        return reference_digest(args.reference, clap_name, float(args.duration))
    except (ValueError, OSError) as exc:
        raise UsageError(f"--reference: {exc}") from None


def repetition_reference(args: argparse.Namespace, genre) -> float:
    """Raw repetition real music of the genre reaches at the clip length, which the repetition objective is
    measured beyond: from ``--reference DIR`` when given (cached), else the genre file's ``[calibration]``, else
    0 (raw repetition). A bad folder is a usage error."""
    if args.reference is not None:
        from objectives.scoring import reference_repetition_cached

        try:
            return reference_repetition_cached(args.reference, float(args.duration))
        except ValueError as exc:
            raise UsageError(f"--reference: {exc}") from None
    return genre.calibration.reference_at(float(args.duration)) if genre.calibration is not None else 0.0
