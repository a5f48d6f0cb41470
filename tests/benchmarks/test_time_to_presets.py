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


@pytest.mark.parametrize("value", ["0", "257", "x", "2.5", "\u00b2", "-1", ""])
def test_a_batch_trials_that_is_not_auto_or_1_to_256_is_refused_in_one_sentence(script, monkeypatch, capsys, value):
    monkeypatch.setattr(sys, "argv", ["time_to_presets.py", "--batch-trials", value])
    with pytest.raises(SystemExit) as exit_info:
        script.main()
    assert exit_info.value.code == 2
    assert f"--batch-trials must be auto or a number from 1 to 256 but got {value!r}." in capsys.readouterr().err


def _baton():
    sys.path.insert(0, str(BENCHMARKS))
    from _interleave import Baton

    return Baton


def test_the_two_sides_alternate_in_slices_and_each_is_charged_only_its_own_running_time():
    """Two workloads that each need ~0.3 s of sleep-free busy time, in 0.05 s slices: they alternate (many
    handovers, the order of the log interleaves), and each side's time is its own work, not the other's."""
    import time as clock

    import torch

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.05)
    log: list[str] = []
    layer = torch.nn.Identity()

    def work(name: str) -> None:
        end = clock.thread_time() + 0.3  # CPU time of this thread: waiting for the baton does not advance it
        while clock.thread_time() < end:
            layer(torch.zeros(1))  # a module forward: the checkpoint where a side may hand over
            if not log or log[-1] != name:
                log.append(name)

    start = clock.perf_counter()
    baton.run_all({"a": lambda: work("a"), "b": lambda: work("b")})
    wall = clock.perf_counter() - start
    assert baton.handovers >= 6 and len(log) >= 6  # a b a b ... not a then b
    assert log[0] == "a"
    for name in ("a", "b"):
        assert 0.25 <= baton.spent[name] <= 0.6 * wall  # its own ~0.3 s, far less than the whole run
    assert baton.spent["a"] + baton.spent["b"] == pytest.approx(wall, rel=0.25)


def test_an_error_in_one_side_reaches_the_caller_and_the_other_side_still_finishes():
    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.01)
    finished = []

    def fails() -> None:
        raise RuntimeError("side a failed")

    with pytest.raises(RuntimeError, match="side a failed"):
        baton.run_all({"a": fails, "b": lambda: finished.append("b")})
    assert finished == ["b"]
