"""A search says how long its decoding will take before it starts, and warns from an hour up."""

import math

import pytest

from optimizer.cli._optimize import main
from optimizer.search._estimate import RATE_ENV, estimate_run, measure_step_rate

_SMALL = ["--genre", "jazz", "--model", "debug", "--trials", "2", "--prompts", "1", "--replicates", "1",
          "--duration", "0.5", "--validate-seeds", "0", "--no-artifacts"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(RATE_ENV, raising=False)


def test_a_run_estimated_at_hours_says_so_and_goes_on(capsys, monkeypatch, tmp_path):
    # 2 trials decoded in one pass, 0.5 s = 25 steps, at 0.001 steps/s: 25 000 s = 6 h 57 min.
    monkeypatch.setenv(RATE_ENV, "0.001")
    assert main(_SMALL) == 0
    err = capsys.readouterr().err
    assert "This run will take a long time" in err and "about 6 h 57 min on cpu for 2 trial(s)" in err
    assert "--duration" in err and "--replicates" in err and "--prompts" in err
    assert err.index("take a long time") < err.index("Presets written")  # before, and the run went on
    assert (tmp_path / "presets" / "jazz.json").exists()


def test_a_short_run_gets_a_measured_estimate_and_no_warning(capsys):
    assert main(_SMALL) == 0
    err = capsys.readouterr().err
    assert "Decoding time: about 1 min on cpu for 2 trial(s) (measured" in err
    assert "long time" not in err


@pytest.mark.parametrize("value", ["0", "-3", "fast", "nan", "inf"])
def test_a_bad_rate_override_is_refused_before_anything_is_written(capsys, monkeypatch, tmp_path, value):
    monkeypatch.setenv(RATE_ENV, value)
    assert main(_SMALL) == 2
    err = capsys.readouterr().err.strip()
    assert RATE_ENV in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sub_passes_and_the_last_partial_pass_count():
    class NoModel:  # a given rate never touches the generator
        def generate(self, *args, **kwargs):
            raise AssertionError("measured although a rate was given")

    # 10 trials x 8 clips, 4 trials per pass, at most 16 rows at once: 3 passes of 2 sub-passes, 25 steps each.
    estimate = estimate_run(NoModel(), ["p"], trials=10, clips_per_trial=8, batch_trials=4, rows_per_pass=16,
                            duration=0.5, device="cpu", steps_per_second=5.0)
    assert estimate.seconds == pytest.approx(6 * 25 / 5.0) and estimate.rows == 16 and not estimate.measured
    # Fewer trials left than a pass holds: the pass is only as wide as the trials left.
    one = estimate_run(NoModel(), ["p"], trials=1, clips_per_trial=8, batch_trials=4, rows_per_pass=64,
                       duration=0.5, device="cpu", steps_per_second=5.0)
    assert one.rows == 8 and one.seconds == pytest.approx(25 / 5.0)
    assert estimate_run(NoModel(), ["p"], trials=0, clips_per_trial=8, batch_trials=4, rows_per_pass=16,
                        duration=0.5, device="cpu", steps_per_second=5.0) is None


def test_measured_rate_is_a_positive_rate_on_the_debug_model(debug_musicgen):
    from objectives.generation import TransformersMusicGen

    model, processor = debug_musicgen
    rate = measure_step_rate(TransformersMusicGen(model, processor, name="debug", max_batch=4), "jazz", 4)
    assert rate is not None and math.isfinite(rate) and rate > 0
