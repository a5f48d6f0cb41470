"""The time left comes from decoding steps and scoring, and piped output still says where a run is."""

import io

import optuna
from rich.console import Console

from optimizer.run._console import trial_progress
from optimizer.run._eta import RunClock, SteadyEstimate, format_seconds


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
    # The first pass's scoring time is unknown while it runs: a lower bound (the other pass's 100 s of decoding),
    # said as such, neither blanked nor a made-up "0:00:00 left".
    assert "0/4 trials, trials 0-1 scoring, at least 0:01:40 left" in lines
    decoding = [line for line in lines if "decoding step" in line]
    assert 4 <= len(decoding) <= 2 * (100 // 30 + 1)
    assert sum("scoring" in line for line in lines) == 2
    # After the first pass (100 s decoding + 20 s scoring), the second pass at its end of decoding has
    # 20 s of scoring left and no pass after it.
    second_scoring = next(line for line in lines if "trials 2-3 scoring" in line)
    assert second_scoring.startswith("2/4 trials") and "about 0:00:20 left" in second_scoring


def test_the_shown_time_left_only_counts_down_through_a_slow_scoring_phase():
    """Three passes of 2 trials: 10 steps of 1 s (with 5 % jitter), then 60 s of scoring (the slow part). After the
    first measured scoring, the shown figure falls one second per second and never rises; before, it is a
    lower bound that is never blanked."""
    clock = FakeClock()
    eta = RunClock(target=6, done=0, clock=clock)
    steady = SteadyEstimate(clock)
    shown: list[tuple[float, float, bool]] = []  # (time, shown seconds, lower bound)

    def look() -> None:
        value = steady.update(eta.remaining())
        if value is not None:
            shown.append((clock.now, value, eta.bound))

    jitter = [1.0, 1.05, 0.95, 1.02, 0.98]
    for _ in range(3):
        eta.start(2)
        for n in range(1, 11):
            clock.now += jitter[n % 5]
            eta.step(n, 10)
            look()
        for _ in range(6):  # scoring: the progress looks every 10 s
            clock.now += 10.0
            look()
        eta.trial_end()
        eta.trial_end()
        look()
    assert len(shown) == 3 * (10 + 6 + 1)  # from the first measured step on, never blank
    measured = next(i for i, (_, _, bound) in enumerate(shown) if not bound)
    assert all(bound for _, _, bound in shown[:measured])
    # The first pass's scoring raises the lower bound while it goes on (it is a bound, said as "at least") ...
    assert shown[measured - 1][1] > shown[9][1]
    # ... and once scoring was measured the figure is within 10 % of the truth and only counts down.
    total_end = shown[-1][0]
    for (t0, v0, _), (t1, v1, _) in zip(shown[measured:], shown[measured + 1:], strict=False):
        assert v1 <= v0 and abs(v1 - (v0 - (t1 - t0))) < 1e-9
    for t, value, _ in shown[measured:]:
        assert abs(value - (total_end - t)) <= 0.1 * (total_end - t) + 1.0
    assert shown[-1][1] == 0.0


def test_a_real_change_replaces_the_countdown_at_once():
    clock = FakeClock()
    steady = SteadyEstimate(clock)
    assert steady.update(None) is None
    assert steady.update(100.0) == 100.0
    clock.now += 10.0
    assert steady.update(93.0) == 90.0  # within 10 % of the countdown: the countdown stays
    clock.now += 10.0
    assert steady.update(200.0) == 200.0  # a pass turned out slower: shown at once
    clock.now += 5.0
    assert steady.update(None) == 195.0  # never blanked
