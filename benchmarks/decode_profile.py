"""Where a decoding step's time goes, by torch operator, with transformers' concatenating KV cache and with ours.

    python benchmarks/decode_profile.py [--clips 48] [--frames 20] [--size small] [--device auto]

Decodes ``--clips`` clips (two prompts, top-k 250, cfg_coef 3: the CLI's default search start) of ``--frames``
frames with the project's loop, once per cache and alternating (so load drifts hit both), under
``torch.profiler``. Prints each run's wall time per step and the share of the operators that take the most
self time, then EnCodec's time per 0.4 s and per 5 s clip when it decodes 1, 4, 16 or 48 clips per call
(alternating, best of ``--repeats``), then the ratio of step times in one run. Random weights of the published
architecture. "preallocated" is the project's loop as it runs on CPU: its cache and the cross-attention once per
condition (``objectives/generation/_cross_attention.py``, since 0e77517; figures before it had a copy per row).
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

import torch
import transformers
from torch.profiler import ProfilerActivity, profile

from objectives import DecodingParams
from objectives._debug import build_random_musicgen
from objectives.generation import TransformersMusicGen, resolve_device
from objectives.generation._stereo import decode_channels

OPERATORS = ["aten::mm", "aten::addmm", "aten::cat", "aten::_scaled_dot_product_flash_attention_for_cpu",
             "aten::add", "aten::native_layer_norm", "aten::gelu", "aten::copy_", "aten::topk"]


def run(generator: TransformersMusicGen, clips: int, frames: int, preallocated: bool) -> tuple[float, dict[str, float]]:
    """Seconds per step and {operator: share of self CPU time} of one decoding pass."""
    generator.preallocated_cache = generator.grouped_cross_attention = preallocated  # ours: both, as on CPU
    prompts = ["smooth jazz piano trio with brushed drums", "upbeat bebop saxophone quartet"] * (clips // 2)
    params = [DecodingParams(top_k=250, temperature=1.0, cfg_coef=3.0)] * len(prompts)
    steps = frames + generator.num_codebooks - 1
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        generator._decode(prompts, params, list(range(len(prompts))), frames, lambda *_: None)
        seconds = (time.perf_counter() - start) / steps
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    return seconds, {e.key: e.self_cpu_time_total / total for e in events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=48, help="clips per pass (default 48: two trials of 24)")
    parser.add_argument("--frames", type=int, default=20, help="frames per clip (default 20 = 0.4 s)")
    parser.add_argument("--size", default="small", help="MusicGen architecture (default small)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs per cache (default 2)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    model, processor = build_random_musicgen(args.size)
    generator = TransformersMusicGen(model.to(device), processor, name=args.size, max_batch=args.clips,
                                     onednn_linears=True)  # as optimize loads it, in both arms
    print(f"# {platform.node()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"device {device}; musicgen-{args.size} architecture, random weights; {args.clips} clips x {args.frames} "
          f"frames; load average {os.getloadavg()[0]:.1f}")
    generator._decode(["warm up"] * 2, [DecodingParams()] * 2, [0, 1], 2, lambda *_: None)
    best: dict[bool, float] = {}
    for _ in range(args.repeats):
        for preallocated in (False, True):
            seconds, shares = run(generator, args.clips, args.frames, preallocated)
            best[preallocated] = min(best.get(preallocated, float("inf")), seconds)
            label = "preallocated " if preallocated else "concatenating"
            print(f"{label} {seconds * 1e3:8.1f} ms/step  "
                  + ", ".join(f"{op.removeprefix('aten::')} {shares.get(op, 0.0):.1%}" for op in OPERATORS), flush=True)
    with torch.inference_mode():
        for seconds, clips in ((0.4, 48), (5.0, 16)):
            codes = torch.randint(0, 2048, (clips, generator.num_codebooks, round(seconds * generator.frame_rate)),
                                  device=device)
            per_clip: dict[int, float] = {}
            for _ in range(args.repeats):
                for rows in (1, 4, 16, 48):
                    if rows > clips:
                        continue
                    start = time.perf_counter()
                    for i in range(0, clips, rows):
                        decode_channels(model.audio_encoder, codes[i:i + rows], generator.audio_channels)
                    if device.type == "cuda":
                        torch.cuda.synchronize(device)
                    per_clip[rows] = min(per_clip.get(rows, float("inf")), (time.perf_counter() - start) / clips)
            print(f"EnCodec decode, ms per {seconds:g} s clip by clips per call: "
                  + ", ".join(f"{r}: {s * 1e3:.1f}" for r, s in per_clip.items()), flush=True)
    print(f"preallocated/concatenating cache step time (best of {args.repeats}): {best[True] / best[False]:.2f}")


if __name__ == "__main__":
    main()
