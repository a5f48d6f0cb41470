"""Per-clip score tables for ``benchmarks/racing.py``: one measured with the pipeline, one synthetic landscape.

A table is ``{"prompts": P, "replicates": R, "source": text, "rows": {key: {"params": DecodingParams dict,
"clap": [P][R], "repetition": [P][R], "violation": [P][R]}}}``; ``violation`` is a clip's worst constraint value
(measurement minus limit; > 0 is degenerate), as ``Evaluator`` computes it per clip.
"""

from __future__ import annotations

import json
import math
import time
from itertools import product
from pathlib import Path

import numpy as np

from objectives import DecodingParams

TEMPERATURES = [0.5, 0.8, 1.1, 1.5]
TOP_KS = [20, 100, 500]
TOP_PS = [0.5, 0.9, 0.99]
CFG_COEFS = [1.0, 3.0, 6.0]


def small_grid() -> list[DecodingParams]:
    """72 configurations: temperature x (top_k or top_p) x cfg_coef over the default space's corners and middle."""
    return ([DecodingParams(temperature=t, top_k=k, cfg_coef=c) for t, k, c in product(TEMPERATURES, TOP_KS, CFG_COEFS)]
            + [DecodingParams(temperature=t, top_k=0, top_p=p, cfg_coef=c)
               for t, p, c in product(TEMPERATURES, TOP_PS, CFG_COEFS)])


def key(p: DecodingParams) -> str:
    c = p.canonical()
    return f"{c.strategy}|{c.temperature:g}|{c.top_k}|{c.top_p:g}|{c.cfg_coef:g}"


def snap(p: DecodingParams) -> DecodingParams:
    """The nearest :func:`small_grid` point (top_k on a log scale); the same rule as sampler_efficiency's ``snap``
    on this smaller grid."""
    def nearest(values: list, x: float, log: bool = False) -> float:
        f = np.log if log else (lambda v: v)
        return values[int(np.argmin([abs(f(v) - f(x)) for v in values]))]

    t, c = nearest(TEMPERATURES, p.temperature), nearest(CFG_COEFS, p.cfg_coef)
    if p.strategy == "top_p":
        return DecodingParams(temperature=t, top_k=0, top_p=nearest(TOP_PS, p.top_p), cfg_coef=c)
    return DecodingParams(temperature=t, top_k=int(nearest(TOP_KS, p.top_k, log=True)), cfg_coef=c)


def build_pipeline_table(path: Path, *, model: str, clap: str, prompts: int, replicates: int, duration: float,
                         command: str) -> dict:
    """Evaluate every :func:`small_grid` configuration once with the pipeline and save its per-clip scores."""
    import torch

    from objectives import Evaluator, load_clap, load_generator
    from optimizer.search._genre import load_genre

    device = torch.device("cpu")
    configs, per_pass = small_grid(), 8
    evaluator = Evaluator(generator=load_generator(model, device=device, max_batch=per_pass * prompts * replicates),
                          clap=load_clap(clap, device=device), prompts=load_genre("jazz").prompts[:prompts],
                          replicates=replicates, duration=duration)
    rows: dict[str, dict] = {}
    start = time.perf_counter()
    for i in range(0, len(configs), per_pass):
        for e in evaluator.evaluate_many(configs[i:i + per_pass]):
            grid = {name: [[0.0] * replicates for _ in range(prompts)] for name in ("clap", "repetition", "violation")}
            for c in e.clips:
                grid["clap"][c.prompt_index][c.replicate] = c.clap
                grid["repetition"][c.prompt_index][c.replicate] = c.repetition
                grid["violation"][c.prompt_index][c.replicate] = max(c.degeneracy.violations(
                    evaluator.thresholds).values())
            rows[key(e.params)] = {"params": e.params.to_dict(), **grid}
        print(f"table: {len(rows)}/{len(configs)} configurations, {time.perf_counter() - start:.0f} s", flush=True)
    table = {"source": f"pipeline: model {model}, clap {clap}, jazz prompts, {duration:g} s clips",
             "command": command, "prompts": prompts, "replicates": replicates, "rows": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table))
    return table


# Synthetic landscape. Where each number comes from:
CLAP_PEAK = 0.31
"""CLAP score of MusicGen-small on MusicCaps at its default decoding (Copet et al. 2023, "Simple and Controllable
Music Generation", Table 1: 0.31 small, 0.32 medium)."""
CLAP_PROMPT_SD, CLAP_SEED_SD = 0.06, 0.04
"""Between-prompt and between-seed spread of one configuration's CLAP scores. ASSUMED, not measured: no real CLAP
weights are on this machine (the pipeline table uses random ones). Rebuild the pipeline table with
``--model facebook/musicgen-small --clap laion/larger_clap_music`` on a GPU box to replace them."""
REAL_REPETITION_NONZERO, REAL_REPETITION_MAX = 0.07, 0.56
"""Repetition objective on real music at 5-10 s (benchmarks/README.md, "Unmodified excerpts"): > 0 on 3-12 % of
excerpts (about 7 % overall), max 0.17-0.72 (0.56 typical): a clip that does not loop is drawn from that."""
LOOP_SCORE = (0.6, 1.0)
"""A stuck loop's objective: a third looped scores about 0.6 at 5 s, fully looped >= 0.97 (docs/objectives.md)."""
CLIPPING_FLOOR = 0.007
"""Per-clip chance of a clipping flag on sound audio: 0.7 % of real excerpts (docs/objectives.md, Degeneracy)."""


def _effective_temperature(p: DecodingParams) -> float:
    """Temperature scaled by how much of the distribution the truncation keeps (an assumption of the landscape's
    shape: smaller top_k/top_p sample more conservatively, like a lower temperature)."""
    keep = p.top_p if p.strategy == "top_p" else min(1.0, math.log(p.top_k) / math.log(250))
    return p.temperature * (0.6 + 0.4 * keep)


def synthetic_table(seed: int, *, prompts: int = 12, replicates: int = 2) -> dict:
    """Per-clip scores over :func:`small_grid` with the spreads above; a new draw of clips for each ``seed``.

    Shape (assumed, following audiocraft's choice of temperature 1 and cfg_coef 3 as defaults): CLAP peaks near an
    effective temperature of 0.9 and cfg_coef 3, lower without guidance (cfg 1) and past 5; loops grow as the
    effective temperature falls below 0.75; noise appears above 1.3. Prompt effects are shared by every
    configuration (common random numbers), seed noise is per clip.
    """
    rng = np.random.default_rng(seed)
    prompt_effect = rng.normal(0.0, CLAP_PROMPT_SD, size=prompts)
    rows = {}
    for p in small_grid():
        t = _effective_temperature(p)
        mean = CLAP_PEAK - 0.12 * (t - 0.9) ** 2 - 0.025 * math.log(p.cfg_coef / 3.0) ** 2
        loop = 1.0 / (1.0 + math.exp((t - 0.6) / 0.06))
        noise = 1.0 / (1.0 + math.exp(-(t - 1.3) / 0.04))
        clap = mean + prompt_effect[:, None] + rng.normal(0.0, CLAP_SEED_SD, size=(prompts, replicates))
        looped = rng.random((prompts, replicates)) < loop
        ordinary = np.where(rng.random((prompts, replicates)) < REAL_REPETITION_NONZERO,
                            rng.uniform(0.0, REAL_REPETITION_MAX, (prompts, replicates)), 0.0)
        repetition = np.where(looped, rng.uniform(*LOOP_SCORE, (prompts, replicates)), ordinary)
        degenerate = rng.random((prompts, replicates)) < CLIPPING_FLOOR + noise
        violation = np.where(degenerate, 0.1, -0.1)
        rows[key(p)] = {"params": p.to_dict(), "clap": clap.tolist(), "repetition": repetition.tolist(),
                        "violation": violation.tolist()}
    return {"source": f"synthetic landscape, seed {seed}", "prompts": prompts, "replicates": replicates, "rows": rows}
