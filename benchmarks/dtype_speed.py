"""What ``--dtype`` buys and costs: the decode step in float32 against another number format, same weights.

    python benchmarks/dtype_speed.py [--dtype bfloat16] [--clips 1,8,48] [--size small] [--rounds 3]

For each clip count (the default trial's pass is 48 clips: two trials of 12 prompts x 2 seeds, two rows each for
classifier-free guidance), the median step time of the project's decode loop (``_roofline.decode_step_seconds``)
with the text encoder and decoder in float32 and in ``--dtype``, alternating float32 and the other format within
each of ``--rounds`` rounds (so a drift of the machine's speed falls on both), the fastest round of each kept. Then
the cost: greedy codes of ``--frames`` frames for 8 prompts in both formats, and how many tokens differ. Random
weights of the published architecture: the speed does not depend on the weights; the token count does (random
weights give flatter logits than trained ones, so more near-ties turn), so it bounds nothing for a real checkpoint.
The last line is ``<dtype>/float32 decode step speed-up at <n> clips: <x> (<d> of <t> greedy tokens differ)``.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import torch  # noqa: E402
import transformers  # noqa: E402
from _cli import whole_numbers  # noqa: E402
from _roofline import decode_step_seconds  # noqa: E402

from objectives import DTYPE_NAMES, DecodingParams  # noqa: E402
from objectives._debug import build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen, place_model, resolve_device, slow_format  # noqa: E402

PROMPTS = ["smooth jazz piano trio with brushed drums", "upbeat bebop saxophone quartet", "cool jazz ballad",
           "latin jazz with congas", "hard bop trumpet solo", "gypsy jazz guitar", "big band swing",
           "modal jazz with upright bass"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtype", default="bfloat16", choices=[d for d in DTYPE_NAMES if d != "float32"],
                        help="the format set against float32 (default bfloat16)")
    parser.add_argument("--clips", type=whole_numbers, default="1,8,48",
                        help="clips per pass, comma-separated (default 1,8,48)")
    parser.add_argument("--size", default="small", help="MusicGen architecture (default small; debug for dry runs)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3; fastest kept)")
    parser.add_argument("--frames", type=int, default=50, help="greedy frames per clip for the token count "
                                                                "(default 50 = 1 s)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    clips = args.clips
    if args.rounds < 1 or args.frames < 1:
        parser.error("--rounds and --frames must be at least 1.")
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    model, processor = build_random_musicgen(args.size)
    # each as optimize loads it (onednn_linears: float32 on CPU only); the copy first, converting replaces layers
    narrow = TransformersMusicGen(place_model(copy.deepcopy(model), device, getattr(torch, args.dtype)), processor,
                                  name=args.size, max_batch=max(clips), onednn_linears=True)
    generators = {"float32": TransformersMusicGen(place_model(model, device, torch.float32), processor,
                                                  name=args.size, max_batch=max(clips), onednn_linears=True),
                  args.dtype: narrow}
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, device {device}; musicgen-{args.size} "
          f"architecture, random weights; top-k 250, cfg_coef 3; load average {os.getloadavg()[0]:.1f}; CPU "
          f"capability {torch.backends.cpu.get_cpu_capability()}")
    if (slow := slow_format(getattr(torch, args.dtype), device)) is not None:
        print(f"# {slow}")
    params = DecodingParams(top_k=250, temperature=1.0, cfg_coef=3.0)
    for generator in generators.values():  # warm-up: kernels, allocator
        decode_step_seconds(generator, PROMPTS[:2], [params] * 2, [0, 1], frames=4, skip=1)
    print(f"{'clips':>6s} {'float32 ms':>11s} {args.dtype + ' ms':>12s} {'speed-up':>9s}")
    speedup = {}
    for n in clips:
        prompts = [PROMPTS[i % len(PROMPTS)] for i in range(n)]
        best = {name: float("inf") for name in generators}
        for _ in range(args.rounds):
            for name, generator in generators.items():
                best[name] = min(best[name], decode_step_seconds(generator, prompts, [params] * n, list(range(n))))
        speedup[n] = best["float32"] / best[args.dtype]
        print(f"{n:6d} {best['float32'] * 1e3:11.1f} {best[args.dtype] * 1e3:12.1f} {speedup[n]:9.2f}", flush=True)
    greedy = [DecodingParams(use_sampling=False, cfg_coef=3.0)] * len(PROMPTS)
    codes = {name: g.generate(PROMPTS, greedy, [0] * len(PROMPTS), duration=args.frames / g.frame_rate).codes
             for name, g in generators.items()}
    differ = int((codes["float32"] != codes[args.dtype]).sum())
    n = max(clips)
    print(f"{args.dtype}/float32 decode step speed-up at {n} clips: {speedup[n]:.2f} "
          f"({differ} of {codes['float32'].size} greedy tokens differ)")


if __name__ == "__main__":
    main()
