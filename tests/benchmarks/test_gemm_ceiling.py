"""benchmarks/gemm_ceiling.py with the debug architecture: its table, its last line, and its input check."""

import re
import subprocess

from tests.benchmarks.scripts import run_script


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("gemm_ceiling.py", *args)


def test_prints_a_row_per_batch_and_the_ceiling_line():
    done = run("--size", "debug", "--rows", "2,8", "--rounds", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    rows = [line.split() for line in lines if re.match(r"\s*\d+\s+[\d.]+\s+[\d.]+%", line)]
    assert [r[0] for r in rows] == ["2", "8"]
    for row in rows:
        step_ms, products_ms = float(row[1]), float(row[3])
        assert step_ms > 0 and products_ms > 0
    assert re.fullmatch(r"decode at 8 rows: \d+% of matmul peak, its matrix products alone \d+% "
                        r"\(step at \d+% of that ceiling\)", lines[-1])


def test_odd_rows_are_refused_in_one_sentence():
    done = run("--rows", "3")
    assert done.returncode == 2
    assert "--rows takes even numbers" in done.stderr and "Traceback" not in done.stderr
