"""CLAP windows per forward pass: the time per 10 s window at each batch, and whether the embeddings agree.

    python benchmarks/clap_batch.py [--batches 1,2,4,8,16] [--windows 32] [--clap larger] [--rounds 3]

``ClapScorer`` embeds a clip's 10 s windows ``batch_size`` at a time. This times ``get_audio_features`` over the
same ``--windows`` windows (1 s noise clips at 48 kHz, repeat-padded by the feature extractor as in scoring) at each
batch, the batches alternating within each of ``--rounds`` rounds so a drift of the machine's speed falls on all,
the fastest round of each kept; then the largest difference between a window's embedding at each batch and at
batch 1 (batching must not change a score). Random weights of laion/larger_clap_music's architecture: the speed does
not depend on the weights. The last line is ``CLAP ms per window, batch <largest> / batch <fastest>: <ratio>``.
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
import transformers
from _cli import whole_numbers

from objectives._debug import build_random_clap
from objectives.generation import resolve_device
from objectives.scoring import CLAP_SAMPLE_RATE


@torch.inference_mode()
def embed(model, features: torch.Tensor, batch: int) -> tuple[float, torch.Tensor]:
    """Seconds to embed every window of ``features`` ``[W, 1, frames, mels]`` ``batch`` at a time, and the
    embeddings ``[W, D]``."""
    start = time.perf_counter()
    out = [model.get_audio_features(input_features=features[i:i + batch]).pooler_output
           for i in range(0, len(features), batch)]
    if features.device.type == "cuda":
        torch.cuda.synchronize(features.device)
    return time.perf_counter() - start, torch.cat(out).float()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=whole_numbers, default="1,2,4,8,16",
                        help="windows per forward, comma-separated")
    parser.add_argument("--windows", type=int, default=32, help="windows embedded at each batch (default 32)")
    parser.add_argument("--clap", default="larger", choices=["larger", "debug"],
                        help="CLAP architecture: larger (laion/larger_clap_music's, default) or debug (dry runs)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3; fastest kept)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    batches = args.batches
    if args.windows < 1 or args.rounds < 1:
        parser.error("--windows and --rounds must be at least 1.")
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    model, processor = build_random_clap(args.clap)
    model = model.to(device).eval()
    clips = np.random.default_rng(0).standard_normal((args.windows, CLAP_SAMPLE_RATE)).astype(np.float32) * 0.1
    features = processor(audio=list(clips), sampling_rate=CLAP_SAMPLE_RATE, truncation="rand_trunc",
                         padding="repeatpad", return_tensors="pt")["input_features"].to(device)
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, device {device}; {args.clap} CLAP "
          f"architecture, random weights; {args.windows} windows of {tuple(features.shape[1:])}; load average "
          f"{os.getloadavg()[0]:.1f}")
    embed(model, features[:2], 2)  # warm-up: kernels, allocator
    best = {b: float("inf") for b in batches}
    embeddings: dict[int, torch.Tensor] = {}
    for _ in range(args.rounds):
        for b in batches:
            seconds, embeddings[b] = embed(model, features, b)
            best[b] = min(best[b], seconds)
    _, single = embed(model, features, 1)
    print(f"{'batch':>6s} {'ms/window':>10s} {'max |diff| vs batch 1':>22s}")
    for b in batches:
        diff = float((embeddings[b] - single).abs().max())
        print(f"{b:6d} {best[b] / args.windows * 1e3:10.1f} {diff:22.2e}", flush=True)
    fastest, largest = min(batches, key=best.__getitem__), max(batches)
    print(f"CLAP ms per window, batch {largest} / batch {fastest}: {best[largest] / best[fastest]:.2f}")


if __name__ == "__main__":
    main()
