"""benchmarks/clap_batch.py with the debug CLAP: a row per batch, the embeddings' agreement, the input check."""

import re
import subprocess

from tests.benchmarks.scripts import run_script


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("clap_batch.py", *args)


def test_times_each_batch_and_batching_leaves_the_embeddings_alone():
    done = run("--clap", "debug", "--batches", "1,3", "--windows", "5", "--rounds", "1")
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.e+-]+)$", done.stdout, re.M)
    assert [int(r[0]) for r in rows] == [1, 3]
    assert all(float(r[1]) > 0 for r in rows)
    assert all(float(r[2]) < 1e-4 for r in rows), rows  # a score must not depend on the batch it was embedded in
    assert re.fullmatch(r"CLAP ms per window, batch 3 / batch [13]: [\d.]+", done.stdout.strip().splitlines()[-1])


def test_bad_input_is_refused_in_one_sentence():
    for args in (["--batches", "2,x"], ["--windows", "0"], ["--rounds", "0"]):
        done = run(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, (args, done.stderr)
