"""Models for ``optimize``: loading MusicGen and CLAP, the reference set, trials per decoding pass, the time ahead."""

from __future__ import annotations

from rich.console import Console

from optimizer._errors import UsageError
from optimizer.run._options import RunOptions

__all__ = [
    "check_backend_runs_model",
    "format_note",
    "load_models",
    "load_reference",
    "loaded_spec",
    "planned_format",
    "quiet_libraries",
    "say_estimate",
    "size_passes",
    "trials_per_pass",
]


def check_backend_runs_model(model: str, backend: str, dtype: str = "auto") -> None:
    """Refuse, before anything is written or loaded, a ``--backend`` that cannot run ``--model`` or ``--dtype``
    (studies and presets record the backend, so it must be the one that decodes).

    Raises:
        UsageError: ``--backend audiocraft`` with ``--model debug`` or a ``--dtype`` other than auto; an unknown
            ``--dtype``.
    """
    from objectives import ModelLoadError, check_backend, check_dtype_name

    try:
        check_dtype_name(dtype, option="--dtype")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        check_backend(model, backend, dtype)
    except ModelLoadError as exc:
        if exc.option == "dtype":
            raise UsageError(f"--dtype {dtype} applies to the transformers backend (--backend {backend} chooses its "
                             f"own number format); drop --dtype or --backend {backend}.") from None
        raise UsageError(f"--backend {backend} cannot run --model debug (a tiny transformers MusicGen); drop "
                         f"--backend {backend} or pass an audiocraft checkpoint as --model.") from None


def load_models(opts: RunOptions, clap_name: str, console: Console):
    from objectives import load_clap, load_generator
    from objectives.generation import resolve_device

    quiet_libraries()
    device = resolve_device(opts.device)  # DeviceError, ModelLoadError: the caller words them (flags)
    with console.status(f"Loading {opts.model} and {clap_name} on {device}..."):
        generator = load_generator(opts.model, backend=opts.backend, device=device, max_batch=opts.batch_size or 32,
                                   dtype=opts.dtype)
        clap = load_clap(clap_name, device=device)
    from objectives import DEBUG_MODELS

    if (slow := format_note(generator, device)) is not None:
        console.print(f"[yellow]Note: {slow}[/yellow]")
    if opts.model in DEBUG_MODELS or clap_name == "debug":
        console.print("[yellow]Using tiny random-weight debug model(s): the audio is noise and the scores "
                      "mean nothing; use this to try the pipeline only.[/yellow]")
    return generator, clap, device


def format_note(generator, device) -> str | None:
    """The sentence to show when the loaded decoder's number format is slow on ``device``
    (:func:`objectives.generation.slow_format`), else None; both commands that load a MusicGen show it."""
    from objectives.generation import decoder_dtype, slow_format

    dtype = decoder_dtype(generator)
    return None if dtype is None else slow_format(dtype, device)


def planned_format(opts: RunOptions) -> str | None:
    """The number format the decoder will load in (``--dtype`` resolved on ``--device``), known before loading so
    that a study searched in another is refused before a model loads or a file is written; None for a backend that
    chooses its own, or a device that is not there (the loader words that error)."""
    if opts.backend != "transformers":
        return None
    from objectives import DeviceError
    from objectives.generation import dtype_name, resolve_device, resolve_dtype

    try:
        return dtype_name(resolve_dtype(opts.dtype, resolve_device(opts.device)))
    except DeviceError:
        return None


def loaded_spec(spec, generator):
    """``spec`` (a :class:`~optimizer.search.StudySpec`) with what ran, read from the loaded generator: the library
    that decodes, its channel count and its decoder's number format."""
    from dataclasses import replace

    from objectives.generation import number_format, with_channels

    return with_channels(replace(spec, backend=generator.backend, dtype=number_format(generator)), generator)


def load_reference(opts: RunOptions, clap, console: Console, *, duration: float | None = None,
                    digest: str | None = None):
    """CLAP embedding statistics of ``--reference`` (cached after the first time), or None."""
    if opts.reference is None:
        return None
    from objectives.scoring import load_reference

    with console.status(f"Embedding the reference audio in {opts.reference} (once; cached)..."):
        try:
            reference = load_reference(opts.reference, clap, duration=duration or opts.duration, digest=digest)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--reference: {exc}") from None
    console.print(f"Reference set: {reference.excerpts} excerpt(s) from {reference.files} file(s), "
                  f"digest {reference.digest}.")
    return reference.stats


def trials_per_pass(opts: RunOptions, generator, device, *, clips_per_config: int) -> int:
    """``--batch-trials`` resolved (``auto``: what fits the device), and the generator's rows per pass
    (:attr:`~objectives.generation._backend.MusicGenBackend.max_batch`) sized to hold that many trials' clips."""
    from objectives.generation import configs_per_pass

    if opts.batch_trials == "auto":
        k = configs_per_pass(row_bytes=generator.row_bytes(opts.duration), clips_per_config=clips_per_config,
                             device=device)
    else:
        k = int(opts.batch_trials)
    size_passes(opts, generator, batch_trials=k, clips_per_config=clips_per_config)
    return k


def size_passes(opts: RunOptions, generator, *, batch_trials: int, clips_per_config: int) -> None:
    """Set the generator's rows per pass: ``--batch-size``, else every clip of ``batch_trials`` trials."""
    generator.max_batch = opts.batch_size or max(1, batch_trials) * clips_per_config


def say_estimate(opts: RunOptions, console: Console, generator, prompts, device, *, trials: int,
                  batch_trials: int) -> None:
    """Print the decoding time ahead (a warning from an hour up); goes on either way (CI has no stdin)."""
    from optimizer.search import RATE_ENV, estimate_run, rate_from_env

    if opts.backend != "transformers":  # audiocraft's backend reports clips, not decoding steps
        return
    clips = len(prompts) * opts.replicates
    estimate = estimate_run(generator, prompts, trials=trials, clips_per_trial=clips, batch_trials=batch_trials,
                            rows_per_pass=opts.batch_size or batch_trials * clips, duration=opts.duration,
                            device=str(device), steps_per_second=rate_from_env())  # checked in validate_numbers
    if estimate is None:
        return
    if estimate.long:
        console.print(f"[yellow]This run will take a long time: decoding alone is {estimate.describe()} "
                      f"({estimate.steps_per_second:.3g} steps/s for {estimate.rows} clips at once). --duration, "
                      f"--replicates, --prompts and --trials reduce it; it goes on now (Ctrl-C stops it, and the "
                      f"same command resumes).[/yellow]", soft_wrap=not console.is_terminal)
    else:
        source = "measured" if estimate.measured else f"at {RATE_ENV}"
        # A terminal wraps it at words to its width; a log keeps it on one line.
        console.print(f"Decoding time: {estimate.describe()} ({source}; CLAP scoring comes on top).",
                      soft_wrap=not console.is_terminal)


def quiet_libraries() -> None:
    import optuna
    import transformers

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
