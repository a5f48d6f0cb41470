"""Decode step time when some rows are unguided (``cfg_coef = 1``): they get no null-condition copy.

    python benchmarks/guidance_rows.py [--size small] [--clips 16] [--frames 8] [--rounds 5]

A pass of ``--clips`` clips of one prompt where 0 %, 50 % and 100 % of the rows have ``cfg_coef = 1`` (the
others 3), timed with the project's decode loop (the fastest step of a pass after the first two: load from other
processes only adds time), against the same pass with every row guided. The shares are timed in interleaved
rounds (all shares in each round, the order rotated); each round's ratio is its share's step over the
all-guided step of the same round, and the printed ratio is the median over rounds. Random weights of the
published architecture. Expected: about ``(B + G) / 2B`` (G guided rows of B), nearer 1 where the step has a
fixed cost (the weights are read once per step whatever the rows).
The last line is exactly ``unguided share 0% | 50% | 100%: step-time ratio <r0> | <r50> | <r100>``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import torch  # noqa: E402
import transformers  # noqa: E402
from _roofline import sync  # noqa: E402

from objectives import DecodingParams  # noqa: E402
from objectives._debug import build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen, resolve_device  # noqa: E402

PROMPT = "smooth jazz trio with upright bass, brushed drums and warm piano, relaxed swing, 92 BPM"
SHARES = (0.0, 0.5, 1.0)


def rows(clips: int, share: float) -> list[DecodingParams]:
    """``clips`` top-k configurations, the first ``share`` of them at ``cfg_coef = 1``, the rest at 3."""
    unguided = round(share * clips)
    return [DecodingParams(temperature=1.0, top_k=250, cfg_coef=1.0 if i < unguided else 3.0) for i in range(clips)]


def fastest_step(generator: TransformersMusicGen, params: list[DecodingParams], frames: int) -> float:
    """Wall seconds of the fastest decoding step of one pass (after the first two, which warm caches): load from
    other processes only adds time, so the fastest step is the one least disturbed."""
    stamps: list[float] = []
    generator._decode([PROMPT] * len(params), params, list(range(len(params))), frames,
                      lambda *_: (sync(generator.device), stamps.append(time.perf_counter())))
    return min(b - a for a, b in itertools.pairwise(stamps[2:]))


def main(argv: list[str] | None = None) -> dict[float, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", help="MusicGen architecture: debug, small or medium (default small)")
    parser.add_argument("--clips", type=int, default=16, help="clips per pass (default 16)")
    parser.add_argument("--frames", type=int, default=8, help="frames decoded per timing (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    if args.clips < 2 or args.frames < 4 or args.rounds < 1:
        parser.error("--clips must be at least 2, --frames at least 4 and --rounds at least 1.")
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    model, processor = build_random_musicgen(args.size)
    generator = TransformersMusicGen(model.to(device), processor, name=args.size, max_batch=args.clips,
                                     onednn_linears=True)  # as optimize loads it
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"device {device}; musicgen-{args.size} architecture, random weights; {args.clips} clips, "
          f"{args.frames} frames, {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    fastest_step(generator, rows(2, 0.5), 4)  # warm-up
    ratios: dict[float, list[float]] = {share: [] for share in SHARES}
    steps: dict[float, list[float]] = {share: [] for share in SHARES}
    for number in range(args.rounds):
        order = SHARES[number % 3:] + SHARES[:number % 3]
        step = {share: fastest_step(generator, rows(args.clips, share), args.frames) for share in order}
        for share in SHARES:
            ratios[share].append(step[share] / step[0.0])
            steps[share].append(step[share])
        print(f"round {number + 1}: step ms " + ", ".join(f"{share:.0%} unguided {step[share] * 1e3:.1f}"
                                                          for share in SHARES), flush=True)
    medians = {share: statistics.median(values) for share, values in ratios.items()}
    for share in SHARES:
        guided = args.clips - round(share * args.clips)
        print(f"{share:4.0%} unguided: decoder rows {args.clips + guided:3d} of {2 * args.clips}, step-time ratio "
              f"{medians[share]:.2f} (rounds {' '.join(f'{r:.2f}' for r in ratios[share])})")
    best = {share: min(steps[share]) for share in SHARES}
    print("best step over all rounds: " + ", ".join(f"{share:.0%} unguided {best[share] * 1e3:.1f} ms (ratio "
                                                     f"{best[share] / best[0.0]:.2f})" for share in SHARES))
    print("unguided share 0% | 50% | 100%: step-time ratio " + " | ".join(f"{medians[s]:.2f}" for s in SHARES))
    return medians


if __name__ == "__main__":
    main()
