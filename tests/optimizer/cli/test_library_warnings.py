"""No library warning reaches a user of the commands, even under ``-W default``; other warnings still do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
from optuna.exceptions import ExperimentalWarning

from optimizer.cli._warnings import quiet_library_warnings
from tests.servers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[3]


_SCRIPTS = {ep.name: ep.value.partition(":")[0] for ep in entry_points(group="console_scripts")
            if ep.value.startswith("optimizer.")}


def _command(name: str) -> list[str]:
    """The installed console script (importing this checkout through PYTHONPATH), else its entry module."""
    exe = shutil.which(name)
    return [exe] if exe else [sys.executable, "-c", f"import sys, optimizer.cli._entry as e; "
                                                    f"sys.exit(e.{name.replace('-', '_')}())"]


def _env() -> dict[str, str]:
    """Every warning shown once per place (``-W default``), as a user who asks to see them would."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "default"}


def _run(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*_command(name), *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)


def _serve(cwd: Path) -> str:
    """Start ``serve-presets``, get a preset from it, stop it with SIGTERM; its stderr."""
    port = free_port()
    process = subprocess.Popen([*_command("serve-presets"), "--port", str(port)], cwd=cwd, env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/genres", process)
        assert httpx.get(f"http://127.0.0.1:{port}/genres/jazz/preset", timeout=10).status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    return stderr


@pytest.mark.slow
def test_no_command_prints_a_library_warning(tmp_path):
    """Every console script (and optimize's export-only mode) runs with ``-W default`` and no warning line."""
    search = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "0.2"]
    stderr = {}
    for label, name, args in [
        ("optimize", "optimize", [*search, "--trials", "3", "--validate-seeds", "0", "--no-artifacts"]),
        ("optimize --export-only", "optimize", [*search, "--export-only", "--validate-seeds", "1"]),
        ("generate", "generate", ["--preset", "presets/jazz.json", "--duration", "0.2", "-o", "a.wav", "jazz"]),
        ("report", "report", ["--genre", "jazz", "--model", "debug", "--out", "r.html"]),
    ]:
        result = _run(name, args, tmp_path)
        assert result.returncode == 0, f"{label}: {result.stderr}"
        stderr[label] = result.stderr
    stderr["serve-presets"] = _serve(tmp_path)
    assert {label.split()[0] for label in stderr} == set(_SCRIPTS)  # a new command joins this test
    for label, text in stderr.items():
        assert "Warning" not in text and "warn(" not in text, f"{label} printed a warning:\n{text}"


def test_the_filters_name_optuna_only():
    def emitted(category: type[Warning], module: str, message: str = "x") -> bool:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quiet_library_warnings()
            warnings.warn_explicit(message, category, filename=f"/{module.replace('.', '/')}.py", lineno=1,
                                   module=module)
        return bool(caught)

    assert not emitted(ExperimentalWarning, "optimizer.search._study")  # Optuna's category, wherever it is attributed
    assert not emitted(FutureWarning, "optuna.samplers._tpe.sampler")
    assert emitted(FutureWarning, "transformers.generation")
    assert emitted(FutureWarning, "optuna_like_but_not_optuna")
    assert emitted(DeprecationWarning, "optuna.study")
    assert emitted(UserWarning, "optuna.study")
    jit = "`torch.jit.script` is deprecated. Please switch to `torch.compile` or `torch.export`."
    assert not emitted(DeprecationWarning, "torch.jit._script", jit)
    assert emitted(DeprecationWarning, "torch.jit._script")  # only that message is named
