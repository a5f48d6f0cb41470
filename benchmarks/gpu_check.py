"""The Python half of ``benchmarks/gpu_check.sh`` (issue 22's GPU check in one call); not a library module.

    python benchmarks/gpu_check.py prepare DIR [--sizes debug,small]   # random-weight checkpoints to DIR
    python benchmarks/gpu_check.py tokens [--size small] [--device cuda] [--prompts 4] [--frames 50]
    python benchmarks/gpu_check.py throughput [--size small] [--device cuda] [--ks 1,4,16] [--prompts 12] [--seeds 2]

``prepare`` saves MusicGen of each architecture and the debug CLAP with ``save_pretrained`` (random weights from
``objectives._debug``: no network), so ``optimize --model DIR`` loads them as it loads a user's checkpoint, in
half precision on CUDA. ``tokens`` decodes the same prompts greedily (cfg 3) in float32 and in float16 with the
project's loop and prints how many tokens differ. ``throughput`` times K trials per pass (K configurations x P
prompts x R seeds, one ``generate`` call) and prints clips/s and the device memory per clip (peak allocated
above the weights on CUDA; the estimate the batch sizing uses, ``row_bytes``, everywhere). Each command prints
lines starting ``gpu check:``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import tomllib
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import torch  # noqa: E402
import transformers  # noqa: E402
from _cli import whole_numbers  # noqa: E402
from _roofline import sync  # noqa: E402
from decode_throughput import configs  # noqa: E402

from objectives import DecodingParams  # noqa: E402
from objectives._debug import build_debug_clap, build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen, default_dtype, place_model, resolve_device  # noqa: E402


def _prompts(count: int) -> list[str]:
    return tomllib.loads((ROOT / "studies" / "jazz.toml").read_text())["prompts"][:count]


def prepare(directory: Path, sizes: list[str]) -> None:
    """``DIR/musicgen-<size>`` for each size and ``DIR/clap-debug``, saved as a user's local copies."""
    transformers.utils.logging.disable_progress_bar()
    for size in dict.fromkeys(sizes):
        start = time.perf_counter()
        model, processor = build_random_musicgen(size)
        model.save_pretrained(directory / f"musicgen-{size}")
        processor.save_pretrained(directory / f"musicgen-{size}")
        print(f"gpu check: saved random musicgen-{size} ({sum(p.numel() for p in model.parameters()) / 1e6:.0f} M "
              f"parameters) in {time.perf_counter() - start:.0f} s", flush=True)
    model, processor = build_debug_clap()
    model.save_pretrained(directory / "clap-debug")
    processor.save_pretrained(directory / "clap-debug")


@torch.inference_mode()
def tokens(size: str, device: torch.device, prompts: int, frames: int) -> int:
    """Greedy tokens (cfg 3) of float16 against float32 on ``device``; returns the number that differ."""
    model, processor = build_random_musicgen(size)
    texts = _prompts(prompts)
    params = [DecodingParams(use_sampling=False, cfg_coef=3.0)] * len(texts)
    codes = {}
    for dtype in (torch.float32, torch.float16):
        generator = TransformersMusicGen(place_model(copy.deepcopy(model), device, dtype), processor, name=size,
                                         onednn_linears=True)
        codes[dtype] = generator._decode(texts, params, list(range(len(texts))), frames, lambda *_: None).cpu()
        del generator
    differ = codes[torch.float32] != codes[torch.float16]
    rows = differ.flatten(1).any(dim=1)
    first = [int(d.any(dim=0).nonzero()[0]) for d in differ[rows]]
    print(f"gpu check: fp16 vs fp32 greedy tokens ({size}, {len(texts)} prompts x {frames} frames x "
          f"{differ.shape[1]} codebooks, cfg 3): {int(differ.sum())} of {differ.numel()} differ; "
          f"{int(rows.sum())} of {len(texts)} prompts differ"
          + (f", first at frame {min(first)} (later tokens follow from it)" if first else ""), flush=True)
    return int(differ.sum())


def throughput(size: str, device: torch.device, ks: list[int], prompts: int, seeds: int, duration: float) -> None:
    """clips/s and memory per clip with K trials per pass, in the model's default dtype on ``device``."""
    model, processor = build_random_musicgen(size)
    dtype = default_dtype(device)
    generator = TransformersMusicGen(place_model(model, device, dtype), processor, name=size,
                                     onednn_linears=True)  # as optimize loads it
    texts = _prompts(prompts)
    generator.max_batch = max(ks) * len(texts) * seeds
    generator.generate(texts[:1], configs(1), [0], duration=0.1)  # warm-up
    for k in ks:
        rows = [(text, p, seed) for p in configs(k) for text in texts for seed in range(seeds)]
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        sync(device)
        start = time.perf_counter()
        generator.generate([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], duration=duration)
        sync(device)
        seconds = time.perf_counter() - start
        measured = (f"{(torch.cuda.max_memory_allocated(device) - base) / len(rows) / 2**20:.1f} MiB measured, "
                    if device.type == "cuda" else "")
        print(f"gpu check: K={k:2d} trials per pass ({size}, {str(dtype).removeprefix('torch.')}, {len(rows)} clips "
              f"of {duration:g} s): {len(rows) / seconds:.2f} clips/s; memory per clip {measured}"
              f"{generator.row_bytes(duration) / 2**20:.1f} MiB estimated", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("directory", type=Path)
    p.add_argument("--sizes", default="debug,small")
    for name in ("tokens", "throughput"):
        p = commands.add_parser(name)
        p.add_argument("--size", default="small")
        p.add_argument("--device", default="auto")
        p.add_argument("--prompts", type=int, default=4 if name == "tokens" else 12)
    commands.choices["tokens"].add_argument("--frames", type=int, default=50)
    commands.choices["throughput"].add_argument("--ks", type=whole_numbers, default="1,4,16")
    commands.choices["throughput"].add_argument("--seeds", type=int, default=2)
    commands.choices["throughput"].add_argument("--duration", type=float, default=1.0)
    args = parser.parse_args(argv)
    transformers.logging.set_verbosity_error()
    if args.command == "prepare":
        prepare(args.directory, args.sizes.split(","))
    elif args.command == "tokens":
        tokens(args.size, resolve_device(args.device), args.prompts, args.frames)
    else:
        throughput(args.size, resolve_device(args.device), args.ks, args.prompts,
                   args.seeds, args.duration)


if __name__ == "__main__":
    main()
