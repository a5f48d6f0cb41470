"""benchmarks/_cli.py: every comma-separated number flag of every benchmark script takes the same rule, and a bad
value is one usage line with exit 2 (real processes), not a traceback and not a model load."""

import argparse
import subprocess
import sys

import pytest

from tests.benchmarks.scripts import BENCHMARKS, run_script

sys.path.insert(0, str(BENCHMARKS))

from _cli import whole_numbers

HOSTILE = ["", "2,x", "\u00b2", "\u096a", "0", "1,,2", " 4", "-1", "4,", "1.5", "+3"]
"""Empty, a letter, a superscript two and a Devanagari four (``str.isdigit`` takes both, ``int`` takes the
second), zero, an empty item, a space, signs, a trailing comma, a fraction."""

FLAGS = [("clap_batch.py", ["--batches"]), ("dtype_speed.py", ["--clips"]), ("gemm_ceiling.py", ["--rows"]),
         ("decode_throughput.py", ["--ks"]), ("gpu_check.py", ["throughput", "--ks"]),
         ("time_to_presets.py", ["--batches"])]
"""Every benchmark flag that takes a comma-separated list of numbers."""


def test_good_lists_read_as_numbers_in_order():
    assert whole_numbers("1,8,48") == [1, 8, 48]
    assert whole_numbers("16") == [16]
    assert whole_numbers("4,4,1") == [4, 4, 1]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_else_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match="comma-separated whole numbers of at least 1"):
        whole_numbers(text)


@pytest.mark.parametrize(("script", "flag"), FLAGS, ids=[script for script, _ in FLAGS])
def test_every_list_flag_refuses_in_one_usage_line(script, flag):
    done: subprocess.CompletedProcess = run_script(script, *flag, "\u00b2")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].endswith("at least 1 but got '\u00b2'"), done.stderr
