"""Which sampler finds the Pareto front fastest: a tabular benchmark over a dense grid of configurations.

    python benchmarks/sampler_efficiency.py [--seeds 20] [--trials 50] [--rebuild]

1. Table: every configuration of a dense grid over the default search space (top-k and nucleus branches,
   546 points, containing the chapter's 12-point grid) is evaluated once with the real pipeline
   (generation, CLAP, repetition, degeneracy; the ``debug`` models by default, ``--model/--clap`` for real
   ones) and saved to ``benchmarks/data/sampler_table_<model>.json``, reused on later runs.
2. Each sampler (TPE as the CLI builds it, GP, NSGA-II, random) runs ``--trials`` trials per seed against
   the table: a suggestion is snapped to the nearest grid point (top_k on a log scale) and gets that
   point's scores and feasibility. As in the CLI, audiocraft's default and the jazz baseline are enqueued first.
3. Hypervolume of the feasible front after each trial (objectives normalised to the table's range;
   reference point just beyond the table's worst values), as a share of the hypervolume of the chapter's
   12-point grid (temperature {0.7, 1.0, 1.3} x top_k {100, 250} x cfg_coef {2, 3}). Median and IQR over
   seeds, a PNG plot, and the last line ``default sampler <name>: <pct>% of grid hypervolume at <trials>
   trials (median of <n> seeds)``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from itertools import product
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import optuna  # noqa: E402
from optuna._hypervolume import compute_hypervolume  # noqa: E402  (Optuna's WFG; no public alias in 5.0)

from objectives import DecodingParams  # noqa: E402
from optimizer._keys import DIRECTIONS  # noqa: E402
from optimizer._outputs import check_output, replace_own_file  # noqa: E402
from optimizer.search._samplers import DEFAULT_SAMPLER, make_sampler  # noqa: E402
from optimizer.search._space import SearchSpace  # noqa: E402

TEMPERATURES = [0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.5]
TOP_KS = [20, 50, 100, 175, 250, 350, 500]
TOP_PS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
CFG_COEFS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
CHAPTER_GRID = [DecodingParams(temperature=t, top_k=k, cfg_coef=c)
                for t, k, c in product([0.7, 1.0, 1.3], [100, 250], [2.0, 3.0])]
SAMPLERS = ["tpe", "gp", "nsga2", "random"]
JAZZ_BASELINE = DecodingParams(temperature=1.2, top_k=350, cfg_coef=2.0)


def grid() -> list[DecodingParams]:
    top_k = [DecodingParams(temperature=t, top_k=k, cfg_coef=c) for t, k, c in product(TEMPERATURES, TOP_KS, CFG_COEFS)]
    top_p = [DecodingParams(temperature=t, top_k=0, top_p=p, cfg_coef=c)
             for t, p, c in product(TEMPERATURES, TOP_PS, CFG_COEFS)]
    return top_k + top_p


def key(p: DecodingParams) -> str:
    c = p.canonical()
    return f"{c.strategy}|{c.temperature:g}|{c.top_k}|{c.top_p:g}|{c.cfg_coef:g}"


def snap(p: DecodingParams) -> DecodingParams:
    """The nearest grid point (top_k compared on a log scale)."""
    def nearest(values, x, log=False):
        f = np.log if log else (lambda v: v)
        return values[int(np.argmin([abs(f(v) - f(x)) for v in values]))]

    t, c = nearest(TEMPERATURES, p.temperature), nearest(CFG_COEFS, p.cfg_coef)
    if p.strategy == "top_p":
        return DecodingParams(temperature=t, top_k=0, top_p=nearest(TOP_PS, p.top_p), cfg_coef=c)
    return DecodingParams(temperature=t, top_k=nearest(TOP_KS, p.top_k, log=True), cfg_coef=c)


def build_table(model: str, clap: str, prompts: int, replicates: int, duration: float, path: Path) -> dict:
    import torch

    from objectives import Evaluator, load_clap, load_generator
    from optimizer.search._genre import load_genre

    device = torch.device("cpu")
    genre = load_genre("jazz")
    configs = grid()
    per_pass = 16
    evaluator = Evaluator(generator=load_generator(model, device=device, max_batch=per_pass * prompts * replicates),
                          clap=load_clap(clap, device=device), prompts=genre.prompts[:prompts],
                          replicates=replicates, duration=duration)
    rows = {}
    start = time.perf_counter()
    for i in range(0, len(configs), per_pass):
        for e in evaluator.evaluate_many(configs[i:i + per_pass]):
            rows[key(e.params)] = {"clap": e.clap.mean, "repetition": e.repetition.mean,
                                   "feasible": e.feasible, "params": e.params.to_dict()}
        print(f"table: {len(rows)}/{len(configs)} configurations, {time.perf_counter() - start:.0f} s", flush=True)
    table = {"model": model, "clap": clap, "prompts": prompts, "replicates": replicates, "duration_s": duration,
             "rows": rows}
    replace_own_file(path, json.dumps(table, indent=1), what="the table", hint="move it away", study="table",
                     study_of=_table_of)
    return table


def _table_of(path: Path) -> str | None:
    """``"table"`` for a table this benchmark wrote (JSON with ``model`` and ``rows``), else None."""
    try:
        document = json.loads(path.read_bytes()[:50_000_000])
    except (OSError, ValueError):
        return None
    return "table" if isinstance(document, dict) and {"model", "rows"} <= document.keys() else None


def _plot_of(path: Path) -> str | None:
    """``"plot"`` for a PNG written by Matplotlib (its ``Software`` text chunk), else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    return "plot" if head.startswith(b"\x89PNG") and b"Software\x00Matplotlib" in head else None


class Normaliser:
    """Loss space for hypervolume: (-CLAP, repetition) scaled to the table's range; reference point 1.01."""

    def __init__(self, rows: dict) -> None:
        values = np.array([[r["clap"], r["repetition"]] for r in rows.values()])
        self.low = values.min(axis=0)
        self.span = np.maximum(values.max(axis=0) - self.low, 1e-12)
        self.reference = np.array([1.01, 1.01])

    def loss(self, clap: float, repetition: float) -> np.ndarray:
        return np.array([(self.low[0] + self.span[0] - clap) / self.span[0], (repetition - self.low[1]) / self.span[1]])

    def hypervolume(self, points: list[np.ndarray]) -> float:
        return float(compute_hypervolume(np.array(points), self.reference)) if points else 0.0


def run_sampler(name: str, seed: int, trials: int, rows: dict, norm: Normaliser) -> list[float]:
    """Hypervolume after each trial for one sampler and seed."""
    space = SearchSpace()
    study = optuna.create_study(directions=list(DIRECTIONS), sampler=make_sampler(name, seed=seed))
    for params in (DecodingParams(), snap(JAZZ_BASELINE)):
        study.enqueue_trial(space.trial_params(params))
    feasible: list[np.ndarray] = []
    history = []
    for _ in range(trials):
        trial = study.ask()
        row = rows[key(snap(space.suggest(trial)))]
        trial.set_constraint("degenerate", 0.0 if row["feasible"] else 1.0)
        study.tell(trial, [row["clap"], row["repetition"]])
        if row["feasible"]:
            feasible.append(norm.loss(row["clap"], row["repetition"]))
        history.append(norm.hypervolume(feasible))
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--model", default="debug")
    parser.add_argument("--clap", default="debug")
    parser.add_argument("--prompts", type=int, default=2)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--rebuild", action="store_true", help="re-evaluate the table even if it is saved")
    parser.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "sampler_efficiency.png")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    label = Path(args.model).name if Path(args.model).exists() else args.model.replace("/", "_")
    table_path = ROOT / "benchmarks" / "data" / f"sampler_table_{label}.json"
    try:  # the one output rule, before any work: only this benchmark's own table and plot are replaced
        check_output(args.plot, what="the plot", hint="pass another --plot", study="plot", study_of=_plot_of)
        if args.rebuild or not table_path.exists():
            check_output(table_path, what="the table", hint="move it away", study="table", study_of=_table_of)
    except ValueError as exc:
        parser.error(str(exc))
    if table_path.exists() and not args.rebuild:
        table = json.loads(table_path.read_text())
        print(f"table: {len(table['rows'])} configurations from {table_path.relative_to(ROOT)}")
    else:
        table = build_table(args.model, args.clap, args.prompts, args.replicates, args.duration, table_path)
    rows = table["rows"]
    norm = Normaliser(rows)
    grid_points = [norm.loss(rows[key(p)]["clap"], rows[key(p)]["repetition"]) for p in CHAPTER_GRID
                   if rows[key(p)]["feasible"]]
    grid_hv = norm.hypervolume(grid_points)
    all_feasible = [norm.loss(r["clap"], r["repetition"]) for r in rows.values() if r["feasible"]]
    print(f"feasible configurations: {len(all_feasible)}/{len(rows)}; hypervolume of the whole table "
          f"{norm.hypervolume(all_feasible):.4f}, of the chapter's 12-point grid {grid_hv:.4f}")

    results: dict[str, np.ndarray] = {}
    for name in args.samplers.split(","):
        start = time.perf_counter()
        runs = np.array([run_sampler(name, seed, args.trials, rows, norm) for seed in range(args.seeds)])
        results[name] = runs / grid_hv * 100 if grid_hv > 0 else np.full_like(runs, np.nan)
        final = results[name][:, -1]
        print(f"{name:7s} at {args.trials} trials: median {np.median(final):6.1f}% of grid HV, IQR "
              f"[{np.percentile(final, 25):.1f}, {np.percentile(final, 75):.1f}]; trials to reach 95%: median "
              f"{np.median([np.argmax(r >= 95) + 1 if (r >= 95).any() else np.inf for r in results[name]]):.0f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    steps = np.arange(1, args.trials + 1)
    for name, runs in results.items():
        ax.plot(steps, np.median(runs, axis=0), label=name)
        ax.fill_between(steps, np.percentile(runs, 25, axis=0), np.percentile(runs, 75, axis=0), alpha=0.2)
    ax.axhline(100, color="black", linestyle="--", linewidth=1, label="chapter 12-point grid")
    ax.set_xlabel("trials")
    ax.set_ylabel("hypervolume, % of the grid's")
    ax.set_title(f"Sampler efficiency on the {label} table (median and IQR of {args.seeds} seeds)")
    ax.legend()
    fig.tight_layout()
    import io

    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=120)
    replace_own_file(args.plot, png.getvalue(), what="the plot", hint="pass another --plot", study="plot",
                     study_of=_plot_of)
    print(f"plot: {args.plot}")
    default = results[DEFAULT_SAMPLER][:, -1] if DEFAULT_SAMPLER in results else np.array([np.nan])
    print(f"default sampler {DEFAULT_SAMPLER}: {np.median(default):.1f}% of grid hypervolume at {args.trials} "
          f"trials (median of {args.seeds} seeds)")


if __name__ == "__main__":
    main()
