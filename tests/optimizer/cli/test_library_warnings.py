"""Optuna's experimental/deprecation warnings do not reach users of the commands; other warnings still do."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from optuna.exceptions import ExperimentalWarning

from optimizer.cli._warnings import quiet_library_warnings

ROOT = Path(__file__).resolve().parents[3]


def _run(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_optimize_and_report_print_no_library_warnings(tmp_path):
    run = _run("optimizer.cli._optimize", ["--genre", "jazz", "--trials", "3", "--model", "debug", "--prompts", "1",
                                  "--replicates", "1", "--duration", "1", "--validate-seeds", "0", "--no-artifacts"],
               tmp_path)
    assert run.returncode == 0, run.stderr
    report = _run("optimizer.cli._report", ["--genre", "jazz", "--model", "debug", "--out", "r.html"], tmp_path)
    assert report.returncode == 0, report.stderr
    for result in (run, report):
        assert "Warning" not in result.stderr and "warn(" not in result.stderr, result.stderr


def test_the_filters_name_optuna_only():
    def emitted(category: type[Warning], module: str) -> bool:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quiet_library_warnings()
            warnings.warn_explicit("x", category, filename=f"/{module.replace('.', '/')}.py", lineno=1, module=module)
        return bool(caught)

    assert not emitted(ExperimentalWarning, "optimizer.search._study")  # Optuna's category, wherever it is attributed
    assert not emitted(FutureWarning, "optuna.samplers._tpe.sampler")
    assert emitted(FutureWarning, "transformers.generation")
    assert emitted(FutureWarning, "optuna_like_but_not_optuna")
    assert emitted(DeprecationWarning, "optuna.study")
    assert emitted(UserWarning, "optuna.study")
