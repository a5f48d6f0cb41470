"""``--device``: only devices the models run on are accepted (objectives/generation/_device.py), by ``optimize`` and
``generate`` alike; anything else is one sentence and exit 2 before a model loads or a file is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from objectives._errors import DeviceError
from objectives.generation._device import resolve_device

ROOT = Path(__file__).resolve().parents[3]

REFUSED = ["meta", "xla:0", "ipu", "cpu ", " cpu", "CPU", "cpu:1", "garbage", "", "cuda:99"]
if not torch.cuda.is_available():
    REFUSED += ["cuda", "cuda:0"]
if not torch.backends.mps.is_available():
    REFUSED += ["mps"]


@pytest.mark.parametrize("requested", REFUSED)
def test_a_device_the_models_cannot_run_on_is_refused(requested):
    with pytest.raises(DeviceError) as info:
        resolve_device(requested)
    assert repr(requested) in str(info.value) and len(str(info.value).splitlines()) == 1


@pytest.mark.parametrize("requested", ["auto", "cpu", "cpu:0"])
def test_the_cpu_is_always_accepted(requested):
    assert resolve_device(requested).type in ("cpu", "cuda", "mps")


def _preset(tmp_path: Path) -> Path:
    from optimizer import build_presets, write_presets
    from tests.optimizer.synthetic import make_study

    return write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "given" / "jazz.json")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["optimize", "generate"])
def test_every_refused_device_is_one_sentence_and_nothing_written(tmp_path, command):
    preset = _preset(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    failures = []
    for i, requested in enumerate(REFUSED):
        work = tmp_path / f"run{i}"
        work.mkdir()
        argv = (["--genre", "jazz", "--model", "debug", "--trials", "1", "--prompts", "1", "--replicates", "1",
                 "--duration", "0.2"] if command == "optimize"
                else ["--preset", str(preset), "a tune", "-o", "out.wav", "--model", "debug", "--duration", "0.2"])
        result = subprocess.run([str(Path(sys.executable).parent / command), *argv, "--device", requested], cwd=work,
                                env=env, capture_output=True, text=True, timeout=300)
        err = result.stderr.strip()
        if not (result.returncode == 2 and len(err.splitlines()) == 1 and "--device" in err
                and "Traceback" not in err and list(work.iterdir()) == []):
            failures.append(f"{requested!r}: exit {result.returncode}: {result.stderr[-500:]}")
    assert failures == [], "\n".join(failures)
