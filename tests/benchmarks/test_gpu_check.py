"""benchmarks/gpu_check.sh --dry-run: every step of the GPU check runs on the CPU with tiny sizes."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_dry_run_prints_every_figure_of_the_gpu_check():
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--dry-run"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("gpu check:")]
    text = "\n".join(lines)
    assert re.search(r"optimize debug \(cpu, .*\): ok in \d+ s, [1-9]\d* preset file", text)
    assert re.search(r"fp16 vs fp32 greedy tokens .*: (\d+) of (\d+) differ", text)
    assert [int(k) for k in re.findall(r"K=\s*(\d+) trials per pass .* [\d.]+ clips/s; memory per clip", text)] \
        == [1, 4]
    assert re.search(r"speed-up per round: [\d.]+; median [\d.]+", text)
    assert re.search(r"gpu check: end-to-end pipeline/practice speed-up: [\d.]+ \(decode \d+% of matmul peak\)$",
                     text, re.MULTILINE)
    assert lines[-1].startswith("gpu check: done in ")


def test_an_unknown_argument_is_refused_with_the_usage():
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--gpu"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "usage: bash benchmarks/gpu_check.sh [--dry-run]"
