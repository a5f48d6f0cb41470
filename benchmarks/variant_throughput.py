"""Decoding steps per second of the MusicGen variants against mono, same decoder widths, in one run.

    python benchmarks/variant_throughput.py [--size small] [--clips 8] [--duration 1.0]

Mono (4 codebooks), stereo (8 interleaved codebooks, like ``facebook/musicgen-stereo-*``) and melody (chroma
conditioning prepended to the decoder input, like ``facebook/musicgen-melody``), each with random weights of the
same decoder, text encoder and EnCodec widths (``--size``), decoding ``--clips`` rows of ``--duration`` seconds
with this project's loop (per-row sampling, CFG doubling the rows). Timings do not depend on the weights. The
last line is exactly ``stereo/mono steps/s: <ratio> | melody/mono steps/s: <ratio>``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from objectives import DecodingParams
from objectives._debug import build_random_musicgen
from objectives._debug_melody import build_random_musicgen_melody
from objectives.generation import TransformersMusicGen
from objectives.generation._melody import MelodyMusicGen

PROMPT = "smooth jazz trio with upright bass, brushed drums and warm piano, relaxed swing, 92 BPM"


def steps_per_second(backend: TransformersMusicGen, clips: int, duration: float, **conditioning) -> float:
    """Best of two timed passes (after one warm-up pass of 0.2 s): decoding steps per second of ``clips`` rows."""
    params = [DecodingParams(temperature=1.0, top_k=250, cfg_coef=3.0)] * clips
    backend.generate([PROMPT] * clips, params, list(range(clips)), duration=0.2, **conditioning)
    best = 0.0
    steps = [0]

    def count(done: int, total: int) -> None:
        steps[0] = total

    for _ in range(2):
        start = time.perf_counter()
        backend.generate([PROMPT] * clips, params, list(range(clips)), duration=duration, on_step=count,
                         **conditioning)
        best = max(best, steps[0] / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", help="debug, small or medium (default small)")
    parser.add_argument("--clips", type=int, default=8, help="rows per pass (default 8)")
    parser.add_argument("--duration", type=float, default=1.0, help="seconds per clip (default 1.0)")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, torch "
          f"{torch.__version__}; {args.size} widths, random weights; {args.clips} clips x {args.duration:g} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    rates = {}
    model, processor = build_random_musicgen(args.size, audio_channels=1)
    onednn = {"max_batch": args.clips, "onednn_linears": True}  # as optimize loads each
    rates["mono"] = steps_per_second(TransformersMusicGen(model, processor, name="mono", **onednn),
                                     args.clips, args.duration)
    del model
    model, processor = build_random_musicgen(args.size, audio_channels=2)
    rates["stereo"] = steps_per_second(TransformersMusicGen(model, processor, name="stereo", **onednn),
                                       args.clips, args.duration)
    del model
    model, tokenizer = build_random_musicgen_melody(size=args.size)
    melody = np.sin(2 * np.pi * 220.0 * np.arange(32_000 * 4) / 32_000).astype(np.float32)
    rates["melody"] = steps_per_second(MelodyMusicGen(model, tokenizer, name="melody", **onednn),
                                       args.clips, args.duration, melodies=[melody] * args.clips)
    for name, rate in rates.items():
        print(f"{name:7s} {rate:6.2f} steps/s  {rate * args.clips / 50:6.3f} clip-seconds/s")
    print(f"stereo/mono steps/s: {rates['stereo'] / rates['mono']:.2f} | "
          f"melody/mono steps/s: {rates['melody'] / rates['mono']:.2f}")


if __name__ == "__main__":
    main()
