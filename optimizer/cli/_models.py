"""Models for ``optimize``: loading MusicGen and CLAP, the reference set, trials per decoding pass, the time ahead."""

from __future__ import annotations

import argparse

from rich.console import Console

from optimizer._errors import UsageError

__all__ = ["check_backend_runs_model", "load_models", "load_reference", "quiet_libraries", "say_estimate",
           "size_passes", "trials_per_pass"]


def check_backend_runs_model(model: str, backend: str) -> None:
    """Refuse, before anything is written or loaded, a ``--backend`` that cannot run ``--model`` (studies and
    presets record the backend, so it must be the one that decodes).

    Raises:
        UsageError: ``--backend audiocraft`` with ``--model debug``.
    """
    from objectives import ModelLoadError, check_backend

    try:
        check_backend(model, backend)
    except ModelLoadError:
        raise UsageError(f"--backend {backend} cannot run --model debug (a tiny transformers MusicGen); drop "
                         f"--backend {backend} or pass an audiocraft checkpoint as --model.") from None


def load_models(args: argparse.Namespace, clap_name: str, console: Console):
    from objectives import DeviceError, load_clap, load_generator
    from objectives.generation import ModelLoadError, resolve_device
    from optimizer.cli._errors import one_line

    quiet_libraries()
    try:
        device = resolve_device(args.device)
    except DeviceError as exc:
        raise UsageError(one_line(exc)) from None
    with console.status(f"Loading {args.model} and {clap_name} on {device}..."):
        try:
            generator = load_generator(args.model, backend=args.backend, device=device,
                                       max_batch=args.batch_size or 32)
            clap = load_clap(clap_name, device=device)
        except ModelLoadError as exc:
            raise UsageError(one_line(exc)) from None
    from objectives import DEBUG_MODELS

    if args.model in DEBUG_MODELS or clap_name == "debug":
        console.print("[yellow]Using tiny random-weight debug model(s): the audio is noise and the scores "
                      "mean nothing; use this to try the pipeline only.[/yellow]")
    return generator, clap, device


def load_reference(args: argparse.Namespace, clap, console: Console, *, duration: float | None = None,
                    digest: str | None = None):
    """CLAP embedding statistics of ``--reference`` (cached after the first time), or None."""
    if args.reference is None:
        return None
    from objectives.scoring import load_reference

    with console.status(f"Embedding the reference audio in {args.reference} (once; cached)..."):
        try:
            reference = load_reference(args.reference, clap, duration=duration or args.duration, digest=digest)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--reference: {exc}") from None
    console.print(f"Reference set: {reference.excerpts} excerpt(s) from {reference.files} file(s), "
                  f"digest {reference.digest}.")
    return reference.stats


def trials_per_pass(args: argparse.Namespace, generator, device, *, clips_per_config: int) -> int:
    """``--batch-trials`` resolved (``auto``: what fits the device), and the generator's rows per pass
    (:attr:`~objectives.generation._backend.MusicGenBackend.max_batch`) sized to hold that many trials' clips."""
    from objectives.generation import configs_per_pass

    if args.batch_trials == "auto":
        k = configs_per_pass(row_bytes=generator.row_bytes(args.duration), clips_per_config=clips_per_config,
                             device=device)
    else:
        k = int(args.batch_trials)
    size_passes(args, generator, batch_trials=k, clips_per_config=clips_per_config)
    return k


def size_passes(args: argparse.Namespace, generator, *, batch_trials: int, clips_per_config: int) -> None:
    """Set the generator's rows per pass: ``--batch-size``, else every clip of ``batch_trials`` trials."""
    generator.max_batch = args.batch_size or max(1, batch_trials) * clips_per_config


def say_estimate(args: argparse.Namespace, console: Console, generator, prompts, device, *, trials: int,
                  batch_trials: int) -> None:
    """Print the decoding time ahead (a warning from an hour up); goes on either way (CI has no stdin)."""
    from optimizer.search import RATE_ENV, estimate_run, rate_from_env

    if args.backend != "transformers":  # audiocraft's backend reports clips, not decoding steps
        return
    clips = len(prompts) * args.replicates
    estimate = estimate_run(generator, prompts, trials=trials, clips_per_trial=clips, batch_trials=batch_trials,
                            rows_per_pass=args.batch_size or batch_trials * clips, duration=args.duration,
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
