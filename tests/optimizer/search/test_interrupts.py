"""Real `optimize` processes stopped by real signals: Ctrl-C, SIGTERM, two signals 10 ms apart, a burst of them,
SIGKILL; during a trial, while the models load, and while the presets are exported. Nothing may be left
RUNNING, what the process says must be what the storage shows, and a resumed run must finish the job: its
baselines evaluated and its preset file written (never "up to date" without one)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import optuna
import pytest

from optimizer import _keys, validate_presets
from tests.servers import wait_for

pytestmark = pytest.mark.slow
_EXE = shutil.which("optimize")
_OPTIMIZE = [_EXE] if _EXE else [sys.executable, "-m", "optimizer.cli._optimize"]
NAME = "jazz/debug"


def _argv(tmp_path: Path, *, trials: int, duration: float = 4.0, extra=()) -> list[str]:
    return [*_OPTIMIZE, "--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "2",
            "--duration", str(duration), "--trials", str(trials), "--batch-trials", "2",
            "--storage", f"sqlite:///{tmp_path / 'optuna.db'}", "--presets-dir", str(tmp_path / "presets"),
            "--validate-seeds", "1", "--no-artifacts", "--seed", "0", *extra]


def _start(argv, tmp_path: Path, log: str = "run.log") -> tuple[subprocess.Popen, Path]:
    path = tmp_path / log
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    return subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=path.open("w"), stderr=subprocess.STDOUT,
                            text=True), path


def _trials(tmp_path: Path) -> list[optuna.trial.FrozenTrial]:
    from optimizer.search._study import open_storage

    if not (tmp_path / "optuna.db").exists():
        return []
    try:
        return optuna.load_study(study_name=NAME, storage=open_storage(f"sqlite:///{tmp_path / 'optuna.db'}")
                                 ).get_trials()
    except KeyError:
        return []


def _wait_for(condition, process: subprocess.Popen, log: Path, what: str, timeout: float = 300.0):
    return wait_for(condition, process, log, what, timeout=timeout, kill=True, poll=0.05)


def _generating(tmp_path: Path):
    """A trial that has drawn its configuration and is being generated."""
    return [t for t in _trials(tmp_path) if t.state == optuna.trial.TrialState.RUNNING and t.params]


def _finish(process: subprocess.Popen, log: Path, timeout: float = 300) -> tuple[int, str]:
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    return code, log.read_text()


def _interrupt_a_trial(tmp_path: Path, argv_in, send, attempts: int = 3) -> tuple[Path, int, str]:
    """Start ``argv_in(folder)``, wait for a trial being generated, ``send(process, folder)``, and return the folder,
    the exit code and the output. A signal that lands while the batch is being told is deferred until the tell
    ends (``_loop.shielded``: a told trial is kept), so then no trial fails "interrupted"; the test polls the
    storage, and a trial seen generating may reach its tell before the signal arrives (seen once in CI, on a
    loaded machine). That run is then repeated in a fresh folder, ``attempts`` times in all."""
    for attempt in range(attempts):
        folder = tmp_path / f"attempt{attempt}"
        folder.mkdir()
        process, log = _start(argv_in(folder), folder)
        _wait_for(partial(_generating, folder), process, log, "a trial being generated")
        send(process, folder)
        rc, out = _finish(process, log)
        failed = [t for t in _trials(folder) if t.state == optuna.trial.TrialState.FAIL]
        if failed or rc not in (130, 143):
            return folder, rc, out
    raise AssertionError(f"{attempts} runs in a row failed no trial, the signal never interrupted one: {out[-3000:]}")


@pytest.mark.parametrize(("signals", "code"), [
    ([signal.SIGINT], 130),
    ([signal.SIGTERM], 143),
    ([signal.SIGINT, signal.SIGINT], 130),  # two Ctrl-C 10 ms apart
    ([signal.SIGTERM, signal.SIGINT], 143),
    ([signal.SIGINT] + [signal.SIGTERM, signal.SIGINT] * 60, 130),  # a burst: some land in the cleanup
], ids=["sigint", "sigterm", "two-sigint-10ms", "sigterm-then-sigint", "burst"])
def test_signals_during_a_trial_leave_nothing_running_and_the_message_is_true(tmp_path, signals, code):
    def send(process: subprocess.Popen, folder: Path) -> None:
        for i, signum in enumerate(signals):
            if process.poll() is not None:
                break
            process.send_signal(signum)
            time.sleep(0.01 if i == 0 else 0.002)

    folder, rc, out = _interrupt_a_trial(tmp_path, lambda folder: _argv(folder, trials=6), send)
    assert rc == code, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    trials = _trials(folder)
    assert [t.number for t in trials if t.state == optuna.trial.TrialState.RUNNING] == [], out[-3000:]
    assert "none is left running" in out, out[-3000:]
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert failed and {t.user_attrs.get(_keys.FAILURE) for t in failed} == {"interrupted"}


def test_an_interrupt_while_the_models_load_is_one_line_and_writes_nothing(tmp_path):
    process, log = _start(_argv(tmp_path, trials=2), tmp_path)
    # torch is imported only when the models load: once it is mapped, the run is loading them.
    maps = Path(f"/proc/{process.pid}/maps")
    _wait_for(lambda: "torch" in maps.read_text(), process, log, "model loading", timeout=120)
    process.send_signal(signal.SIGINT)
    rc, out = _finish(process, log)
    assert rc == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[-1].startswith("optimize: interrupted by Ctrl-C"), out
    assert {p.name for p in tmp_path.iterdir()} == {"run.log"}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_rerun_after_the_exporter_was_stopped_writes_the_presets(tmp_path, signum):
    """Presets are "up to date" only when the file exists and was built from every completed trial."""
    argv = _argv(tmp_path, trials=3, duration=2.0)
    process, log = _start(argv, tmp_path)
    complete = optuna.trial.TrialState.COMPLETE
    _wait_for(lambda: sum(t.state == complete for t in _trials(tmp_path)) == 3, process, log, "the last trial")
    process.send_signal(signum)  # the worker is now re-validating the front or writing the file
    rc, out = _finish(process, log)
    if rc == 0:
        pytest.skip("the export finished before the signal arrived")
    assert "Traceback" not in out, out[-3000:]
    assert not (tmp_path / "presets" / "jazz.json").exists()

    process, log = _start(argv, tmp_path, "rerun.log")
    rc, out = _finish(process, log)
    assert rc == 0, out[-3000:]
    assert "Presets written" in out and "up to date" not in out, out[-3000:]
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    validate_presets(document)
    assert document["provenance"]["n_trials_complete"] == 3

    process, log = _start(argv, tmp_path, "third.log")  # now, and only now, the file is current
    rc, out = _finish(process, log)
    assert rc == 0 and "is up to date" in out and "Presets written" not in out, out[-3000:]


def test_baselines_interrupted_in_the_first_trial_are_evaluated_on_resume(tmp_path):
    def argv(folder: Path) -> list[str]:
        return _argv(folder, trials=3, duration=2.0, extra=["--batch-trials", "1"])

    folder, rc, out = _interrupt_a_trial(tmp_path, argv, lambda process, folder: process.send_signal(signal.SIGINT))
    assert rc == 130, out[-3000:]
    first = _trials(folder)[0]
    assert first.state == optuna.trial.TrialState.FAIL and first.user_attrs.get(_keys.BASELINE) == "musicgen_default"

    process, log = _start(argv(folder), folder, "resume.log")
    rc, out = _finish(process, log)
    assert rc == 0, out[-3000:]
    trials = _trials(folder)
    labels = {t.user_attrs.get(_keys.BASELINE) for t in trials if t.state == optuna.trial.TrialState.COMPLETE}
    assert {"musicgen_default", "genre_baseline"} <= labels
    baselines = json.loads((folder / "presets" / "jazz.json").read_text())["baselines"]
    assert set(baselines) == {"musicgen_default", "genre_baseline"}
    retries = [t for t in trials if _keys.RETRY_OF in t.user_attrs]
    assert len(retries) == 1 and retries[0].user_attrs[_keys.RETRY_OF]["trial"] == 0


def test_a_worker_started_while_the_finisher_exports_waits_instead_of_exporting_again(tmp_path):
    """The flaky `test_four_workers_survive_a_sigkill` case made certain: the second worker starts only once the
    study is complete, while the first is still re-validating and writing (a long validation: 4 seeds)."""
    argv = _argv(tmp_path, trials=2, duration=2.0, extra=["--validate-seeds", "4", "--heartbeat-interval", "1"])
    first, first_log = _start(argv, tmp_path, "first.log")
    complete = optuna.trial.TrialState.COMPLETE
    _wait_for(lambda: sum(t.state == complete for t in _trials(tmp_path)) == 2, first, first_log, "the last trial")
    second, second_log = _start(argv, tmp_path, "second.log")
    rc1, out1 = _finish(first, first_log)
    rc2, out2 = _finish(second, second_log)
    assert (rc1, rc2) == (0, 0), out1[-2000:] + out2[-2000:]
    assert "Presets written" in out1, out1[-3000:]
    assert "Presets written" not in out2 and "is up to date" in out2, out2[-3000:]
