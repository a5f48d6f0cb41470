"""Cost of one Fréchet distance as the optimizer computes it: a trial's 24 clips against a reference set.

Compares the three ways to get ``Tr((Σa Σb)^½)`` on 512-d embeddings (CLAP's size), in one process so the
ratios are comparable: the ``[n, n]`` eigenproblem the scorer uses for n < D, the ``[D, D]`` symmetric form it
uses otherwise, and scipy's general ``sqrtm`` (the FID reference code's way). Prints milliseconds (best of 5)
and the values, which must agree.

    python benchmarks/fad_cost.py [--clips 24] [--reference 1000] [--dim 512]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from scipy import linalg

from objectives.scoring import EmbeddingStats, frechet_distance


def _best_of(fn: Callable[[], float], repeats: int = 5) -> tuple[float, float]:
    times, value = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def _sqrtm_distance(a: EmbeddingStats, b: EmbeddingStats) -> float:
    root = linalg.sqrtm(a.cov @ b.cov).real
    diff = a.mean - b.mean
    return float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2.0 * np.trace(root))


def main(argv: list[str] | None = None) -> float:
    """Print the table; return the sqrtm / [n, n] time ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=24, help="clips per trial (12 prompts x 2 seeds)")
    parser.add_argument("--reference", type=int, default=1000, help="reference excerpts")
    parser.add_argument("--dim", type=int, default=512, help="embedding dimension (CLAP: 512)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    trial = EmbeddingStats.from_embeddings(rng.normal(size=(args.clips, args.dim)))
    reference = EmbeddingStats.from_embeddings(rng.normal(size=(args.reference, args.dim)) * 1.2 + 0.1)
    dense = EmbeddingStats(mean=trial.mean, cov=trial.cov, n=trial.n)  # same statistics, no factor
    rows = [("[n, n] eigenproblem (used)", lambda: frechet_distance(trial, reference)),
            ("[D, D] symmetric eigh", lambda: frechet_distance(dense, reference)),
            ("scipy sqrtm", lambda: _sqrtm_distance(trial, reference))]
    timed = [(name, *_best_of(fn)) for name, fn in rows]
    for name, seconds, value in timed:
        print(f"{name:28s} {seconds * 1000:9.2f} ms   distance {value:.6f}")
    ratio = timed[2][1] / timed[0][1]
    print(f"sqrtm / [n, n] time: {ratio:.0f}x")
    return ratio


if __name__ == "__main__":
    main()
