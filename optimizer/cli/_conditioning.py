"""Command-line inputs that condition generation on audio (issue 12): ``--continuation`` and ``--melody``.

One place for the flags and their checks, so the mode modules only call :func:`add_conditioning_arguments`,
:func:`check_conditioning` and pass :func:`evaluator_conditioning` / :func:`spec_conditioning` on.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from optimizer._errors import UsageError

__all__ = ["CODEC_SAMPLE_RATE", "add_conditioning_arguments", "add_melody_argument", "check_conditioning",
           "check_files_used", "check_melody_model", "evaluator_conditioning", "read_continuations", "read_melodies",
           "spec_conditioning"]

CODEC_SAMPLE_RATE = 32_000
"""The EnCodec rate of every MusicGen checkpoint (mono, stereo, melody), so files are read before the model."""
MELODY_SECONDS = 31.0
"""Seconds of a melody read: MusicGen-Melody uses the chroma of its first 30 s (235 frames at hop 4096) and cuts
the rest; 1 s more lets the last frames' STFT windows (n_fft / 2 = 0.26 s) and the resampler see the audio that
follows, so the chroma is the one the whole file gives."""


def add_conditioning_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``conditioning`` group: ``--continuation FILE`` (repeatable)."""
    group = parser.add_argument_group("conditioning")
    group.add_argument("--continuation", action="append", type=Path, metavar="FILE", default=None,
                       help="audio prompt to continue (repeatable; prompt i continues file i mod N); --duration "
                            "is then the continuation's length and prompt + continuation must fit 30 s")
    add_melody_argument(group)


def add_melody_argument(parser) -> None:
    """Add ``--melody FILE`` (repeatable) to a parser or argument group."""
    parser.add_argument("--melody", action="append", type=Path, metavar="FILE", default=None,
                        help="melody to condition a MusicGen-Melody model on (repeatable; prompt i follows file "
                             "i mod N; audio of at least 1 s, its chroma as transformers computes it)")


def read_melodies(args: argparse.Namespace) -> list | None:
    """The ``--melody`` files as ``[T]`` waveforms at 32 kHz (only the first 30 s that the chroma uses are
    read), or None.

    Raises:
        UsageError: a file the audio validator refuses, or one under 1 s.
    """
    from objectives import AudioInputError
    from objectives.generation import read_audio_prompt

    if not getattr(args, "melody", None):
        return None
    try:
        return [read_audio_prompt(path, CODEC_SAMPLE_RATE, use_seconds=MELODY_SECONDS, what="a melody").mean(axis=0)
                for path in args.melody]
    except AudioInputError as exc:
        raise UsageError(f"--melody: {exc}") from None


def check_melody_model(args: argparse.Namespace, generator) -> None:
    """Refuse melodies for a model that takes none (checked once the model is loaded, before any trial).

    Raises:
        UsageError: ``--melody`` with a text-only model.
    """
    from objectives.generation import MelodyMusicGen

    if getattr(args, "melody", None) and not isinstance(generator, MelodyMusicGen):
        raise UsageError(f"--melody needs a MusicGen-Melody model (facebook/musicgen-melody or "
                         f"facebook/musicgen-melody-large) but {generator.name} is text-only; drop --melody "
                         "or pass a melody model.")


def check_conditioning(args: argparse.Namespace) -> None:
    """Read and check the conditioning files before anything is written; keeps the audio on ``args``.

    Raises:
        UsageError: an unreadable file, a prompt under 1 s, or a prompt that leaves no room for ``--duration``.
    """
    args.melodies = read_melodies(args)
    if args.melodies and args.continuation:
        raise UsageError("--melody and --continuation cannot be combined yet; give one of them.")
    from objectives import DEBUG_MODELS

    if args.melodies and DEBUG_MODELS.get(args.model, "melody") != "melody":
        raise UsageError(f"--melody needs a MusicGen-Melody model but --model {args.model} is text-only; pass a "
                         "melody model directory or hub id, or --model debug-melody.")
    if args.melodies and float(args.duration) > 30.0:
        raise UsageError(f"--melody needs --duration of at most 30 s but got {args.duration:g}.")
    args.audio_prompts = read_continuations(args.continuation, float(args.duration))


def read_continuations(paths: list[Path] | None, duration: float) -> list | None:
    """The ``--continuation`` files as ``[C, T]`` waveforms at 32 kHz, or None without any; every file's header is
    checked before any is decoded.

    Args:
        paths: the audio prompts to continue, or None.
        duration: the continuation's length, seconds; prompt and continuation share MusicGen's 30 s window.

    Raises:
        UsageError: ``duration`` leaves under 1 s for a prompt, a file the audio validator refuses, a prompt under
            1 s, or one that leaves no room for ``duration``.
    """
    from objectives import AudioInputError, audio_header
    from objectives.generation import MAX_WINDOW_SECONDS, MIN_PROMPT_SECONDS, read_audio_prompt

    if not paths:
        return None
    room = MAX_WINDOW_SECONDS - duration
    if room < MIN_PROMPT_SECONDS:
        raise UsageError(f"--continuation needs --duration of at most {MAX_WINDOW_SECONDS - MIN_PROMPT_SECONDS:g} s "
                         f"(prompt and continuation share MusicGen's 30 s window) but got {duration:g}.")
    try:
        headers = [audio_header(path, min_seconds=MIN_PROMPT_SECONDS, what="an audio prompt")
                   for path in paths]  # every file's header before any is decoded
        for h in headers:
            if h.seconds > room:
                raise UsageError(f"--continuation: audio file {str(h.path)!r} lasts {h.seconds:.1f} s but at most "
                                 f"{room:g} s fit before the continuation in MusicGen's 30 s window; trim it or ask "
                                 "for a shorter continuation.")
        return [read_audio_prompt(h.path, CODEC_SAMPLE_RATE) for h in headers]
    except AudioInputError as exc:
        raise UsageError(f"--continuation: {exc}") from None


def check_files_used(args: argparse.Namespace, prompts: int) -> None:
    """Refuse more ``--continuation`` or ``--melody`` files than prompts: prompt i takes file i, so the files past
    the last prompt would never be used, yet the study and its presets would list them as conditioning.

    Raises:
        UsageError: more files than ``prompts``.
    """
    for flag in ("continuation", "melody"):
        files = getattr(args, flag, None) or []
        if len(files) > prompts:
            raise UsageError(f"--{flag} gives {len(files)} files but the search runs {prompts} prompt(s) and prompt "
                             f"i takes file i, so files {prompts + 1} to {len(files)} would never be used; give at "
                             f"most {prompts}.")


def evaluator_conditioning(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :class:`objectives._evaluation.Evaluator` (empty without conditioning)."""
    prompts, melodies = getattr(args, "audio_prompts", None), getattr(args, "melodies", None)
    return {**({"audio_prompts": prompts} if prompts else {}), **({"melodies": melodies} if melodies else {})}


def spec_conditioning(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for the study spec: ``continuation`` and ``melody``, ``name sha256:<12 hex>`` per file."""
    out = {}
    for key in ("continuation", "melody"):
        files = getattr(args, key, None) or []
        if files:
            out[key] = tuple(f"{Path(f).name} sha256:{_sha256(Path(f))[:12]}" for f in files)
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
