"""What each suspected piece of work that does not count would be worth if it were removed (issue 22).

    python benchmarks/waste_costs.py [--size small] [--clap larger] [--prompts 12] [--seeds 2] [--duration 1]
                                     [--rounds 3]

One trial of the default search (P prompts x R seeds x D seconds, musicgen-``--size`` and CLAP of
laion/larger_clap_music's architecture, random weights), then, timed in interleaved rounds (the fastest of the
rounds: load from other processes only adds time):

- **text padding**: every decoder row cross-attends to the text tokens of its prompt padded to the longest
  prompt of the pass. The decode step of the trial's rows against the same rows all given the prompt of median
  length (no padding left): the ratio bounds what grouping rows by prompt length could save.
- **spectrogram sheet**: the PNG uploaded with every trial for optuna-dashboard
  (``optimizer.search._artifacts.spectrogram_sheet``), against the trial's generation + scoring time.
- **CLAP window**: CLAP embeds fixed 10 s windows (HTSAT's input is 1001 mel frames; a short clip is
  repeat-padded to 10 s, ``ClapFeatureExtractor(padding="repeatpad")``). The audio embedding of the trial's
  D-second clips against the same number of 10 s clips: a ratio near 1 says the window, not the clip, sets the
  cost; the share is CLAP's part of the trial.

The last line is exactly ``waste: text padding <p>% of a step | spectrogram sheet <s>% of a trial | CLAP
<c>% of a trial (10 s clips cost <r>x D-second clips)``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from _roofline import sync  # noqa: E402

from objectives import DecodingParams, Evaluator  # noqa: E402
from objectives._debug import build_random_clap, build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen, default_dtype, resolve_device  # noqa: E402
from objectives.scoring import ClapScorer  # noqa: E402
from optimizer.search._artifacts import spectrogram_sheet  # noqa: E402  (not on the face: only the runner uploads it)

CONFIG = DecodingParams(temperature=1.0, top_k=250, cfg_coef=3.0)
"""MusicGen's default decoding: one trial of the search costs what this one does."""


def fastest(run: Callable[[], object], rounds: int) -> float:
    """Wall seconds of the fastest of ``rounds`` calls of ``run``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def median_prompt(processor, prompts: list[str]) -> tuple[str, list[int]]:
    """The prompt of median token length and every prompt's length in tokens."""
    lengths = [len(processor.tokenizer(p)["input_ids"]) for p in prompts]
    order = sorted(range(len(prompts)), key=lengths.__getitem__)
    return prompts[order[len(order) // 2]], lengths


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", help="MusicGen architecture: debug, small or medium (default small)")
    parser.add_argument("--clap", default="larger", choices=["larger", "debug"],
                        help="CLAP architecture: larger (laion/larger_clap_music's, default) or debug (dry runs)")
    parser.add_argument("--prompts", type=int, default=12, help="P prompts from studies/jazz.toml (default 12)")
    parser.add_argument("--seeds", type=int, default=2, help="R seeds per prompt (default 2)")
    parser.add_argument("--duration", type=float, default=1.0, help="D seconds per clip (default 1)")
    parser.add_argument("--frames", type=int, default=8, help="frames decoded per step timing (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    if args.prompts < 2 or args.seeds < 1 or args.rounds < 1 or args.frames < 4 or not 0 < args.duration <= 10:
        parser.error("--prompts must be at least 2, --seeds and --rounds at least 1, --frames at least 4 and "
                     "--duration in (0, 10] seconds.")
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    prompts = tomllib.loads((ROOT / "studies" / "jazz.toml").read_text())["prompts"][:args.prompts]
    clips = len(prompts) * args.seeds
    model, processor = build_random_musicgen(args.size)
    generator = TransformersMusicGen(model.to(device=device, dtype=default_dtype(device)), processor,
                                     name=args.size, max_batch=clips, onednn_linears=True)  # as optimize loads it
    clap_model, clap_processor = build_random_clap(args.clap)
    clap = ClapScorer(clap_model.to(device), clap_processor, name=f"{args.clap} CLAP (random)")
    evaluator = Evaluator(generator=generator, clap=clap, prompts=prompts, replicates=args.seeds,
                          duration=args.duration)
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"device {device}; musicgen-{args.size}, {args.clap} CLAP, random weights; {len(prompts)} prompts x "
          f"{args.seeds} seeds x {args.duration:g} s; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")

    middle, lengths = median_prompt(processor, prompts)
    padded = [p for p in prompts for _ in range(args.seeds)]
    unpadded = [middle] * clips
    seeds = list(range(clips))
    rate = generator.sample_rate
    short = np.random.default_rng(0).standard_normal((clips, round(args.duration * rate))).astype(np.float32) * 0.1
    long = np.random.default_rng(1).standard_normal((clips, 10 * rate)).astype(np.float32) * 0.1
    evaluator.evaluate(CONFIG)  # warm-up: kernels, allocator, CLAP's text tower
    steps: dict[str, list[float]] = {"padded": [], "median": []}
    trial, sheet, clap_short, clap_long = [], [], [], []
    for number in range(args.rounds):
        order = ("padded", "median") if number % 2 == 0 else ("median", "padded")
        for name in order:
            rows = padded if name == "padded" else unpadded
            steps[name].append(fastest_step(generator, rows, seeds, args.frames))
        evaluation = evaluator.evaluate(CONFIG)
        trial.append(evaluation.generation_seconds + evaluation.scoring_seconds)
        sheet.append(fastest(lambda e=evaluation: spectrogram_sheet(e), 1))
        clap_short.append(fastest(lambda: clap.audio_embeddings(short, rate), 1))
        clap_long.append(fastest(lambda: clap.audio_embeddings(long, rate), 1))
        print(f"round {number + 1}: step padded {steps['padded'][-1] * 1e3:.1f} ms, median prompt "
              f"{steps['median'][-1] * 1e3:.1f} ms; trial {trial[-1]:.2f} s, sheet {sheet[-1]:.2f} s, CLAP "
              f"{args.duration:g} s clips {clap_short[-1]:.2f} s, 10 s clips {clap_long[-1]:.2f} s "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    padding = 1 - min(steps["median"]) / min(steps["padded"])
    sheet_share = min(sheet) / (min(trial) + min(sheet))
    clap_share = min(clap_short) / (min(trial) + min(sheet))
    window = min(clap_long) / min(clap_short)
    pad_tokens = 1 - statistics.mean(lengths) / max(lengths)
    print(f"text tokens per prompt {min(lengths)}-{max(lengths)} (mean {statistics.mean(lengths):.1f}): "
          f"{pad_tokens:.0%} of the cross-attention keys are padding; a step with every row at the median prompt "
          f"is {padding:.1%} faster")
    print(f"spectrogram sheet {min(sheet):.2f} s per trial of {min(trial):.2f} s (generation + scoring)")
    print(f"CLAP audio embedding {min(clap_short):.2f} s for {clips} clips of {args.duration:g} s, "
          f"{min(clap_long):.2f} s for {clips} clips of 10 s")
    print(f"waste: text padding {padding:.0%} of a step | spectrogram sheet {sheet_share:.0%} of a trial | CLAP "
          f"{clap_share:.0%} of a trial (10 s clips cost {window:.2f}x {args.duration:g}-second clips)")
    return {"padding": padding, "sheet": sheet_share, "clap": clap_share, "window": window}


def fastest_step(generator: TransformersMusicGen, prompts: list[str], seeds: list[int], frames: int) -> float:
    """Wall seconds of the fastest decoding step (after the first two, which warm caches) of ``prompts`` at
    MusicGen's default decoding."""
    stamps: list[float] = []
    generator._decode(prompts, [CONFIG] * len(prompts), seeds, frames,
                      lambda *_: (sync(generator.device), stamps.append(time.perf_counter())))
    return min(b - a for a, b in itertools.pairwise(stamps[2:]))


if __name__ == "__main__":
    main()
