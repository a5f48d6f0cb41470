"""Why ``time_to_presets.py`` runs its two paths in one thread: a second OpenMP team slows the team that works.

    python benchmarks/openmp_team.py [--clips 48] [--frames 20] [--rounds 2] [--size small]

PyTorch's Linux wheels run their parallel regions on libgomp, which keeps a team of worker threads for each thread
that starts one. While it manages more threads than there are CPUs, its workers spin only briefly before they
sleep (libgomp's throttled spin count), so each parallel product waits for a worker to wake. A benchmark that
runs two workloads in two threads of one process, one at a time, has two teams: the idle one's workers cost
nothing but their count. This times the project's decoding pass (``--clips`` clips of ``--frames`` frames, the
model as ``optimize`` loads it) alone and beside a second thread that has started its own team and then waits, in
``--rounds`` rounds, the one that goes first alternating; random weights of the published architecture.

The last line is exactly
``decoding pass beside an idle second OpenMP team / alone: <ratio> (<threads> threads)``
(the median of the rounds' ratios; 1.00 means the second team costs nothing).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import transformers  # noqa: E402

from objectives import DecodingParams  # noqa: E402
from objectives._debug import build_random_musicgen  # noqa: E402
from objectives.generation import TransformersMusicGen  # noqa: E402

PROMPTS = ["smooth jazz trio with upright bass, brushed drums and warm piano", "fast bebop saxophone solo"]


class IdleTeam:
    """A thread that starts its own OpenMP team (a parallel matmul) and then waits until :meth:`close`."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idle-openmp-team")
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        matrix = torch.randn(512, 512)
        for _ in range(3):
            matrix @ matrix
        self._ready.set()
        self._stop.wait()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def pass_seconds(generator: TransformersMusicGen, clips: int, frames: int) -> float:
    """Wall seconds of one decoding pass of ``clips`` clips (top-k 250, cfg_coef 3) of ``frames`` frames."""
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(clips)]
    start = time.perf_counter()
    generator.generate(prompts, [DecodingParams(top_k=250, cfg_coef=3.0)] * clips, list(range(clips)),
                       duration=frames / generator.frame_rate)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=48, help="clips per pass (default 48: two trials of 24)")
    parser.add_argument("--frames", type=int, default=20, help="frames per clip (default 20 = 0.4 s)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--size", default="small", help="MusicGen architecture: small (default) or debug")
    args = parser.parse_args()
    for flag in ("clips", "frames", "rounds"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1 but got {getattr(args, flag)}.")
    transformers.logging.set_verbosity_error()
    model, processor = build_random_musicgen(args.size)
    generator = TransformersMusicGen(model, processor, name=args.size, onednn_linears=True)  # as optimize loads it
    generator.max_batch = args.clips
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}; musicgen-{args.size} architecture, "
          f"random weights; {args.clips} clips x {args.frames} frames; load average {os.getloadavg()[0]:.1f}")
    pass_seconds(generator, args.clips, args.frames)  # warm-up at the timed size, untimed
    ratios = []
    for round_index in range(args.rounds):
        seconds = {}
        order = ("alone", "beside") if round_index % 2 == 0 else ("beside", "alone")  # the first alternates
        for side in order:
            team = IdleTeam() if side == "beside" else None
            try:
                seconds[side] = pass_seconds(generator, args.clips, args.frames)
            finally:
                if team is not None:
                    team.close()
        ratios.append(seconds["beside"] / seconds["alone"])
        print(f"round {round_index + 1}: alone {seconds['alone']:.3f} s, beside an idle second team "
              f"{seconds['beside']:.3f} s, ratio {ratios[-1]:.2f}", flush=True)
    print(f"decoding pass beside an idle second OpenMP team / alone: {statistics.median(ratios):.2f} "
          f"({torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
