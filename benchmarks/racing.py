"""Adaptive evaluation (racing): clips saved, presets kept and hypervolume kept, on tables of per-clip scores.

    python benchmarks/racing.py [--seeds 10] [--trials 50] [--levels 0.01,0.05,0.2] [--rebuild]

1. Tables (``benchmarks/_racing_tables.py``): (a) ``pipeline``: 72 configurations x 6 jazz prompts x 2 seeds, 1 s
   clips, evaluated once with the real pipeline and the ``debug`` models, saved to
   ``benchmarks/data/racing_table_debug.json`` (``--rebuild`` re-evaluates; about 10 min on 2 busy cores); (b)
   ``synthetic``: the same grid x 12 prompts x 2 seeds (the project's 24 clips) with per-clip spreads taken from the
   real-music and published figures named in that module, drawn anew for every seed.
2. Per seed, the default sampler (TPE as the CLI builds it, audiocraft's default and the jazz baseline enqueued
   first) runs ``--trials`` trials with full evaluation; a suggestion snaps to the nearest grid point and gets that
   point's clips. The same sequence of configurations is then replayed with racing
   (``optimizer.search._racing``: stages of 1 seed of half the prompts, 1 seed of all, everything; stop when
   infeasible or dominated by the fully evaluated feasible trials at ``level``). A closed-loop run, where the
   sampler is told stopped trials as PRUNED as ``optimize --racing`` does, is reported beside it.
3. Clips decoded, the presets named on the feasible front of fully evaluated trials (the export's rule,
   ``optimizer.export._pareto.name_points``, on search means: the real export re-validates first) compared by
   configuration, and the hypervolume of that front (Optuna's WFG, normalised objectives, reference 1.01).

Last line: ``adaptive evaluation: clips <p>% of full | same presets <k>/<n> | hypervolume <h>% of full`` for the
synthetic table at the default level (replayed sequence).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import _racing_tables as tables  # noqa: E402
import numpy as np  # noqa: E402
import optuna  # noqa: E402
from optuna._hypervolume import compute_hypervolume  # noqa: E402  (Optuna's WFG; no public alias in 5.1)

from objectives import DecodingParams  # noqa: E402
from optimizer._keys import BASE_OBJECTIVES, DIRECTIONS  # noqa: E402
from optimizer.export._pareto import name_points, non_dominated  # noqa: E402
from optimizer.search._racing import DEFAULT_LEVEL, Verdict, decide, stage_plan  # noqa: E402
from optimizer.search._samplers import DEFAULT_SAMPLER, make_sampler  # noqa: E402
from optimizer.search._space import SearchSpace  # noqa: E402

PIPELINE_TABLE = ROOT / "benchmarks" / "data" / "racing_table_debug.json"
BASELINES = (DecodingParams(), DecodingParams(temperature=1.2, top_k=350, cfg_coef=2.0))  # jazz's chapter baseline


@dataclass
class Outcome:
    """One run: clips decoded, the fully evaluated trials' observed means by configuration, stops by verdict."""

    clips: int
    full: dict[str, np.ndarray]  # key -> [clap, repetition] means of feasible, fully evaluated trials
    per_prompt: dict[str, np.ndarray]  # key -> [P, M] their per-prompt means (the racing front)
    sequence: list[str]
    stopped: dict[str, int]


def _clip_samples(row: dict, rows: tuple[tuple[int, int], ...]) -> tuple[list, float]:
    prompts = [p for p, _ in rows]
    samples = [([row[name][p][r] for p, r in rows], prompts) for name in BASE_OBJECTIVES]
    return samples, max(row["violation"][p][r] for p, r in rows)


def run(table: dict, seed: int, trials: int, *, level: float | None, replay: list[str] | None = None) -> Outcome:
    """``trials`` trials on ``table``; ``level`` None evaluates fully, else races; ``replay`` fixes the sequence."""
    stages = stage_plan(table["prompts"], table["replicates"])
    study = optuna.create_study(directions=list(DIRECTIONS), sampler=make_sampler(DEFAULT_SAMPLER, seed=seed))
    space = SearchSpace()
    for params in BASELINES:
        study.enqueue_trial(space.trial_params(tables.snap(params)))
    out = Outcome(clips=0, full={}, per_prompt={}, sequence=[],
                  stopped={v.value: 0 for v in Verdict if v is not Verdict.CONTINUE})
    for i in range(trials):
        trial = study.ask()
        name = replay[i] if replay is not None else tables.key(tables.snap(space.suggest(trial)))
        row = table["rows"][name]
        out.sequence.append(name)
        verdict = Verdict.CONTINUE
        for rows in stages:  # cumulative: the clips decoded are the last stage's rows
            samples, violation = _clip_samples(row, rows)
            if rows is stages[-1] or level is None:
                rows = stages[-1]
                samples, violation = _clip_samples(row, rows)
                break
            front = np.array(list(out.per_prompt.values())).reshape(-1, table["prompts"], len(DIRECTIONS))
            verdict = decide(constraints={"degenerate": violation}, samples=samples, directions=DIRECTIONS,
                             front=front, level=level)
            if verdict is not Verdict.CONTINUE:
                break
        out.clips += len(rows)
        trial.set_constraint("degenerate", violation)
        if verdict is not Verdict.CONTINUE:
            out.stopped[verdict.value] += 1
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        means = [float(np.mean(s[0])) for s in samples]
        study.tell(trial, means)
        if violation <= 0 and name not in out.full:
            out.full[name] = np.array(means)
            out.per_prompt[name] = np.array([np.mean(row[o], axis=1) for o in BASE_OBJECTIVES]).T
    return out


def presets(full: dict[str, np.ndarray]) -> dict[str, str]:
    """Preset name -> configuration key, named on the non-dominated fully evaluated feasible trials."""
    names = list(full)
    values = np.array([full[n] for n in names])
    front = [names[i] for i in non_dominated(values, DIRECTIONS)]
    picked = name_points(np.array([full[n] for n in front]), BASE_OBJECTIVES, DIRECTIONS)
    return {preset: front[i] for preset, i in picked.items()}


class Space:
    """Loss space for hypervolume: (-CLAP, repetition) scaled to the table's range of configuration means."""

    def __init__(self, table: dict) -> None:
        means = np.array([[np.mean(r[n]) for n in BASE_OBJECTIVES] for r in table["rows"].values()])
        self.sign = np.array([-1.0 if d == "maximize" else 1.0 for d in DIRECTIONS])
        loss = means * self.sign
        self.low, self.span = loss.min(axis=0), np.maximum(np.ptp(loss, axis=0), 1e-12)

    def hypervolume(self, full: dict[str, np.ndarray]) -> float:
        if not full:
            return 0.0
        points = (np.array(list(full.values())) * self.sign - self.low) / self.span
        return float(compute_hypervolume(np.minimum(points, 1.0), np.full(points.shape[1], 1.01)))


def compare(table: dict, seeds: int, trials: int, level: float, *, synthetic: bool) -> dict[str, float]:
    """Racing against full evaluation over ``seeds``: clip share, same presets, hypervolume share (replay and
    closed loop)."""
    clips = clips_full = same = 0
    hv, hv_loop, clips_loop, stops = [], [], 0, {"infeasible": 0, "dominated": 0}
    for seed in range(seeds):
        t = tables.synthetic_table(seed) if synthetic else table
        space = Space(t)
        full = run(t, seed, trials, level=None)
        raced = run(t, seed, trials, level=level, replay=full.sequence)
        loop = run(t, seed, trials, level=level)
        clips_full += full.clips
        clips += raced.clips
        clips_loop += loop.clips
        same += bool(raced.full) and presets(raced.full) == presets(full.full)
        base = space.hypervolume(full.full)
        hv.append(space.hypervolume(raced.full) / base * 100 if base > 0 else 100.0)
        hv_loop.append(space.hypervolume(loop.full) / base * 100 if base > 0 else 100.0)
        for k in stops:
            stops[k] += raced.stopped[k]
    return {"clips": clips / clips_full * 100, "same": same, "n": seeds, "hv": float(np.median(hv)),
            "hv_min": float(np.min(hv)), "clips_loop": clips_loop / clips_full * 100,
            "hv_loop": float(np.median(hv_loop)),
            "infeasible": stops["infeasible"], "dominated": stops["dominated"]}


def main(argv: list[str] | None = None) -> dict[str, dict[float, dict[str, float]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--levels", default=f"0.01,{DEFAULT_LEVEL},0.2")
    parser.add_argument("--tables", default="pipeline,synthetic")
    parser.add_argument("--rebuild", action="store_true", help="re-evaluate the pipeline table with the debug models")
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    levels = sorted({float(x) for x in args.levels.split(",")} | {DEFAULT_LEVEL})
    results: dict[str, dict[float, dict[str, float]]] = {}
    for name in args.tables.split(","):
        if name == "pipeline":
            table = (tables.build_pipeline_table(PIPELINE_TABLE, model="debug", clap="debug", prompts=6, replicates=2,
                                                 duration=1.0, command="python benchmarks/racing.py --rebuild")
                     if args.rebuild or not PIPELINE_TABLE.exists() else json.loads(PIPELINE_TABLE.read_text()))
        else:
            table = tables.synthetic_table(0)
        print(f"\n{name}: {table['source']}; {len(table['rows'])} configurations x {table['prompts']} prompts x "
              f"{table['replicates']} seeds; {args.trials} trials x {args.seeds} seeds")
        print("| level | clips % of full | same presets | hypervolume % of full (median, min) | stopped infeasible / "
              "dominated | closed loop: clips %, hypervolume % |")
        print("|---|---|---|---|---|---|")
        results[name] = {}
        for level in levels:
            r = compare(table, args.seeds, args.trials, level, synthetic=name == "synthetic")
            results[name][level] = r
            print(f"| {level:g} | {r['clips']:.1f} | {r['same']}/{r['n']} | {r['hv']:.1f}, {r['hv_min']:.1f} | "
                  f"{r['infeasible']} / {r['dominated']} | {r['clips_loop']:.1f}, {r['hv_loop']:.1f} |", flush=True)
    headline = results.get("synthetic", next(iter(results.values())))[DEFAULT_LEVEL]
    print(f"adaptive evaluation: clips {headline['clips']:.0f}% of full | same presets {headline['same']}/"
          f"{headline['n']} | hypervolume {headline['hv']:.1f}% of full")
    return results


if __name__ == "__main__":
    main()
