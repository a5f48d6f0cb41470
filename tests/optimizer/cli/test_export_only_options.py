"""``optimize --export-only`` with options of the search: those describing the study must be the study's (else one
sentence, exit 2, nothing written), those steering a search are accepted and named once as ignored, and a study
with no completed trial is bad input (exit 2), not a failed run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.optimizer.synthetic import make_study

ROOT = Path(__file__).resolve().parents[3]
BASE = ["--genre", "jazz", "--model", "debug", "--export-only", "--storage", "sqlite:///optuna.db",
        "--validate-seeds", "0"]


def _optimize(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "optimize"), *BASE, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"})


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_study_options_that_differ_from_the_study_are_refused_and_the_same_ones_accepted(tmp_path):
    make_study([(0.3, 0.1), (0.2, 0.05)], storage=f"sqlite:///{tmp_path / 'optuna.db'}")  # duration 2, 2 seeds
    before = _digest(tmp_path / "optuna.db")
    failures = []
    for args, flag in [(["--duration", "1"], "--duration"), (["--replicates", "3"], "--replicates"),
                       (["--prompts", "1"], "--prompts"), (["--clap", "laion/other"], "--clap"),
                       (["--study-name", "jazz/debug", "--model", "facebook/musicgen-small"], "--model")]:
        result = _optimize(args, tmp_path)
        err = result.stderr.strip()
        if not (result.returncode == 2 and len(err.splitlines()) == 1 and f"{flag} does not match study" in err
                and "Traceback" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]
                and _digest(tmp_path / "optuna.db") == before):
            failures.append(f"{args}: exit {result.returncode}: {result.stderr[-400:]}")
    assert failures == [], "\n".join(failures)
    same = _optimize(["--duration", "2", "--replicates", "2", "--trials", "8", "--seed", "3"], tmp_path)
    assert same.returncode == 0, same.stderr
    notes = [line for line in same.stderr.splitlines() if line.startswith("note: --export-only")]
    assert notes == ["note: --export-only exports the study's completed trials; --trials, --seed are ignored."]
    assert (tmp_path / "presets" / "jazz.json").is_file()


@pytest.mark.slow
def test_a_study_without_a_completed_trial_is_exit_2_and_writes_nothing(tmp_path):
    make_study([], storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    before = _digest(tmp_path / "optuna.db")
    result = _optimize([], tmp_path)
    err = result.stderr.strip()
    assert result.returncode == 2 and "has no completed trial to export" in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"] and _digest(tmp_path / "optuna.db") == before
