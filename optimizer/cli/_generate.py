"""``generate``: one clip from a preset, with the same generation code the optimizer uses."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from objectives import DTYPE_NAMES
from optimizer._errors import EXIT_USAGE, UsageError
from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._argtypes import seed_arg
from optimizer.cli._conditioning import add_melody_argument
from optimizer.cli._errors import one_line
from optimizer.cli._options import generate_options
from optimizer.cli._warnings import quiet_library_warnings

__all__ = ["main"]

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
    p.add_argument("--dtype", default="auto", choices=("auto", *DTYPE_NAMES),
                   help="the MusicGen's number format (default auto: float16 on CUDA, float32 elsewhere; EnCodec "
                        "stays float32); the tokens depend on it, and the sidecar records it")
    p.add_argument("--seed", type=seed_arg, default=0, help="sampling seed, 0 to 2**32 - 1 (default 0)")
    p.add_argument("--continuation", action="append", type=Path, metavar="FILE", default=None,
                   help="audio prompt to continue (WAV, FLAC, OGG, MP3 or AIFF, >= 1 s); --duration is then the "
                        "continuation's length, prompt + continuation fit 30 s, and the clip holds the "
                        "continuation only (as the optimizer scores it)")
    add_melody_argument(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``generate`` console script; returns the exit code."""
    from objectives import DeviceError, ModelLoadError
    from optimizer.run import generate

    args = _parser().parse_args(argv)
    quiet_library_warnings()
    try:
        clip = generate(generate_options(args), say=_note)
    except (UsageError, ModelLoadError, DeviceError) as exc:
        print(f"generate: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {clip.wav} and {clip.sidecar}", file=sys.stderr)
    return 0


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)
