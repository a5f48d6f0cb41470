"""One clip from a preset, with the same generation code the optimizer uses: the application entry of the
``generate`` command for Python callers (:class:`GenerateOptions` in, :class:`GeneratedClip` out)."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from optimizer._errors import UsageError
from optimizer.run._conditioning import check_melody_model, read_continuations, read_melodies, spec_conditioning
from optimizer.run._models import check_backend_runs_model, format_note, quiet_libraries

__all__ = ["MAX_CLIP_SECONDS", "MAX_PROMPT_CHARS", "GenerateOptions", "GeneratedClip", "generate"]

MAX_PROMPT_CHARS = 2_000
MAX_CLIP_SECONDS = 300.0  # past 30 s in windows advanced by the preset's extend_stride


@dataclass(frozen=True)
class GenerateOptions:
    """One ``generate`` clip; the defaults are the command line's. Checked by :func:`generate` before anything is
    loaded or written (:class:`~optimizer._errors.UsageError`)."""

    prompt: str
    """The text prompt, 1 to 2000 characters (the preset's prompt suffix, if any, is appended for conditioning)."""
    preset: str
    """``PRESET_FILE[:NAME]`` or ``GENRE[:NAME]`` (``presets/GENRE.json``, relative to the working folder); NAME
    defaults to ``balanced`` (``preferred`` for a pairwise study's file)."""
    duration: float = 10.0
    """Clip length, seconds, in (0, 300]; with ``continuation`` the continuation's length (prompt + it fit 30 s)."""
    output: Path = Path("out.wav")
    """The ``.wav`` file; its sidecar is the same path with ``.json``; its folder must exist and be writable."""
    overwrite: bool = False
    """Replace an existing ``output`` and sidecar (never the preset file being read, nor a link or special file)."""
    model: str | None = None
    """MusicGen hub id or directory, or ``debug``, ``debug-stereo``, ``debug-melody``; None: the preset's model."""
    backend: str = "transformers"
    """``transformers`` or ``audiocraft`` (text only)."""
    device: str = "auto"
    """``auto`` (cuda, mps, cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    dtype: str = "auto"
    """The text encoder's and decoder's number format: ``auto``, ``float32``, ``bfloat16`` or ``float16``
    (:attr:`optimizer.run.RunOptions.dtype`)."""
    seed: int = 0
    """Sampling seed, 0 to 2**32 - 1."""
    continuation: tuple[Path, ...] = ()
    """At most one audio prompt to continue (WAV, FLAC, OGG, MP3 or AIFF, >= 1 s); the clip holds the continuation
    only, as the optimizer scores it. Needs the transformers backend; not with ``melody``."""
    melody: tuple[Path, ...] = ()
    """At most one melody for a MusicGen-Melody model (>= 1 s); required by a preset found for a melody model."""


@dataclass(frozen=True)
class GeneratedClip:
    """What :func:`generate` wrote.

    Attributes:
        wav: the clip (PCM 16-bit WAV; its comment holds the sidecar's JSON).
        sidecar: the JSON record beside it: preset, prompt, params, model, backend, seed, conditioning, duration.
        model: the model that generated it (``GenerateOptions.model``, else the preset's).
        debug_model: whether that model is a tiny random-weight debug model (the clip is noise).
        notes: the notes :func:`generate` passed to ``say``, in order (each one sentence, without ``note:``).
    """

    wav: Path
    sidecar: Path
    model: str
    debug_model: bool
    notes: tuple[str, ...] = ()


def generate(options: GenerateOptions, *, say: Callable[[str], None] | None = None) -> GeneratedClip:
    """Generate one clip from a preset and write it with its sidecar, both at once or neither.

    Args:
        options: the clip; checked here before the model loads.
        say: called with each note for the user as it arises (e.g. a continuation preset used without a
            continuation, a debug model), one sentence without a ``note:`` prefix; None: notes are only returned.

    Returns:
        The files written and the model used (:class:`GeneratedClip`).

    Raises:
        UsageError: bad input, worded with the command line's flags (an empty or long prompt, a duration out of
            range, no ``.wav`` output, an unknown preset, melodies or continuations the preset or model cannot
            take, an output that exists without ``overwrite`` or cannot be written); nothing is written.
        ModelLoadError, DeviceError: a model that cannot be loaded, a device that is not there.
    """
    from optimizer.presets import PresetFileError, PresetValidationError, resolve_preset

    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        if say is not None:
            say(text)

    if not options.prompt.strip() or len(options.prompt) > MAX_PROMPT_CHARS:
        raise UsageError(f"the prompt must have 1 to {MAX_PROMPT_CHARS} characters.")
    if not 0.0 < options.duration <= MAX_CLIP_SECONDS:
        raise UsageError(f"--duration must be in (0, 300] seconds but got {options.duration:g}.")
    if options.output.suffix.lower() != ".wav":
        raise UsageError(f"-o must name a .wav file but got {str(options.output)!r}.")
    try:
        presets, preset = resolve_preset(_genre_file(options.preset))
    except (PresetFileError, PresetValidationError) as exc:
        raise UsageError(str(exc)) from None
    melodies = _melodies_for(options, dict(presets.provenance))
    audio_prompts = _continuation_for(options, dict(presets.provenance), note)
    sidecar = options.output.with_suffix(".json")
    _check_output(options.output, sidecar, preset_file=presets.path, overwrite=options.overwrite)
    model_name = options.model or presets.provenance["model"]
    check_backend_runs_model(model_name, options.backend, options.dtype)
    if audio_prompts and options.backend != "transformers":
        raise UsageError("--continuation needs --backend transformers (the audiocraft backend generates from text "
                         "only).")

    from objectives import DEBUG_MODELS, DeviceError, ModelLoadError, load_generator
    from objectives.generation import number_format, resolve_device

    quiet_libraries()
    try:
        device = resolve_device(options.device)
        generator = load_generator(model_name, backend=options.backend, device=device, max_batch=1,
                                   dtype=options.dtype)
    except (ModelLoadError, DeviceError):
        raise  # the caller words them (the command line adds the flag that fixes them)
    except ValueError as exc:
        raise UsageError(str(exc).strip()) from None
    check_melody_model(model_name, melodies, generator)
    if (slow := format_note(generator, device)) is not None:
        note(slow)
    params = preset.params
    clip = generator.generate([params.apply_suffix(options.prompt)], [params], [options.seed],
                              duration=options.duration, melodies=melodies[:1] if melodies else None,
                              audio_prompts=audio_prompts)
    conditioning: dict[str, Sequence[Path] | None] = {"continuation": options.continuation,
                                                      "melody": options.melody}  # empty ones: left out
    metadata = {
        "prompt": options.prompt,
        "conditioning_prompt": params.apply_suffix(options.prompt),
        "preset": {"file": str(presets.path), "name": preset.name, "genre": preset.genre, "trial": preset.trial,
                   "study": presets.provenance.get("study")},
        "params": params.to_dict(),
        "model": model_name,
        "backend": generator.backend,
        **({"dtype": dtype} if (dtype := number_format(generator)) else {}),  # the tokens depend on it
        "seed": options.seed,
        **({"conditioning": spec_conditioning(conditioning)} if melodies or audio_prompts else {}),
        "duration_s": options.duration,
        "sample_rate": clip.sample_rate,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    wave = clip.audio[0] if clip.channels is None else clip.channels[0].T  # a stereo model writes [T, 2]
    _write(options.output, sidecar, wave, clip.sample_rate, metadata, overwrite=options.overwrite)
    debug = model_name in DEBUG_MODELS
    if debug:
        note(f"the {model_name} model is random weights; the clip is noise.")
    return GeneratedClip(wav=options.output, sidecar=sidecar, model=model_name, debug_model=debug,
                         notes=tuple(notes))


def _genre_file(reference: str) -> str:
    """``GENRE[:NAME]`` (a genre name, not an existing file) as ``presets/GENRE.json[:NAME]``: the genre's file, which
    its default study writes (a study named by ``optimize --study-name`` writes its own file and prints its path)."""
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}(:\w{1,64})?", reference) and not os.path.lexists(reference):
        genre, sep, name = reference.partition(":")
        return f"{Path('presets') / f'{genre}.json'}{sep}{name}"
    return reference


def _melodies_for(options: GenerateOptions, provenance: dict[str, Any]) -> list | None:
    """``melody`` read, or refused: a melody preset needs a melody (it was tuned on one), and one is enough."""
    found_for = (provenance.get("conditioning") or {}).get("melody")
    if found_for and not options.melody:
        raise UsageError(f"this preset was found for a melody model conditioned on {found_for[0].split(' ')[0]}; "
                         "pass --melody FILE with the melody to follow.")
    if len(options.melody) > 1:
        raise UsageError(f"generate makes one clip and takes one --melody but got {len(options.melody)}.")
    return read_melodies(options.melody)


def _continuation_for(options: GenerateOptions, provenance: dict[str, Any],
                      note: Callable[[str], None]) -> list | None:
    """``continuation`` read (one file), or None; a preset tuned on continuations, used without one, gets a note:
    its decoding parameters were chosen for continuing audio and may suit text-only generation less."""
    if len(options.continuation) > 1:
        raise UsageError(f"generate makes one clip and takes one --continuation but got {len(options.continuation)}.")
    if options.continuation and options.melody:
        raise UsageError("--melody and --continuation cannot be combined yet; give one of them.")
    found_for = (provenance.get("conditioning") or {}).get("continuation")
    if found_for and not options.continuation:
        files = ", ".join(f.split(" ")[0] for f in found_for)
        note(f"this preset was found continuing audio prompts ({files}); without --continuation FILE it generates "
             "from text alone, which it was not tuned for.")
    return read_continuations(options.continuation, float(options.duration))


def _check_output(output: Path, sidecar: Path, *, preset_file: Path, overwrite: bool) -> None:
    """Refuse, before the model is loaded, an output the command could not or must not write."""
    for target in (output, sidecar):
        if target.exists() and os.path.samefile(target, preset_file):  # even with --overwrite
            raise UsageError(f"-o {str(output)!r} would overwrite the preset file being read ({str(target)!r}); "
                             "choose another -o.")
    folder = output.parent
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise UsageError(f"cannot write {str(output)!r}: folder {str(folder)!r} {what}.")
    if not os.access(folder, os.W_OK):  # also False on a read-only mount, where root is refused too
        raise UsageError(f"cannot write {str(output)!r}: folder {str(folder)!r} is not writable.")
    from optimizer._outputs import check_output

    hint = "pass --overwrite to replace it or choose another -o" if not overwrite else "choose another -o"
    for target, what in ((output, "the clip"), (sidecar, "the clip's sidecar")):
        check_output(target, what=what, hint=hint, overwrite=overwrite)  # links and special files: never


def _write(path: Path, sidecar: Path, audio: Any, sample_rate: int, metadata: dict[str, Any], *,
           overwrite: bool) -> None:
    import soundfile

    from optimizer._files import write_files_atomic

    wav = io.BytesIO()  # rendered in memory (<= 2 MB for 30 s) so a full device fails in one place, as OSError
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    with soundfile.SoundFile(wav, "w", samplerate=sample_rate, channels=channels, subtype="PCM_16", format="WAV") as f:
        f.title = metadata["prompt"][:200]
        f.software = "musicgen-decoding-optimizer generate"
        f.comment = json.dumps(metadata, ensure_ascii=True)
        f.write(audio.clip(-1.0, 1.0))
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    try:
        write_files_atomic({path: wav.getvalue(), sidecar: text.encode("utf-8")}, overwrite=overwrite)
    except FileExistsError as exc:
        raise UsageError(f"{exc.filename!r} was created while generating; nothing was written (pass --overwrite "
                         "to replace it).") from None
    except OSError as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}; nothing was written.") from None
