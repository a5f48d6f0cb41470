"""Audio that conditions generation (issue 12): continuations and melodies, read and checked once into a
:class:`Conditioning`; and the one decision whether a model takes melodies (:func:`melody_model`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer._errors import UsageError

__all__ = ["CODEC_SAMPLE_RATE", "Conditioning", "check_files_used", "check_melody_model", "load_conditioning",
           "melody_model", "read_continuations", "read_melodies", "spec_conditioning"]

CODEC_SAMPLE_RATE = 32_000
"""The EnCodec rate of every MusicGen checkpoint (mono, stereo, melody), so files are read before the model."""
MELODY_SECONDS = 31.0
"""Seconds of a melody read: MusicGen-Melody uses the chroma of its first 30 s (235 frames at hop 4096) and cuts
the rest; 1 s more lets the last frames' STFT windows (n_fft / 2 = 0.26 s) and the resampler see the audio that
follows, so the chroma is the one the whole file gives."""


@dataclass(frozen=True)
class Conditioning:
    """The conditioning audio of a run, read before any model loads.

    Attributes:
        melodies: ``[T]`` float32 waveforms at 32 kHz (prompt i follows melody i), or None.
        audio_prompts: ``[C, T]`` float32 waveforms at 32 kHz (prompt i continues prompt i), or None.
        melody_model: with melodies, :func:`melody_model`'s answer from the model's name (True: a debug melody
            model), or None when the name does not tell (a hub id or folder: the loaded model is asked, once);
            None without melodies.
    """

    melodies: list | None = None
    audio_prompts: list | None = None
    melody_model: bool | None = None

    def evaluator_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`objectives.Evaluator` (empty without conditioning)."""
        return {**({"audio_prompts": self.audio_prompts} if self.audio_prompts else {}),
                **({"melodies": self.melodies} if self.melodies else {})}


def melody_model(model: str, generator=None) -> bool | None:
    """Whether ``model`` takes melodies: from the loaded ``generator`` when given (its class), else from the name
    of a debug model; None when the name alone does not tell (a hub id or folder, known once loaded).

    This is the one place the question is answered, once per run: from the name before loading
    (:func:`load_conditioning` keeps the answer in :attr:`Conditioning.melody_model`), or from the class after
    loading when the name did not tell."""
    if generator is not None:
        from objectives.generation import MelodyMusicGen

        return isinstance(generator, MelodyMusicGen)
    from objectives import DEBUG_MODELS

    return DEBUG_MODELS[model] == "melody" if model in DEBUG_MODELS else None


def check_melody_model(model: str, melodies: Sequence | None, generator=None) -> bool | None:
    """Refuse melodies for a model that takes none (:func:`melody_model`; before loading from the name, after
    loading from the model's class when the name did not tell).

    Returns:
        :func:`melody_model`'s answer (True, or None when the name alone does not tell), or None without melodies
        (nothing asked).

    Raises:
        UsageError: melodies with a text-only model.
    """
    if not melodies:
        return None
    takes = melody_model(model, generator)
    if takes is not False:
        return takes
    if generator is None:
        raise UsageError(f"--melody needs a MusicGen-Melody model but --model {model} is text-only; pass a "
                         "melody model directory or hub id, or --model debug-melody.")
    raise UsageError(f"--melody needs a MusicGen-Melody model (facebook/musicgen-melody or "
                     f"facebook/musicgen-melody-large) but {generator.name} is text-only; drop --melody "
                     "or pass a melody model.")


def read_melodies(paths: Sequence[Path] | None) -> list | None:
    """The melody files as ``[T]`` waveforms at 32 kHz (only the first 30 s that the chroma uses are read), or
    None without any.

    Raises:
        UsageError: a file the audio validator refuses, or one under 1 s.
    """
    from objectives import AudioInputError
    from objectives.generation import read_audio_prompt

    if not paths:
        return None
    try:
        return [read_audio_prompt(path, CODEC_SAMPLE_RATE, use_seconds=MELODY_SECONDS, what="a melody").mean(axis=0)
                for path in paths]
    except AudioInputError as exc:
        raise UsageError(f"--melody: {exc}") from None


def load_conditioning(*, melody: Sequence[Path] | None, continuation: Sequence[Path] | None, model: str,
                      duration: float) -> Conditioning:
    """Read and check the conditioning files before anything is written.

    Args:
        melody: melody files, or None; continuation: audio prompts, or None; model: the ``--model`` name;
        duration: the clip (or continuation) length, seconds.

    Raises:
        UsageError: an unreadable file, a prompt under 1 s, a prompt that leaves no room for ``duration``, both
            kinds at once, melodies for a text-only debug model or over 30 s.
    """
    melodies = read_melodies(melody)
    if melodies and continuation:
        raise UsageError("--melody and --continuation cannot be combined yet; give one of them.")
    takes = check_melody_model(model, melodies)
    if melodies and float(duration) > 30.0:
        raise UsageError(f"--melody needs --duration of at most 30 s but got {duration:g}.")
    return Conditioning(melodies=melodies, audio_prompts=read_continuations(continuation, float(duration)),
                        melody_model=takes)


def read_continuations(paths: Sequence[Path] | None, duration: float) -> list | None:
    """The continuation files as ``[C, T]`` waveforms at 32 kHz, or None without any; every file's header is
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


def check_files_used(files: dict[str, Sequence[Path] | None], prompts: int) -> None:
    """Refuse more files than prompts (by flag name: ``continuation``, ``melody``): prompt i takes file i, so the
    files past the last prompt would never be used, yet the study and its presets would list them.

    Raises:
        UsageError: more files than ``prompts``.
    """
    for flag, given in files.items():
        n = len(given or ())
        if n > prompts:
            raise UsageError(f"--{flag} gives {n} files but the search runs {prompts} prompt(s) and prompt "
                             f"i takes file i, so files {prompts + 1} to {n} would never be used; give at "
                             f"most {prompts}.")


def spec_conditioning(files: dict[str, Sequence[Path] | None]) -> dict[str, Any]:
    """Keyword arguments for the study spec (``continuation``, ``melody``): ``name sha256:<12 hex>`` per file."""
    return {key: tuple(f"{Path(f).name} sha256:{_sha256(Path(f))[:12]}" for f in given)
            for key, given in files.items() if given}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
