"""Time to presets: N configurations x P prompts x R seeds x D seconds, today's practice against this pipeline.

    python benchmarks/time_to_presets.py --quick     # 2 x 12 x 2 x 0.4 s, musicgen-small arch, <= 4 min on 2 CPUs
    python benchmarks/time_to_presets.py [--configs 4] [--prompts 12] [--seeds 2] [--duration 1.0] [--size small]

(a) Practice: one transformers ``generate`` per configuration with its P x R rows batched (the chapter's
parameter explorer, the published MusicGen decoding sweep) on a copy of the model as transformers ships it
(``nn.Linear``: MKL's sgemm on CPU), then the same scores (CLAP of
laion/larger_clap_music's architecture, repetition, degeneracy). (b) This project: the real runner
(:func:`optimizer.run_trials`) on a SQLite study with the N configurations enqueued, ``--batch-trials auto``'s
trials per pass, artifacts (clips, spectrogram sheet, note) uploaded as ``optimize`` does, on the model as
``optimize`` loads it (on CPU in float32 its decoder's linear layers run by oneDNN). Both in one run, so
the ratio of wall times is comparable on a noisy machine: in each of ``--rounds`` (3) rounds the two paths run in
alternating time slices of ``--slice`` seconds (0.5; ``_interleave.Baton``: one greenlet per path in one thread,
one running at a time, handing over at module forwards and phase boundaries), each timed on its own clock, so a
drift of the machine's speed or a burst of other processes falls on both sides; the path that starts alternates
by round and the ratio is the median of the rounds'. On CPU both run on as many threads as the cores other
processes leave free (``--threads auto``, ``_load.free_threads``: a core shared with another busy process slows
the two paths by different factors). Where the time goes is measured by wrapping the callables each path goes
through (exclusive wall time per phase, on the path's own clock).

Roofline: the best FLOP/s of a 2048 x 2048 matmul and bytes/s of a 256 MiB copy on this machine, and the
decode step's FLOP/s and bytes/s (counted from the architecture, see ``_roofline.step_cost``) as shares of
them per batch size. Random weights of the published architectures (timings do not depend on the weights).
The last line is exactly ``end-to-end pipeline/practice speed-up: <ratio> (decode <p>% of matmul peak)``,
the decode share at the pipeline's batch.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import re
import statistics
import sys
import tempfile
import tomllib
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import optuna  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from _cli import whole_numbers  # noqa: E402
from _interleave import Baton  # noqa: E402
from _load import LoadMeter, free_threads, threads_left, usable_cpus  # noqa: E402
from _phases import Phases, Routed  # noqa: E402
from _roofline import copy_bandwidth, decode_step_seconds, matmul_flops, step_cost, sync  # noqa: E402
from decode_throughput import configs  # noqa: E402  (the same N distinct configurations)

import objectives._evaluation as evaluation_module  # noqa: E402
import objectives.scoring._scorers as scorers_module  # noqa: E402
import optimizer.search._artifacts as artifacts_module  # noqa: E402
import optimizer.search._runner as runner_module  # noqa: E402
from objectives import DTYPE_NAMES, DecodingParams, Evaluator  # noqa: E402
from objectives._debug import build_random_clap, build_random_musicgen  # noqa: E402
from objectives.generation import (  # noqa: E402
    TransformersMusicGen,
    dtype_name,
    place_model,
    resolve_device,
    resolve_dtype,
)
from objectives.generation._memory import configs_per_pass  # noqa: E402
from objectives.scoring import ClapScorer  # noqa: E402
from optimizer import SearchSpace, _keys, run_trials  # noqa: E402
from optimizer.search._artifacts import open_artifact_store  # noqa: E402
from optimizer.search._samplers import make_sampler  # noqa: E402

PHASE_ORDER = ["text encoder", "decode steps", "EnCodec decode", "CLAP", "repetition/degeneracy",
               "artifacts and notes", "spectrogram sheet", "storage", "other (optimizer, Python)"]


def instrument(phases: Phases, generator: TransformersMusicGen, stock, clap: ClapScorer) -> None:
    """Wrap what both paths call; the decode steps are ``generate`` less the encoders nested in it."""
    for model in (generator.model, stock):
        phases.wrap(model.text_encoder, "forward", "text encoder")
        phases.wrap(model.audio_encoder, "decode", "EnCodec decode")
        phases.wrap(model, "generate", "decode steps")
    phases.wrap(generator, "generate", "decode steps")
    phases.wrap(clap, "adherence", "CLAP")
    phases.wrap(evaluation_module, "degeneracy", "repetition/degeneracy")
    for name in ("repetition_score", "token_repetition"):  # called by the repetition scorers
        phases.wrap(scorers_module, name, "repetition/degeneracy")
    phases.wrap(runner_module, "upload_trial_artifacts", "artifacts and notes")
    phases.wrap(artifacts_module, "spectrogram_sheet", "spectrogram sheet")


@torch.inference_mode()
def practice(stock, generator: TransformersMusicGen, clap: ClapScorer, prompts: list[str], seeds: int,
             params: list[DecodingParams], duration: float) -> None:
    """One ``stock.generate`` per configuration with its P x R rows (``stock``: the model as transformers ships
    it, the same weights as ``generator``'s), then CLAP, repetition and degeneracy per clip."""
    rows = [p for p in prompts for _ in range(seeds)]
    steps = max(1, round(duration * generator.frame_rate)) + generator.num_codebooks - 1
    inputs = generator.processor(text=rows, padding=True, return_tensors="pt").to(generator.device)
    for i, config in enumerate(params):
        torch.manual_seed(i)
        audio = stock.generate(**inputs, max_new_tokens=steps, **config.to_transformers())
        audio = audio[:, 0].float().cpu().numpy()
        clap.adherence(audio, generator.sample_rate, rows)
        for clip in audio:
            scorers_module.repetition_score(clip, generator.sample_rate)
            evaluation_module.degeneracy(clip, generator.sample_rate)
    sync(generator.device)


def pipeline(phases: Phases, evaluator: Evaluator, params: list[DecodingParams], batch_trials: int,
             folder: Path) -> int:
    """The runner on a SQLite study with ``params`` enqueued, artifacts on; returns the COMPLETE trials."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = SearchSpace()
    study = optuna.create_study(storage=f"sqlite:///{folder}/bench.db", directions=list(_keys.DIRECTIONS),
                                sampler=make_sampler("tpe", seed=0))
    for config in params:
        study.enqueue_trial(space.trial_params(config))
    phases.wrap_public_methods(study._storage, "storage")
    store = open_artifact_store(folder / "artifacts")
    summary = run_trials(study, evaluator=evaluator, space=space, n_trials=len(params), batch_trials=batch_trials,
                         artifact_store=store)
    sync(evaluator.generator.device)
    return summary.completed


def round_summary(practice_times: list[float], pipeline_times: list[float]) -> tuple[float, str]:
    """The median of the per-round practice/pipeline wall-time ratios and a line listing them with their spread
    ((largest - smallest) / median, per cent), in round order."""
    ratios = [a / b for a, b in zip(practice_times, pipeline_times, strict=True)]
    ratio = statistics.median(ratios)
    spread = (max(ratios) - min(ratios)) / ratio
    listed = " ".join(f"{r:.2f}" for r in ratios)
    return ratio, (f"speed-up per round: {listed}; median {ratio:.2f}, range {min(ratios):.2f}-{max(ratios):.2f} "
                   f"(spread {spread:.0%} of the median) over {len(ratios)} rounds")


def print_shares(label: str, phases: Phases, total: float) -> None:
    shares = phases.shares(total)
    parts = [f"{name} {shares[name]:.1%}" for name in PHASE_ORDER if name in shares]
    print(f"{label} {total:7.1f} s: " + ", ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 configurations x 12 prompts x 2 seeds x 0.4 s")
    parser.add_argument("--configs", type=int, default=4, help="N configurations (default 4)")
    parser.add_argument("--prompts", type=int, default=12, help="P prompts from studies/jazz.toml (default 12)")
    parser.add_argument("--seeds", type=int, default=2, help="R seeds per prompt (default 2, the CLI's)")
    parser.add_argument("--duration", type=float, default=1.0, help="D seconds per clip (default 1)")
    parser.add_argument("--size", default="small",
                        help="MusicGen architecture: small or medium (default small; debug for dry runs)")
    parser.add_argument("--clap", default="larger", choices=["larger", "debug"],
                        help="CLAP architecture: larger (laion/larger_clap_music's, default) or debug (dry runs)")
    parser.add_argument("--batches", type=whole_numbers, default="1,8",
                        help="extra decode batch sizes for the roofline (default 1,8)")
    parser.add_argument("--reference-sampling", action="store_true",
                        help="draw tokens with sample_next_token (full sort) instead of the fast TokenSampler")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of both paths (default 3; the ratio is the median of the rounds')")
    parser.add_argument("--slice", type=float, default=0.5,
                        help="seconds each path runs before the other takes over (default 0.5)")
    parser.add_argument("--batch-trials", default="auto",
                        help="configurations per decoding pass of the pipeline: auto (as optimize sizes it, the "
                             "default) or a number, to measure another pass width")
    parser.add_argument("--threads", default="auto",
                        help="torch threads on CPU: auto (the default: as many as the cores other processes leave "
                             "free, measured for 2 s before the rounds, at most torch's default) or a number")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto", choices=("auto", *DTYPE_NAMES),
                        help="the MusicGen's number format on both sides, as optimize --dtype (default auto: "
                             "float16 on CUDA, float32 elsewhere); the matmul peak is measured in it")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1 but got {args.rounds}.")
    if not 0.01 <= args.slice <= 600:
        parser.error(f"--slice must be in [0.01, 600] seconds but got {args.slice:g}.")
    if args.batch_trials != "auto" and not (re.fullmatch(r"[0-9]{1,3}", args.batch_trials)
                                            and 1 <= int(args.batch_trials) <= 256):
        parser.error(f"--batch-trials must be auto or a number from 1 to 256 but got {args.batch_trials!r}.")
    if args.threads != "auto" and not (re.fullmatch(r"[0-9]{1,4}", args.threads) and 1 <= int(args.threads) <= 1024):
        parser.error(f"--threads must be auto or a number from 1 to 1024 but got {args.threads!r}.")
    if args.quick:
        args.configs, args.prompts, args.seeds, args.duration = 2, 12, 2, 0.4
    transformers.logging.set_verbosity_error()
    device = resolve_device(args.device)
    number_format = resolve_dtype(args.dtype, device)
    prompts = tomllib.loads((ROOT / "studies" / "jazz.toml").read_text())["prompts"][:args.prompts]
    params = configs(args.configs)
    clips = len(prompts) * args.seeds

    model, processor = build_random_musicgen(args.size)
    model = place_model(model, device, number_format)
    stock = copy.deepcopy(model)  # the practice's: nn.Linear layers, as transformers ships them
    generator = TransformersMusicGen(model, processor, name=args.size, onednn_linears=True)  # as optimize loads it
    if args.reference_sampling:
        generator.fast_sampling = False
    clap_model, clap_processor = build_random_clap(args.clap)
    clap = ClapScorer(clap_model.to(device), clap_processor, name=f"{args.clap} CLAP (random)")
    batch_trials = (configs_per_pass(row_bytes=generator.row_bytes(args.duration), clips_per_config=clips,
                                     device=device) if args.batch_trials == "auto" else int(args.batch_trials))
    generator.max_batch = batch_trials * clips  # as the CLI sizes it
    evaluator = Evaluator(generator=generator, clap=clap, prompts=prompts, replicates=args.seeds,
                          duration=args.duration)
    limit = torch.get_num_threads()
    if args.threads == "auto":  # cores another process keeps busy would slow each path differently (_load.py)
        threads, before = free_threads(limit)
        chosen = (f"auto: other processes took {before.cores(before.others):.2f} of {len(usable_cpus())} "
                  f"CPUs, {before.cores(before.niced):.2f} of that niced" if before
                  else "auto: CPU use of other processes not measured here")
    else:
        threads, before, chosen = int(args.threads), None, "--threads"
    torch.set_num_threads(threads)
    peak_flops, bandwidth = matmul_flops(device, number_format), copy_bandwidth(device)
    dtype = dtype_name(number_format)
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{threads} threads ({chosen}), torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
          + f"; musicgen-{args.size} architecture, random weights; {args.configs} configs x {len(prompts)} prompts x "
          f"{args.seeds} seeds x {args.duration:g} s; {dtype} (EnCodec float32); "
          f"batch-trials {args.batch_trials} = {batch_trials}; "
          f"{'fast' if generator.fast_sampling else 'reference'} sampling; load average {os.getloadavg()[0]:.1f}")
    print(f"machine: matmul {peak_flops / 1e9:.1f} GFLOP/s (2048^2 {dtype}), copy {bandwidth / 1e9:.2f} GB/s")

    # Warm-up of both paths (kernels, allocator, CLAP's text tower), untimed.
    practice(stock, generator, clap, prompts[:1], 1, params[:1], 0.1)
    generator.generate(prompts[:1], params[:1], [0], duration=0.1)

    # Rounds of both paths run in alternating time slices (_interleave.Baton): a drift of the machine's speed or
    # a burst of other processes falls on both sides; the side that starts alternates by round. The ratio is the
    # median of the rounds'; the phase shares sum over every round, each side charged its own slices only.
    batons: list[Baton] = []
    routed = Routed(checkpoint=lambda: batons[-1].checkpoint())
    practice_phases = Phases(clock=lambda: batons[-1].clock())
    pipeline_phases = Phases(clock=lambda: batons[-1].clock())
    instrument(routed, generator, stock, clap)
    practice_times: list[float] = []
    pipeline_times: list[float] = []
    artifact_bytes = 0

    def run_practice() -> None:
        routed.bind(practice_phases)
        practice(stock, generator, clap, prompts, args.seeds, params, args.duration)

    def run_pipeline() -> None:
        nonlocal artifact_bytes
        routed.bind(pipeline_phases)
        with tempfile.TemporaryDirectory(prefix="time-to-presets-") as tmp:
            completed = pipeline(routed, evaluator, params, batch_trials, Path(tmp))
            artifact_bytes = sum(f.stat().st_size for f in Path(tmp, "artifacts").rglob("*") if f.is_file())
        if completed != len(params):
            raise SystemExit(f"the pipeline completed {completed} of {len(params)} trials; see the log above.")

    all_rounds = LoadMeter()  # what else ran: a figure taken beside other work says so (benchmarks/README.md)
    for round_index in range(args.rounds):
        names = ["practice", "pipeline"] if round_index % 2 == 0 else ["pipeline", "practice"]
        batons.append(Baton(names, slice_seconds=args.slice))
        this_round = LoadMeter()
        batons[-1].run_all({"practice": run_practice, "pipeline": run_pipeline})
        practice_times.append(batons[-1].spent["practice"])
        pipeline_times.append(batons[-1].spent["pipeline"])
        load = this_round.read()
        print(f"round {round_index + 1}: practice {practice_times[-1]:.1f} s, pipeline {pipeline_times[-1]:.1f} s, "
              f"ratio {practice_times[-1] / pipeline_times[-1]:.2f} ({batons[-1].handovers} handovers; "
              + (load.describe() if load else f"load average {os.getloadavg()[0]:.1f}") + ")", flush=True)
        fits = threads_left(load, limit, len(this_round.cpus)) if load else threads
        if args.threads == "auto" and fits != threads:
            print(f"  the load changed: {fits} thread(s) would fit the cores left free in this round, not the "
                  f"{threads} chosen before the rounds; rerun for a figure on a steady machine", flush=True)
    routed.restore()
    ratio, summary = round_summary(practice_times, pipeline_times)
    practice_seconds, pipeline_seconds = sum(practice_times), sum(pipeline_times)
    print_shares("practice", practice_phases, practice_seconds)
    print_shares("pipeline", pipeline_phases, pipeline_seconds)
    print(f"artifacts: {artifact_bytes / 1e6:.2f} MB for {len(params)} trials")
    print(summary)
    load = all_rounds.read()
    print("during the rounds: " + (load.describe() if load else "CPU use of other processes not measured here"))
    outside = 1.0 - pipeline_phases.seconds["decode steps"] / pipeline_seconds
    print(f"pipeline outside the decode steps: {outside:.1%} of wall time")

    steps = max(1, round(args.duration * generator.frame_rate)) + generator.num_codebooks - 1
    text_tokens = int(processor(text=prompts, padding=True, return_tensors="pt")["input_ids"].shape[1])
    passes = -(-len(params) // batch_trials)
    rows_per_pass = min(len(params), batch_trials) * clips
    print(f"{'clips':>6s} {'step ms':>8s} {'GFLOP/s':>8s} {'% matmul':>9s} {'GB/s':>7s} {'% copy':>7s}")

    def report_row(rows: int, seconds: float) -> float:
        flops, nbytes = step_cost(model, 2 * rows, steps // 2, text_tokens)  # CFG doubles the rows
        print(f"{rows:6d} {seconds * 1e3:8.1f} {flops / seconds / 1e9:8.1f} {flops / seconds / peak_flops:9.1%} "
              f"{nbytes / seconds / 1e9:7.2f} {nbytes / seconds / bandwidth:7.1%}", flush=True)
        return flops / seconds / peak_flops

    for rows in args.batches:
        seconds = decode_step_seconds(generator, prompts[:1] * rows, params[:1] * rows, list(range(rows)))
        report_row(rows, seconds)
    decode_seconds_per_step = pipeline_phases.seconds["decode steps"] / (args.rounds * passes * steps)
    share = report_row(rows_per_pass, decode_seconds_per_step)
    print(f"(last row: the pipeline's own decode steps, {passes} pass(es) x {steps} steps)")
    print(f"end-to-end pipeline/practice speed-up: {ratio:.2f} "
          f"(decode {share * 100:.0f}% of matmul peak)")


if __name__ == "__main__":
    main()
