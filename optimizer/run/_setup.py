"""What every generating mode of ``optimize`` needs first: checked numbers, the genre, the study's setup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from optimizer._digits import is_decimal
from optimizer._errors import UsageError
from optimizer.run._conditioning import Conditioning, check_files_used, load_conditioning, spec_conditioning
from optimizer.run._models import check_backend_runs_model, planned_format
from optimizer.run._options import DEFAULT_CLAP, MAX_DURATION, MAX_PENDING, MAX_TRIALS, RunOptions

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
        conditioning: the melodies and audio prompts read from ``melody`` and ``continuation``.
    """

    genre: Any
    prompts: tuple[str, ...]
    clap_name: str
    spec: Any
    reference: str | None
    conditioning: Conditioning = field(default_factory=Conditioning)


def prepare(opts: RunOptions) -> Setup:
    """Check the numbers, load the genre and describe the study; reads files but writes none.

    Raises:
        UsageError: a number out of range, an unknown or malformed genre, a bad ``--reference`` folder or
            ``--prompt-suffix``.
    """
    from optimizer.search import StudySpec, load_genre, load_genre_file

    validate_numbers(opts)
    check_backend_runs_model(opts.model, opts.backend, opts.dtype)
    conditioning = load_conditioning(melody=opts.melody, continuation=opts.continuation, model=opts.model,
                                     duration=float(opts.duration))
    genre = load_genre_file(opts.genre_file) if opts.genre_file else load_genre(str(opts.genre))
    check_genre_name(genre.name)
    prompts = tuple(genre.prompts[: opts.prompts] if opts.prompts else genre.prompts)
    check_files_used(_files(opts), len(prompts))
    from objectives import DEBUG_MODELS, study_objectives

    clap_name = opts.clap or ("debug" if opts.model in DEBUG_MODELS else DEFAULT_CLAP)
    reference = reference_digest_of(opts, clap_name, clips=len(prompts) * opts.replicates)
    repetition = repetition_reference(opts, genre)
    space = with_prompt_suffixes(genre.search_space, opts.prompt_suffixes)
    check_space_counts(space, genre.name, opts)
    spec = StudySpec(genre=genre.name, model=opts.model, backend=opts.backend, clap=clap_name,
                     duration=float(opts.duration), replicates=opts.replicates, base_seed=0, prompts=prompts,
                     objectives=study_objectives(opts.extra_objectives, melody=bool(opts.melody),
                                                 reference=bool(reference), human=opts.human),
                     reference=reference, repetition_reference=repetition, dtype=planned_format(opts),
                     **spec_conditioning(_files(opts)))
    return Setup(genre=replace(genre, search_space=space), prompts=prompts, clap_name=clap_name, spec=spec,
                 reference=reference, conditioning=conditioning)


def _files(opts: RunOptions) -> dict:
    return {"continuation": opts.continuation, "melody": opts.melody}


def validate_numbers(opts: RunOptions) -> None:
    from optimizer.search import rate_from_env

    try:
        rate_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if bool(opts.genre) == bool(opts.genre_file):
        raise UsageError("give exactly one of --genre NAME or --genre-file PATH (see --list-genres).")
    if not 1 <= opts.trials <= MAX_TRIALS:
        raise UsageError(f"--trials must be between 1 and {MAX_TRIALS} but got {opts.trials}.")
    if not (0.0 < opts.duration <= MAX_DURATION):
        raise UsageError(f"--duration must be in (0, {MAX_DURATION:g}] seconds (past 30 s MusicGen generates in "
                         f"overlapping 30 s windows) but got {opts.duration:g}.")
    if opts.replicates < 1 or opts.replicates > 64:
        raise UsageError(f"--replicates must be between 1 and 64 but got {opts.replicates}.")
    if opts.prompts is not None and opts.prompts < 1:
        raise UsageError(f"--prompts must be at least 1 but got {opts.prompts}.")
    if opts.batch_size is not None and opts.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1 but got {opts.batch_size}.")
    if opts.batch_trials != "auto" and not (is_decimal(opts.batch_trials) and 1 <= int(opts.batch_trials) <= 256):
        raise UsageError(f"--batch-trials must be auto or a number from 1 to 256 but got {opts.batch_trials!r}.")
    if not 0.1 <= opts.heartbeat_interval <= 3600:
        raise UsageError(f"--heartbeat-interval must be in [0.1, 3600] seconds but got {opts.heartbeat_interval:g}.")
    if opts.validate_seeds is not None and not 0 <= opts.validate_seeds <= 64:
        raise UsageError(f"--validate-seeds must be between 0 and 64 but got {opts.validate_seeds}.")
    if opts.study_name is not None and not (0 < len(opts.study_name) <= 512):
        raise UsageError("--study-name must have 1 to 512 characters.")
    if opts.human and opts.no_artifacts:
        raise UsageError("--human needs the clips in the dashboard to rate them, so it cannot be combined with "
                         "--no-artifacts.")
    if not 1 <= opts.pending <= MAX_PENDING:
        raise UsageError(f"--pending must be between 1 and {MAX_PENDING} but got {opts.pending}.")
    if opts.human and opts.dashboard and not 0 < opts.port < 65536:
        raise UsageError(f"--port must be in 1-65535 but got {opts.port}.")


def check_space_counts(space, genre: str, opts: RunOptions) -> None:
    """Refuse a search of a dimension that changes nothing in this run (export alone searches nothing)."""
    inert = () if opts.export_only else space.inert_dimensions(backend=opts.backend, duration=float(opts.duration))
    if "two_step_cfg" in inert:
        raise UsageError(f"genre {genre!r} searches two_step_cfg, which only the audiocraft backend uses (the "
                         f"{opts.backend} backend guides each step in one pass, so it would change nothing); set "
                         "two_step_cfg = false in its [search_space] or pass --backend audiocraft.")
    if "extend_stride" in inert:
        raise UsageError(f"genre {genre!r} searches extend_stride, which only clips past 30 s use, but --duration is "
                         f"{opts.duration:g} s; remove extend_stride from its [search_space] or pass a --duration "
                         "over 30.")


def check_genre_name(name: str) -> None:
    # load_genre_file validates names; this guards the preset path against a file that slipped through.
    if "/" in name or "\\" in name or name.startswith("."):
        raise UsageError(f"genre name {name!r} cannot be used as a file name.")


def with_prompt_suffixes(space, extra: Sequence[str]):
    """The genre's search space with ``--prompt-suffix`` texts added; a bad suffix is a usage error."""
    if not extra:
        return space
    try:
        return replace(space, prompt_suffixes=tuple(dict.fromkeys([*space.prompt_suffixes, *extra])))
    except ValueError as exc:
        raise UsageError(f"--prompt-suffix: {exc}") from None


def reference_digest_of(opts: RunOptions, clap_name: str, *, clips: int) -> str | None:
    """The digest of ``--reference`` (files, CLAP, clip length), or None; a bad folder, or a trial of fewer
    ``clips`` than FAD needs, is a usage error."""
    if opts.reference is None:
        return None
    from objectives.scoring import MIN_EMBEDDINGS, reference_digest

    if clips < MIN_EMBEDDINGS:
        raise UsageError(f"--reference needs at least {MIN_EMBEDDINGS} clips per trial for FAD (prompts x "
                         f"--replicates) but got {clips}; raise --replicates or --prompts.")

    try:
        return reference_digest(opts.reference, clap_name, float(opts.duration))
    except (ValueError, OSError) as exc:
        raise UsageError(f"--reference: {exc}") from None


def repetition_reference(opts: RunOptions, genre) -> float:
    """Raw repetition real music of the genre reaches at the clip length, which the repetition objective is
    measured beyond: from ``--reference DIR`` when given (cached), else the genre file's ``[calibration]``, else
    0 (raw repetition). A bad folder is a usage error."""
    if opts.reference is not None:
        from objectives.scoring import reference_repetition_cached

        try:
            return reference_repetition_cached(opts.reference, float(opts.duration))
        except ValueError as exc:
            raise UsageError(f"--reference: {exc}") from None
    return genre.calibration.reference_at(float(opts.duration)) if genre.calibration is not None else 0.0
