"""Clips per second: K configurations in one batched decoding pass versus K per-configuration ``generate`` calls.

    python benchmarks/decode_throughput.py [--duration 1.0] [--ks 1,4,8,16] [--sizes debug,small]

"Sequential" is today's practice: one transformers ``generate`` call per configuration (with that
configuration's ``to_transformers()`` kwargs). "Batched" is this project's decode loop with K rows, each
with its own parameters and seed. Random weights of the published architectures (timings do not depend on
the weights). Also reported: scoring time per clip against generation time per clip (CLAP of
laion/larger_clap_music's architecture, repetition, degeneracy), and the optimizer's overhead per trial
(TPE ask + suggest + tell on SQLite). On CUDA it adds musicgen-medium, fp16/bf16, decoding steps/s and the
share of the measured copy bandwidth used. The last line is exactly
``batched/sequential clips/s at K=8: <ratio>`` for the musicgen-small architecture.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
import transformers
from _cli import whole_numbers

from objectives import DecodingParams
from objectives._debug import build_random_clap, build_random_musicgen
from objectives.generation import TransformersMusicGen, resolve_device, weight_bytes
from objectives.scoring import ClapScorer, degeneracy, repetition_score

PROMPT = "smooth jazz trio with upright bass, brushed drums and warm piano, relaxed swing, 92 BPM"


def configs(k: int) -> list[DecodingParams]:
    """K distinct configurations, alternating top-k and nucleus."""
    rng = np.random.default_rng(k)
    out = []
    for i in range(k):
        temperature = float(rng.uniform(0.6, 1.4))
        cfg = float(rng.uniform(1.5, 5.0))
        if i % 2:
            out.append(DecodingParams(temperature=temperature, top_k=0, top_p=float(rng.uniform(0.6, 0.95)),
                                      cfg_coef=cfg))
        else:
            out.append(DecodingParams(temperature=temperature, top_k=int(rng.integers(20, 400)), cfg_coef=cfg))
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_batched(generator: TransformersMusicGen, k: int, duration: float) -> float:
    params = configs(k)
    sync(generator.device)
    start = time.perf_counter()
    generator.generate([PROMPT] * k, params, list(range(k)), duration=duration)
    sync(generator.device)
    return time.perf_counter() - start


@torch.inference_mode()
def time_sequential(generator: TransformersMusicGen, k: int, duration: float) -> float:
    model, processor = generator.model, generator.processor
    steps = round(duration * generator.frame_rate) + generator.num_codebooks - 1
    inputs = processor(text=[PROMPT], padding=True, return_tensors="pt").to(generator.device)
    sync(generator.device)
    start = time.perf_counter()
    for i, params in enumerate(configs(k)):
        torch.manual_seed(i)
        model.generate(**inputs, max_new_tokens=steps, **params.to_transformers())
    sync(generator.device)
    return time.perf_counter() - start


def copy_bandwidth(device: torch.device) -> float | None:
    """Bytes/s of a device-to-device copy (read + write), the practical memory-bandwidth ceiling."""
    if device.type != "cuda":
        return None
    x = torch.empty(1 << 30, dtype=torch.uint8, device=device)
    y = torch.empty_like(x)
    y.copy_(x)
    sync(device)
    start = time.perf_counter()
    for _ in range(10):
        y.copy_(x)
    sync(device)
    return 2 * x.numel() * 10 / (time.perf_counter() - start)


def step_bytes(generator: TransformersMusicGen, rows: int, duration: float) -> float:
    """Bytes read per decoding step: every weight once plus, on average, half the final KV cache per row."""
    weights = weight_bytes(generator.model.decoder)
    return weights + rows * generator.row_bytes(duration) / 2


def optimizer_overhead(trials: int = 50) -> float:
    """Seconds per trial of TPE ask + suggest + tell on a SQLite study (no evaluation)."""
    import optuna

    from optimizer.search._samplers import make_sampler
    from optimizer.search._space import SearchSpace

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace()
    with tempfile.TemporaryDirectory() as tmp:
        study = optuna.create_study(storage=f"sqlite:///{tmp}/bench.db", directions=["maximize", "minimize"],
                                    sampler=make_sampler("tpe", seed=0))
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for _ in range(trials):
            trial = study.ask()
            space.suggest(trial)
            trial.set_constraint("noise", -1.0)
            study.tell(trial, [float(rng.random()), float(rng.random())])
        return (time.perf_counter() - start) / trials


def scoring_per_clip(audio: np.ndarray, sample_rate: int, device: torch.device) -> float:
    model, processor = build_random_clap("larger")
    clap = ClapScorer(model.to(device), processor, name="larger_clap_music (random)")
    clap.text_embeddings([PROMPT])
    clap.adherence(audio[:1], sample_rate, [PROMPT])  # warm-up
    start = time.perf_counter()
    clap.adherence(audio, sample_rate, [PROMPT] * len(audio))
    for clip in audio:
        repetition_score(clip, sample_rate)
        degeneracy(clip, sample_rate)
    return (time.perf_counter() - start) / len(audio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=1.0, help="clip length in seconds (default 1)")
    parser.add_argument("--ks", type=whole_numbers, default="1,4,8,16",
                        help="numbers of configurations (default 1,4,8,16)")
    parser.add_argument("--sizes", default=None, help="architectures (default debug,small; +medium on CUDA)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--scoring-duration", type=float, default=5.0,
                        help="clip length for the scoring-vs-generation comparison (default 5 s, the CLI's)")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    ks = args.ks
    if 8 not in ks:
        ks.append(8)
    sizes = args.sizes.split(",") if args.sizes else (["debug", "small", "medium"] if device.type == "cuda"
                                                      else ["debug", "small"])
    dtypes = [torch.float32, torch.float16, torch.bfloat16] if device.type == "cuda" else [torch.float32]
    bandwidth = copy_bandwidth(device)
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)}, copy {bandwidth / 1e12:.2f} TB/s)" if bandwidth else "")
          + f", {torch.get_num_threads()} threads, clip {args.duration:g} s, one clip per configuration")
    header = f"{'model':8s} {'dtype':9s} {'K':>3s} {'seq clips/s':>12s} {'batch clips/s':>14s} {'ratio':>7s} " \
             f"{'batch steps/s':>14s} {'BW share':>9s}"
    print(header)
    ratio_small_k8 = None
    generation_per_clip = None
    sample_audio = None
    for size in sizes:
        model, processor = build_random_musicgen(size)
        for dtype in dtypes:
            generator = TransformersMusicGen(model.to(device=device, dtype=dtype), processor, name=size,
                                             max_batch=max(ks))
            time_batched(generator, 1, 0.1)  # warm-up: kernels, allocator
            time_sequential(generator, 1, 0.1)
            steps = round(args.duration * generator.frame_rate) + generator.num_codebooks - 1
            for k in ks:
                sequential = time_sequential(generator, k, args.duration)
                batched = time_batched(generator, k, args.duration)
                ratio = sequential / batched
                share = ""
                if bandwidth:
                    share = f"{step_bytes(generator, 2 * k, args.duration) * steps / batched / bandwidth:8.0%}"
                print(f"{size:8s} {str(dtype).removeprefix('torch.'):9s} {k:3d} {k / sequential:12.3f} "
                      f"{k / batched:14.3f} {ratio:7.2f} {steps / batched:14.2f} {share:>9s}", flush=True)
                if size == "small" and k == 8 and dtype == dtypes[0]:
                    ratio_small_k8 = ratio
                    generation_per_clip = batched / k
            if size == "small" and sample_audio is None:
                sample_audio = generator.generate([PROMPT] * 4, configs(4), [0, 1, 2, 3],
                                                  duration=args.duration).audio
        del model
    if sample_audio is not None and generation_per_clip is not None:
        # Scoring cost depends on length, not content: tile the generated clips to the comparison length.
        length = round(args.scoring_duration * 32_000)
        long_audio = np.stack([np.resize(a, length) for a in sample_audio])
        scoring = scoring_per_clip(long_audio, 32_000, device)
        steps_long = round(args.scoring_duration * 50) + 3
        steps_short = round(args.duration * 50) + 3
        generation_long = generation_per_clip * steps_long / steps_short
        print(f"scoring per {args.scoring_duration:g} s clip (larger_clap_music arch + repetition + degeneracy): "
              f"{scoring:.3f} s; generation per {args.scoring_duration:g} s clip (small, K=8 batched, from the "
              f"measured {args.duration:g} s rate x steps): {generation_long:.3f} s; "
              f"scoring/generation: {scoring / generation_long:.1%}")
        overhead = optimizer_overhead()
        print(f"optimizer overhead per trial (TPE ask+suggest+tell, SQLite, 50 trials): {overhead * 1000:.1f} ms")
    if ratio_small_k8 is not None:
        print(f"batched/sequential clips/s at K=8: {ratio_small_k8:.2f}")


if __name__ == "__main__":
    main()
