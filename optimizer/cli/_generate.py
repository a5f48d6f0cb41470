"""``generate``: one clip from a preset, with the same generation code the optimizer uses."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from optimizer._errors import EXIT_USAGE, UsageError
from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._argtypes import seed_arg
from optimizer.cli._conditioning import add_melody_argument, read_melodies, spec_conditioning
from optimizer.cli._errors import one_line
from optimizer.cli._warnings import quiet_library_warnings
from optimizer.run import check_backend_runs_model, check_melody_model, read_continuations

__all__ = ["main"]

_MAX_PROMPT_CHARS = 2_000
_EXAMPLES = """\
examples:
  generate --preset presets/jazz.json:balanced "smooth jazz trio, 90 BPM" --duration 10 -o out.wav
  generate --preset presets/jazz.json "late-night piano trio" --seed 7 --model ./musicgen-small
  generate --preset jazz "the same trio, going on" --continuation intro.wav --duration 8

The model defaults to the one the preset was optimised for (its provenance). The clip's WAV comment and a
sidecar out.json record the preset, prompt, model and seed. Existing files are kept unless --overwrite.
"""



def _parser() -> argparse.ArgumentParser:
    p = OneLineArgumentParser(prog="generate", description=__doc__, epilog=_EXAMPLES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("prompt", help="text prompt")
    p.add_argument("--preset", required=True,
                   help="PRESET_FILE[:NAME] or GENRE[:NAME] (presets/GENRE.json); NAME defaults to balanced "
                        "(preferred for a pairwise study's file)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds (default 10, max 300)")
    p.add_argument("-o", "--output", type=Path, default=Path("out.wav"),
                   help="WAV file (default out.wav); its sidecar is the same name with .json")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing -o file and its .json sidecar (never the preset file being read)")
    p.add_argument("--model", help="MusicGen hub id, directory, or 'debug', 'debug-stereo', 'debug-melody' "
                                    "(tiny random models; default: the preset's model)")
    p.add_argument("--backend", default="transformers", choices=("transformers", "audiocraft"))
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=seed_arg, default=0, help="sampling seed, 0 to 2**32 - 1 (default 0)")
    p.add_argument("--continuation", action="append", type=Path, metavar="FILE", default=None,
                   help="audio prompt to continue (WAV, FLAC, OGG, MP3 or AIFF, >= 1 s); --duration is then the "
                        "continuation's length, prompt + continuation fit 30 s, and the clip holds the "
                        "continuation only (as the optimizer scores it)")
    add_melody_argument(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``generate`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    quiet_library_warnings()
    try:
        return _run(args)
    except UsageError as exc:
        print(f"generate: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from optimizer.presets import PresetFileError, PresetValidationError, resolve_preset

    if not args.prompt.strip() or len(args.prompt) > _MAX_PROMPT_CHARS:
        raise UsageError(f"the prompt must have 1 to {_MAX_PROMPT_CHARS} characters.")
    if not 0.0 < args.duration <= 300.0:  # past 30 s in windows advanced by the preset's extend_stride
        raise UsageError(f"--duration must be in (0, 300] seconds but got {args.duration:g}.")
    if args.output.suffix.lower() != ".wav":
        raise UsageError(f"-o must name a .wav file but got {str(args.output)!r}.")
    try:
        presets, preset = resolve_preset(_genre_file(args.preset))
    except (PresetFileError, PresetValidationError) as exc:
        raise UsageError(str(exc)) from None
    melodies = _melodies_for(args, dict(presets.provenance))
    audio_prompts = _continuation_for(args, dict(presets.provenance))
    sidecar = args.output.with_suffix(".json")
    _check_output(args.output, sidecar, preset_file=presets.path, overwrite=args.overwrite)
    model_name = args.model or presets.provenance["model"]
    check_backend_runs_model(model_name, args.backend)
    if audio_prompts and args.backend != "transformers":
        raise UsageError("--continuation needs --backend transformers (the audiocraft backend generates from text "
                         "only).")

    from objectives import load_generator
    from objectives.generation import ModelLoadError, resolve_device
    from optimizer.run import quiet_libraries

    quiet_libraries()
    try:
        generator = load_generator(model_name, backend=args.backend, device=resolve_device(args.device), max_batch=1)
    except (ModelLoadError, ValueError) as exc:
        raise UsageError(one_line(exc)) from None
    check_melody_model(model_name, melodies, generator)
    clip = generator.generate([preset.params.apply_suffix(args.prompt)], [preset.params], [args.seed],
                              duration=args.duration, melodies=melodies[:1] if melodies else None,
                              audio_prompts=audio_prompts)
    metadata = {
        "prompt": args.prompt,
        "conditioning_prompt": preset.params.apply_suffix(args.prompt),
        "preset": {"file": str(presets.path), "name": preset.name, "genre": preset.genre, "trial": preset.trial,
                   "study": presets.provenance.get("study")},
        "params": preset.params.to_dict(),
        "model": model_name,
        "backend": generator.backend,
        "seed": args.seed,
        **({"conditioning": spec_conditioning(args)} if melodies or audio_prompts else {}),
        "duration_s": args.duration,
        "sample_rate": clip.sample_rate,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    wave = clip.audio[0] if clip.channels is None else clip.channels[0].T  # a stereo model writes [T, 2]
    _write(args.output, sidecar, wave, clip.sample_rate, metadata, overwrite=args.overwrite)
    from objectives import DEBUG_MODELS

    if model_name in DEBUG_MODELS:
        print(f"note: the {model_name} model is random weights; the clip is noise.", file=sys.stderr)
    print(f"wrote {args.output} and {sidecar}", file=sys.stderr)
    return 0


def _genre_file(reference: str) -> str:
    """``GENRE[:NAME]`` (a genre name, not an existing file) as ``presets/GENRE.json[:NAME]``: the genre's file, which
    its default study writes (a study named by ``optimize --study-name`` writes its own file and prints its path)."""
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}(:\w{1,64})?", reference) and not os.path.lexists(reference):
        genre, sep, name = reference.partition(":")
        return f"{Path('presets') / f'{genre}.json'}{sep}{name}"
    return reference


def _melodies_for(args: argparse.Namespace, provenance: dict[str, Any]) -> list | None:
    """``--melody`` read, or refused: a melody preset needs a melody (it was tuned on one), and one is enough."""
    found_for = (provenance.get("conditioning") or {}).get("melody")
    if found_for and not args.melody:
        raise UsageError(f"this preset was found for a melody model conditioned on {found_for[0].split(' ')[0]}; "
                         "pass --melody FILE with the melody to follow.")
    if args.melody and len(args.melody) > 1:
        raise UsageError(f"generate makes one clip and takes one --melody but got {len(args.melody)}.")
    return read_melodies(args)


def _continuation_for(args: argparse.Namespace, provenance: dict[str, Any]) -> list | None:
    """``--continuation`` read (one file), or None; a preset tuned on continuations, used without one, gets a note:
    its decoding parameters were chosen for continuing audio and may suit text-only generation less."""
    if args.continuation and len(args.continuation) > 1:
        raise UsageError(f"generate makes one clip and takes one --continuation but got {len(args.continuation)}.")
    if args.continuation and args.melody:
        raise UsageError("--melody and --continuation cannot be combined yet; give one of them.")
    found_for = (provenance.get("conditioning") or {}).get("continuation")
    if found_for and not args.continuation:
        files = ", ".join(f.split(" ")[0] for f in found_for)
        print(f"note: this preset was found continuing audio prompts ({files}); "
              "without --continuation FILE it generates from text alone, which it was not tuned for.",
              file=sys.stderr)
    return read_continuations(args.continuation, float(args.duration))


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
