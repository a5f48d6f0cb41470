"""Re-validation, which takes minutes on a real model, says how far it is when the output is piped (a spinner
shows nothing there): one plain line per decoding pass with the count done and the time left."""

import re

import pytest

from optimizer.cli._optimize import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_piped_revalidation_prints_one_progress_line_per_pass(capsys, tmp_path):
    argv = ["--genre", "jazz", "--model", "debug", "--trials", "3", "--prompts", "1", "--replicates", "1",
            "--duration", "0.3", "--validate-seeds", "1", "--no-artifacts", "--batch-trials", "1", "--seed", "0"]
    assert main(argv) == 0
    err = capsys.readouterr().err.replace("\n", " ")
    total = int(re.search(r"Re-validating (\d+) Pareto candidate", err).group(1))
    done = [int(m.group(1)) for m in re.finditer(r"new seeds: (\d+)/(\d+) done, about \d+:\d\d:\d\d left", err)]
    assert done == list(range(1, total + 1))  # one pass per candidate at --batch-trials 1, in order
    assert err.index("done, about") < err.index("Presets written")
