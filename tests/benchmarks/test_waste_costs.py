"""benchmarks/waste_costs.py with the debug architectures: one line per suspect, the last line, the input check."""

import re
import subprocess

from tests.benchmarks.scripts import run_script


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("waste_costs.py", *args)


def test_measures_each_suspect_and_ends_with_the_summary_line():
    done = run("--size", "debug", "--clap", "debug", "--prompts", "3", "--seeds", "1", "--duration", "0.5",
               "--rounds", "1", "--frames", "4")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    tokens = re.search(r"text tokens per prompt (\d+)-(\d+) \(mean ([\d.]+)\)", done.stdout)
    assert tokens and int(tokens[1]) <= float(tokens[3]) <= int(tokens[2])
    sheet = re.search(r"spectrogram sheet ([\d.]+) s per trial of ([\d.]+) s", done.stdout)
    assert sheet and float(sheet[1]) > 0 and float(sheet[2]) > 0
    assert re.search(r"CLAP audio embedding [\d.]+ s for 3 clips of 0.5 s, [\d.]+ s for 3 clips of 10 s", done.stdout)
    assert re.fullmatch(r"waste: text padding -?\d+% of a step \| spectrogram sheet \d+% of a trial \| CLAP \d+% of "
                        r"a trial \(10 s clips cost [\d.]+x 0.5-second clips\)", lines[-1])


def test_bad_input_is_refused_in_one_sentence():
    done = run("--duration", "12")
    assert done.returncode == 2
    assert "--duration in (0, 10] seconds" in done.stderr and "Traceback" not in done.stderr
