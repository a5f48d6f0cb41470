"""Seeds at the edge of their type: refused while parsing arguments, before any model or file exists."""

import os
import shutil
import subprocess
import sys

import pytest

from optimizer import build_presets, write_presets
from tests.optimizer.synthetic import make_study

OUT_OF_RANGE = ["-1", str(2**32), str(2**64), "9" * 5000, "1e3", "0x10", ""]


def _command(name: str, module: str) -> list[str]:
    exe = shutil.which(name)
    return [exe] if exe else [sys.executable, "-m", module]


@pytest.fixture
def preset_file(tmp_path):
    path = tmp_path / "in" / "jazz.json"
    write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), path)
    return path


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("optimize", "optimizer.cli._optimize", ["--genre", "jazz", "--model", "debug", "--trials", "1"]),
        ("generate", "optimizer.cli._generate", ["--model", "debug", "x", "-o", "out.wav"]),
        ("serve-presets", "optimizer.cli._serve", ["--presets-dir", "."]),
    ],
)
def test_out_of_range_seeds_exit_2_and_create_nothing(tmp_path, preset_file, name, module, extra):
    work = tmp_path / "work"
    work.mkdir()
    if name == "generate":
        extra = [*extra, "--preset", str(preset_file)]
    for seed in OUT_OF_RANGE:
        result = subprocess.run([*_command(name, module), *extra, "--seed", seed], cwd=work, capture_output=True,
                                text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        err = result.stderr.strip()
        assert result.returncode == 2, (seed[:30], err[-500:])
        assert len(err.splitlines()) == 1 and "--seed" in err and "2**32 - 1" in err, err[-500:]
        assert len(err) < 300 and "Traceback" not in err
        assert list(work.iterdir()) == [], seed[:30]


@pytest.mark.parametrize("seed", [0, 2**32 - 1])
def test_seeds_at_the_ends_of_the_range_are_accepted(seed):
    from optimizer.cli._generate import _parser
    from optimizer.cli._optimize import build_parser

    assert build_parser().parse_args(["--genre", "jazz", "--seed", str(seed)]).seed == seed
    assert _parser().parse_args(["--preset", "p.json", "x", "--seed", str(seed)]).seed == seed
