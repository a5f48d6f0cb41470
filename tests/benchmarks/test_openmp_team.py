"""benchmarks/openmp_team.py with the debug architecture: its rounds, its last line, and its input check."""

import re

import pytest

from tests.benchmarks.scripts import run_script


def test_prints_each_round_and_the_ratio_line():
    done = run_script("openmp_team.py", "--size", "debug", "--clips", "2", "--frames", "2", "--rounds", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    rounds = [line for line in lines if line.startswith("round ")]
    assert len(rounds) == 2
    for line in rounds:
        alone, beside, ratio = (float(v) for v in re.findall(r"(\d+\.\d+)", line))
        assert alone > 0 and beside > 0
        # seconds printed to the millisecond and the ratio to the hundredth: the error that rounding allows
        assert abs(ratio - beside / alone) <= 0.005 + 0.0005 / alone * (1 + beside / alone) + 1e-9
    assert re.fullmatch(r"decoding pass beside an idle second OpenMP team / alone: \d+\.\d\d \(\d+ threads\)",
                        lines[-1])


@pytest.mark.parametrize("flag", ["--clips", "--frames", "--rounds"])
def test_a_count_below_one_is_refused_in_one_sentence(flag):
    done = run_script("openmp_team.py", flag, "0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].endswith(f"{flag} must be at least 1 but got 0.")
    assert "Traceback" not in done.stderr
