"""benchmarks/dtype_speed.py with the debug architecture: a row per clip count, the last line, the input check."""

import re
import subprocess

from tests.benchmarks.scripts import run_script


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("dtype_speed.py", *args)


def test_times_both_formats_per_clip_count_and_counts_the_tokens_that_differ():
    done = run("--size", "debug", "--clips", "1,4", "--rounds", "1", "--frames", "10")
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", done.stdout, re.M)
    assert [int(r[0]) for r in rows] == [1, 4]
    assert all(float(value) > 0 for row in rows for value in row[1:])
    last = re.fullmatch(r"bfloat16/float32 decode step speed-up at 4 clips: [\d.]+ \((\d+) of (\d+) greedy tokens "
                        r"differ\)", done.stdout.strip().splitlines()[-1])
    assert last and int(last[2]) == 8 * 4 * 10 and 0 <= int(last[1]) <= int(last[2])


def test_bad_input_is_refused_in_one_sentence():
    for args in (["--clips", "4,x"], ["--rounds", "0"], ["--dtype", "float32"]):
        done = run(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
