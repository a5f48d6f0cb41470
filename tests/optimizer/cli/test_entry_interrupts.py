"""Ctrl-C while a command imports its libraries or loads a model: every console script (through
``optimizer.cli._entry``) says so in one line and exits 130, with no traceback and no file written."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer import build_presets, write_presets
from tests.optimizer.report.test_report import _make_study
from tests.optimizer.synthetic import make_study

pytestmark = pytest.mark.slow


def _interrupt_once_loaded(argv: list[str], cwd: Path, library: str) -> subprocess.CompletedProcess:
    """Start ``argv``, send SIGINT once ``library``'s shared object is mapped (the command is loading), and wait."""
    exe = shutil.which(argv[0])
    if exe is None:
        pytest.skip(f"the {argv[0]} console script is not installed (pip install -e .)")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([exe, *argv[1:]], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    maps = Path(f"/proc/{process.pid}/maps")
    deadline = time.monotonic() + 120
    while process.poll() is None and library not in maps.read_text():
        assert time.monotonic() < deadline, f"{argv[0]} never loaded {library}"
        time.sleep(0.01)
    if process.poll() is not None:
        pytest.fail(f"{argv[0]} ended before it loaded {library}: {process.communicate()}")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def test_generate_interrupted_while_loading_is_one_line_and_writes_nothing(tmp_path):
    presets = write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "jazz.json")
    before = sorted(p.name for p in tmp_path.iterdir())
    done = _interrupt_once_loaded(["generate", "--preset", f"{presets}:balanced", "jazz trio", "--model", "debug",
                                   "--duration", "1", "-o", str(tmp_path / "out.wav")], tmp_path, "torch")
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == ["generate: interrupted by Ctrl-C; nothing was written."]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_report_interrupted_while_loading_is_one_line_and_writes_nothing(tmp_path):
    _make_study(tmp_path, 3)
    before = sorted(p.name for p in tmp_path.iterdir())
    done = _interrupt_once_loaded(["report", "--genre", "jazz", "--model", "debug", "--storage",
                                   f"sqlite:///{tmp_path / 'optuna.db'}", "--out", str(tmp_path / "r.html")],
                                  tmp_path, "numpy")
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_reader_that_closes_the_pipe_early_gets_no_traceback():
    """``optimize --list-genres | head -1``: the command stops quietly when its pipe's reader has gone (``true``
    exits before the command writes, so every write meets a closed pipe)."""
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-c", "from optimizer.cli._entry import optimize; "
                                                       "raise SystemExit(optimize())"]
    done = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" --list-genres | true', "_", *command],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "40"})
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode in (0, 141), (done.returncode, done.stderr)
