"""What stops the CPU decode below the matmul peak: the decode step's own matrix products, timed alone.

    python benchmarks/gemm_ceiling.py [--size small] [--rows 2,24,48,96,192] [--rounds 5]

``time_to_presets.py`` reports the decode step's FLOP/s as a share of the best ``[2048, 2048] @ [2048, 2048]``
matmul (the "matmul peak"). A step multiplies ``[rows, hidden]`` activations by each decoder weight: with a few
dozen rows these products are short and wide, and a BLAS reaches a smaller share of the peak on them than on a
square product. This script times, for each number of rows (CFG rows included: two per clip), (a) the project's
real decoding step (``_roofline.decode_step_seconds``) and (b) the same step's linear layers alone, called on
``[rows, in]`` inputs in the step's order (the cross-attention's key/value projections are cached after the
first step and left out, as in ``_roofline.step_cost``). (b) is the ceiling the step's matrix products can reach
on this machine at that batch: a step at (b)'s rate spends nothing outside its products. Both are timed twice:
with the decoder's linear layers run by oneDNN, as ``optimize`` loads the model on CPU
(``objectives/generation/_onednn.py``), and with transformers' ``nn.Linear`` (MKL's sgemm), on a copy of the
same weights. Everything is measured in interleaved rounds (peak, step and products alternate), each
figure the median of its rounds, so background load falls on every side. Random weights of the published
architecture (timings do not depend on the weights).

The last line is exactly
``decode at <rows> rows: <p>% of matmul peak, its matrix products alone <c>% (step at <s>% of that ceiling)``
for the default trial's pass (48 clips, 96 rows).
"""

from __future__ import annotations

import argparse
import copy
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
from _cli import whole_numbers  # noqa: E402
from _roofline import decode_step_seconds, matmul_flops, step_cost, step_layers  # noqa: E402

from objectives import DecodingParams  # noqa: E402
from objectives._debug import build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen  # noqa: E402

PROMPT = "smooth jazz trio with upright bass, brushed drums and warm piano, relaxed swing, 92 BPM"
FRAMES = 10
"""Decoding steps per timed step pass (the first 2 warm caches and are skipped)."""


def products_seconds(layers: list[tuple[torch.nn.Module, int]], rows: int, reps: int = 3) -> float:
    """Best wall seconds of one pass of ``layer([rows, in])`` over ``layers`` (one input per width; every output
    freshly allocated, as in the step)."""
    inputs = {inp: torch.randn(rows, inp) for _, inp in layers}
    with torch.inference_mode():
        for layer, inp in layers:
            layer(inputs[inp])
        best = float("inf")
        for _ in range(reps):
            start = time.perf_counter()
            for layer, inp in layers:
                layer(inputs[inp])
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", help="architecture: small (default) or debug")
    parser.add_argument("--rows", type=whole_numbers, default="2,24,48,96,192",
                        help="decoder rows per step, CFG rows included (default 2,24,48,96,192; 96 = 48 clips)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = parser.parse_args()
    rows_list = args.rows
    if min(rows_list) < 2 or any(r % 2 for r in rows_list) or args.rounds < 1:
        parser.error("--rows takes even numbers >= 2 (two rows per clip), --rounds a number >= 1.")

    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, float32, musicgen-{args.size} architecture (random weights)")
    model, processor = build_random_musicgen(args.size)
    stock = TransformersMusicGen(copy.deepcopy(model).eval(), processor, name=args.size)  # nn.Linear: MKL
    generator = TransformersMusicGen(model.eval(), processor, name=args.size, onednn_linears=True)  # as optimize
    arms = {name: (runner, step_layers(runner.model.decoder)) for name, runner in (("oneDNN", generator),
                                                                                    ("MKL", stock))}
    weights = sum(layer.out_features * inp for layer, inp in arms["MKL"][1])
    text_tokens = int(processor.tokenizer(PROMPT, return_tensors="pt")["input_ids"].shape[1])
    params = DecodingParams(use_sampling=True, temperature=1.0, top_k=250, top_p=0.0, cfg_coef=3.0)

    peaks: list[float] = []
    steps = {arm: {r: [] for r in rows_list} for arm in arms}
    products = {arm: {r: [] for r in rows_list} for arm in arms}
    for round_index in range(args.rounds):
        order = rows_list if round_index % 2 == 0 else rows_list[::-1]
        peaks.append(matmul_flops(torch.device("cpu"), reps=4))
        for rows in order:
            clips = rows // 2
            for arm, (runner, layers) in arms.items():
                steps[arm][rows].append(decode_step_seconds(runner, [PROMPT] * clips, [params] * clips,
                                                            list(range(clips)), frames=FRAMES))
                products[arm][rows].append(products_seconds(layers, rows))
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    peak = statistics.median(peaks)
    print(f"matmul peak (2048^2, median of {args.rounds}): {peak / 1e9:.1f} GFLOP/s "
          f"(range {min(peaks) / 1e9:.1f}-{max(peaks) / 1e9:.1f})")
    print("the project's step (linear layers run by oneDNN), then the same with nn.Linear (MKL's sgemm):")
    print(f"{'rows':>5} {'step ms':>8} {'step %peak':>10} {'products ms':>11} {'products %peak':>14} "
          f"{'products/step':>13} {'MKL step ms':>11} {'MKL products ms':>15} {'MKL products %peak':>18}")
    shares: dict[int, tuple[float, float, float]] = {}
    for rows in rows_list:
        step, mkl_step = (statistics.median(steps[arm][rows]) for arm in ("oneDNN", "MKL"))
        alone, mkl_alone = (statistics.median(products[arm][rows]) for arm in ("oneDNN", "MKL"))
        flops, _bytes = step_cost(model, rows, FRAMES // 2, text_tokens)
        linear_flops = 2 * rows * weights
        step_share, ceiling = flops / step / peak, linear_flops / alone / peak
        shares[rows] = (step_share, ceiling, step_share / ceiling)
        print(f"{rows:5d} {step * 1e3:8.1f} {step_share:10.1%} {alone * 1e3:11.1f} {ceiling:14.1%} "
              f"{alone / step:13.1%} {mkl_step * 1e3:11.1f} {mkl_alone * 1e3:15.1f} "
              f"{linear_flops / mkl_alone / peak:18.1%}")
    target = 96 if 96 in shares else rows_list[-1]
    step_share, ceiling, of_ceiling = shares[target]
    print(f"decode at {target} rows: {step_share:.0%} of matmul peak, its matrix products alone {ceiling:.0%} "
          f"(step at {of_ceiling:.0%} of that ceiling)")


if __name__ == "__main__":
    main()
