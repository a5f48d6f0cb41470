"""benchmarks/time_to_presets.py: the per-round summary and its flags (the timed run itself is in the README)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("time_to_presets", BENCHMARKS / "time_to_presets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ratio_is_the_median_of_the_rounds_and_one_disturbed_round_does_not_move_it(script):
    # Round 2's practice ran under load (3x slower): its ratio is an outlier, the median is the other rounds'.
    ratio, line = script.round_summary([10.0, 30.0, 10.4], [5.0, 5.1, 5.0])
    assert ratio == pytest.approx(10.4 / 5.0)
    assert line.startswith("speed-up per round: 2.00 5.88 2.08; median 2.08, range 2.00-5.88")
    assert "over 3 rounds" in line


def test_rounds_below_one_are_refused_in_one_sentence(script, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["time_to_presets.py", "--rounds", "0"])
    with pytest.raises(SystemExit) as exit_info:
        script.main()
    assert exit_info.value.code == 2
    assert "--rounds must be at least 1 but got 0." in capsys.readouterr().err
