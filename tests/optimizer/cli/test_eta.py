"""The time left comes from decoding steps and scoring, and piped output still says where a run is."""

import io

import optuna
from rich.console import Console

from optimizer.cli._console import trial_progress
from optimizer.cli._eta import RunClock, format_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pass(eta: RunClock, clock: FakeClock, *, trials: int, steps: int, step_seconds: float, scoring: float) -> None:
    eta.start(trials)
    for n in range(1, steps + 1):
        clock.now += step_seconds
        eta.step(n, steps)
    clock.now += scoring
    for _ in range(trials):
        eta.trial_end()


def test_time_left_counts_steps_and_scoring_of_the_passes_to_come():
    clock = FakeClock()
    eta = RunClock(target=6, done=0, clock=clock)
    assert eta.remaining() is None
    _pass(eta, clock, trials=2, steps=10, step_seconds=1.0, scoring=4.0)
    # 4 trials left = 2 passes of 2, each 10 steps x 1 s + 4 s of scoring.
    assert eta.remaining() == 28.0
    eta.start(2)
    for n in range(1, 6):
        clock.now += 1.0
        eta.step(n, 10)
    assert eta.remaining() == 5 + 4 + 14  # rest of this pass, its scoring, one more pass
    for n in range(6, 11):
        clock.now += 1.0
        eta.step(n, 10)
    clock.now += 1.0
    assert eta.scoring and eta.remaining() == 3 + 14  # scoring has 3 of its 4 s left
    # Both trials are told within a second of each other (a trial-count rate would jump); scoring took 2 s
    # this time, so the last pass is estimated at 10 x 1 s + 2 s.
    clock.now += 0.5
    eta.trial_end()
    clock.now += 0.5
    eta.trial_end()
    assert eta.remaining() == 12.0


def test_format_seconds():
    assert format_seconds(None) == "-:--:--"
    assert format_seconds(3725.4) == "1:02:05"


def test_piped_output_prints_bounded_plain_progress_lines():
    clock = FakeClock()
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)
    study = optuna.create_study()
    with trial_progress(console, done=0, target=4, clock=clock, line_every=30.0) as hooks:
        for first in (0, 2):
            hooks.on_batch_start([first, first + 1])
            for n in range(1, 101):  # 100 steps of 1 s: at most one line per 30 s, plus the switch to scoring
                clock.now += 1.0
                hooks.on_step(n, 100)
            clock.now += 20.0
            for number in (first, first + 1):
                study.enqueue_trial({})
                trial = study.ask()
                study.tell(trial, 1.0)
                hooks.on_trial_end(study.trials[number])
    lines = [line for line in out.getvalue().splitlines() if " trials, " in line]
    # The first pass's scoring time is unknown while it runs: no made-up "0:00:00 left".
    assert "0/4 trials, trials 0-1 scoring, about -:--:-- left" in lines
    decoding = [line for line in lines if "decoding step" in line]
    assert 4 <= len(decoding) <= 2 * (100 // 30 + 1)
    assert sum("scoring" in line for line in lines) == 2
    # After the first pass (100 s decoding + 20 s scoring), the second pass at its end of decoding has
    # 20 s of scoring left and no pass after it.
    second_scoring = next(line for line in lines if "trials 2-3 scoring" in line)
    assert second_scoring.startswith("2/4 trials") and "about 0:00:20 left" in second_scoring
