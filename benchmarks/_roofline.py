"""The machine's matmul throughput and copy bandwidth, and a MusicGen decode step's FLOPs and bytes (benchmark
helper, not library)."""

from __future__ import annotations

import statistics
import time

import torch

from objectives.generation import linear_layers, weight_bytes


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops(device: torch.device, dtype: torch.dtype = torch.float32, n: int = 2048, reps: int = 8) -> float:
    """Best FLOP/s of an ``[n, n] @ [n, n]`` matmul (2 n^3 FLOPs) over ``reps`` tries: the compute ceiling."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    best = 0.0
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - start))
    return best


def copy_bandwidth(device: torch.device, megabytes: int = 256, reps: int = 6) -> float:
    """Best bytes/s of a large tensor copy (bytes read + bytes written): the memory ceiling."""
    x = torch.empty(megabytes << 20, dtype=torch.uint8, device=device).fill_(1)
    y = torch.empty_like(x)
    y.copy_(x)
    best = 0.0
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        y.copy_(x)
        sync(device)
        best = max(best, 2 * x.numel() / (time.perf_counter() - start))
    return best


def step_layers(decoder) -> list[tuple[torch.nn.Module, int]]:
    """The decoder's linear layers a decoding step runs (``nn.Linear`` or oneDNN), in module order, each with its
    input width, without the cross-attention's key/value projections (cached after the first step)."""
    return [(layer, inp) for name, layer, (_out, inp) in linear_layers(decoder)
            if not (".encoder_attn." in f".{name}." and name.endswith(("k_proj", "v_proj")))]


def step_cost(model, rows: int, position: int, text_tokens: int) -> tuple[float, float]:
    """FLOPs and bytes of one decoding step of ``rows`` decoder rows (CFG rows included) at cache length
    ``position``: 2 FLOPs per weight of every linear layer a step runs (the cross-attention's key/value
    projections are cached after the first step, so they are left out) plus attention scores and sums
    (4 x hidden x keys per layer); bytes are every decoder weight read once plus the self- and cross-attention
    caches read once per row.

    Returns:
        ``(flops, bytes)`` per step.
    """
    decoder = model.decoder
    config = decoder.config
    linear = sum(layer.out_features * inp for layer, inp in step_layers(decoder))
    hidden, layers = config.hidden_size, config.num_hidden_layers
    attention = 4 * hidden * (position + text_tokens) * layers
    flops = rows * (2 * linear + attention)
    element = next(decoder.parameters()).element_size()
    weights = weight_bytes(decoder)
    cache = rows * 2 * layers * hidden * (position + text_tokens) * element
    return float(flops), float(weights + cache)


def decode_step_seconds(generator, prompts, params, seeds, *, frames: int = 8, skip: int = 2) -> float:
    """Median wall seconds of a decoding step of the project's loop for ``len(prompts)`` clips (steps after the
    first ``skip``, which warm caches)."""
    stamps: list[float] = []

    def stamp(_step: int, _total: int) -> None:
        sync(generator.device)
        stamps.append(time.perf_counter())

    generator._decode(prompts, params, seeds, frames, stamp)
    return statistics.median(b - a for a, b in zip(stamps[skip:], stamps[skip + 1:], strict=False))
