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


@pytest.mark.parametrize("value", ["0", "1025", "x", "1.5", "\u00b2", "-1", ""])
def test_a_threads_value_that_is_not_auto_or_1_to_1024_is_refused_in_one_sentence(script, monkeypatch, capsys,
                                                                                     value):
    monkeypatch.setattr(sys, "argv", ["time_to_presets.py", "--threads", value])
    with pytest.raises(SystemExit) as exit_info:
        script.main()
    assert exit_info.value.code == 2
    assert f"--threads must be auto or a number from 1 to 1024 but got {value!r}." in capsys.readouterr().err


def _baton():
    sys.path.insert(0, str(BENCHMARKS))
    from _interleave import Baton

    return Baton


def test_the_two_sides_alternate_in_slices_and_each_is_charged_only_its_own_running_time():
    """Two workloads that each need ~0.3 s of busy time, in 0.05 s slices: they alternate (many handovers, the
    order of the log interleaves), and each side's time is its own work, not the other's."""
    import time as clock

    import torch

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.05)
    log: list[str] = []
    layer = torch.nn.Identity()

    def work(name: str) -> None:
        busy = 0.0  # this side's own time: the module forward below, where it may wait for the baton, is left out
        while busy < 0.3:
            start = clock.perf_counter()
            while clock.perf_counter() - start < 0.001:
                pass
            busy += clock.perf_counter() - start
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


def test_both_sides_run_in_the_calling_thread_so_they_share_its_openmp_team():
    """A second thread would start a second OpenMP team, which slowed the 2-thread decode by 17 %
    (benchmarks/README.md, "One OpenMP team"); torch's thread-local inference mode is on in both sides."""
    import threading

    import torch

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.0)
    seen: dict[str, set[int]] = {"a": set(), "b": set()}
    modes: list[bool] = []
    layer = torch.nn.Identity()

    def work(name: str) -> None:
        for _ in range(5):
            layer(torch.zeros(1))
            seen[name].add(threading.get_ident())
            modes.append(torch.is_inference_mode_enabled())

    baton.run_all({"a": lambda: work("a"), "b": lambda: work("b")})
    assert seen["a"] == seen["b"] == {threading.get_ident()}
    assert baton.handovers >= 8
    assert all(modes) and not torch.is_inference_mode_enabled()


def test_an_interrupt_in_one_side_ends_the_other_at_once_and_runs_its_cleanup():
    """The other side is suspended inside its own inference-mode block: after its cleanup the thread is back in
    the mode it came in with (ordinary tensors, gradients on)."""
    import torch

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.0)
    layer = torch.nn.Identity()
    steps: list[str] = []

    @torch.inference_mode()
    def long() -> None:
        try:
            for _ in range(1000):
                layer(torch.zeros(1))
                steps.append("a")
        finally:
            steps.append("cleaned up")

    def interrupted() -> None:
        layer(torch.zeros(1))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        baton.run_all({"a": long, "b": interrupted})
    assert steps[-1] == "cleaned up" and len(steps) < 10
    assert not torch.is_inference_mode_enabled() and torch.is_grad_enabled()
    assert not torch.zeros(1).is_inference()


def test_an_interrupt_is_raised_before_an_ordinary_error_of_the_other_side():
    import torch

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.0)
    layer = torch.nn.Identity()

    def fails() -> None:
        raise RuntimeError("side a failed")

    def interrupted() -> None:
        layer(torch.zeros(1))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        baton.run_all({"a": fails, "b": interrupted})


def test_bodies_that_do_not_name_the_workloads_are_refused():
    Baton = _baton()
    with pytest.raises(ValueError, match="bodies must name exactly"):
        Baton(["a", "b"]).run_all({"a": lambda: None})


def test_each_side_charges_its_own_phases_and_only_its_own_running_time():
    """Routed wrappers shared by both sides (as time_to_presets instruments one set of callables): each greenlet
    charges the Phases it bound, and a phase that waited for the baton is charged its running time only."""
    import time as clock

    import torch

    sys.path.insert(0, str(BENCHMARKS))
    from _phases import Phases, Routed

    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.02)
    routed = Routed(checkpoint=baton.checkpoint)
    mine = {"a": Phases(clock=baton.clock), "b": Phases(clock=baton.clock)}
    layer = torch.nn.Identity()

    def busy(seconds: float) -> None:
        end = clock.perf_counter() + seconds
        while clock.perf_counter() < end:
            pass

    class Work:
        def step(self, seconds: float) -> None:
            busy(seconds)
            layer(torch.zeros(1))  # may hand over inside the phase

    work = Work()
    routed.wrap(work, "step", "step")

    def side(name: str, seconds: float) -> None:
        routed.bind(mine[name])
        for _ in range(10):
            work.step(seconds)

    baton.run_all({"a": lambda: side("a", 0.01), "b": lambda: side("b", 0.03)})
    routed.restore()
    assert baton.handovers >= 4
    assert mine["a"].seconds["step"] == pytest.approx(0.1, rel=0.5)  # its own 10 x 10 ms, not b's 300 ms
    assert mine["b"].seconds["step"] == pytest.approx(0.3, rel=0.5)
    assert set(mine["a"].seconds) == set(mine["b"].seconds) == {"step"}


def test_an_error_in_one_side_reaches_the_caller_and_the_other_side_still_finishes():
    Baton = _baton()
    baton = Baton(["a", "b"], slice_seconds=0.01)
    finished = []

    def fails() -> None:
        raise RuntimeError("side a failed")

    with pytest.raises(RuntimeError, match="side a failed"):
        baton.run_all({"a": fails, "b": lambda: finished.append("b")})
    assert finished == ["b"]
