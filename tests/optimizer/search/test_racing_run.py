"""Racing wired into the search loop (``run_trials(racing_level=...)``), on the real Evaluator with a fake model.

The fake MusicGen plays a 220 Hz tone whose loudness is set by ``cfg_coef`` plus a per-clip wobble that depends on
the clip's seed and the configuration; the fake CLAP scores a clip by its peak. So a configuration's CLAP is known
in advance: ``cfg_coef / 8`` on average, silent at 0 (infeasible), and every clip's repetition is the same tone's.
"""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest

from objectives import DecodingParams, Evaluator
from objectives.generation import GeneratedAudio
from optimizer import SearchSpace, _keys
from optimizer._trial_payloads import RacingStop
from optimizer.search import count_finished, run_trials, stopped_trials

RATE = 32_000
PROMPTS = ["p0", "p1", "p2", "p3"]
PRUNED, COMPLETE = optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.COMPLETE


class _ToneModel:
    sample_rate = RATE

    def __init__(self) -> None:
        self.rows = 0

    def generate(self, conditioning, params, seeds, *, duration, on_step=None, **extra):
        self.rows += len(seeds)
        t = np.arange(int(duration * RATE)) / RATE
        tone = np.sin(2 * np.pi * 220 * t)
        audio = np.stack([_loudness(p, s) * tone for p, s in zip(params, seeds, strict=True)]).astype(np.float32)
        return GeneratedAudio(audio=audio, sample_rate=RATE, codes=None)


def _loudness(params: DecodingParams, seed: int) -> float:
    if params.cfg_coef < 1.5:
        return 0.0  # silence: infeasible on its first clip
    wobble = 0.04 * math.sin(seed % 1000 + 17 * params.temperature)  # differs per clip and per configuration
    return params.cfg_coef / 8 + wobble


class _PeakClap:
    def text_embeddings(self, prompts):
        return np.zeros((len(prompts), 4))

    def adherence(self, audio, rate, prompts):
        peaks = np.abs(np.asarray(audio)).max(axis=1)
        embeddings = np.tile(np.array([1.0, 0.0, 0.0, 0.0]), (len(prompts), 1))
        return peaks.astype(np.float64), embeddings


GOOD = [DecodingParams(cfg_coef=6.0, temperature=t) for t in (1.0, 1.1, 1.2)]
CLEARLY_WORSE = DecodingParams(cfg_coef=1.6, temperature=0.9)
CLOSE = DecodingParams(cfg_coef=6.0, temperature=0.8)  # the front's mean, other wobbles: never worse with confidence
SILENT = DecodingParams(cfg_coef=1.0, temperature=1.3)


def _race(configs, *, batch_trials=1, level=0.05, references=()):
    model = _ToneModel()
    evaluator = Evaluator(generator=model, clap=_PeakClap(), prompts=PROMPTS, replicates=2, duration=0.5)
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    space = SearchSpace()
    for i, params in enumerate(configs):
        study.enqueue_trial(space.trial_params(params),
                            user_attrs={_keys.BASELINE: "genre_baseline"} if i in references else None)
    summary = run_trials(study, evaluator=evaluator, space=space, n_trials=len(configs), batch_trials=batch_trials,
                         racing_level=level)
    return study, summary, model


def test_dominated_stops_at_the_first_stage_close_never_infeasible_at_once():
    study, summary, model = _race([*GOOD, CLEARLY_WORSE, CLOSE, SILENT])
    states = [t.state for t in study.trials]
    assert states == [COMPLETE] * 3 + [PRUNED, COMPLETE, PRUNED]
    stops = {t.number: p for t, p in stopped_trials(study)}
    assert (stops[3].verdict, stops[3].stage, stops[3].stages, stops[3].clips) == ("dominated", 1, 3, 2)
    assert stops[3].scores["clap"].mean == pytest.approx(0.2, abs=0.05)
    assert (stops[5].verdict, stops[5].stage, stops[5].clips) == ("infeasible", 1, 2)
    assert max(study.trials[5].constraints.values()) > 0  # the sampler sees it infeasible
    assert summary.stopped == 2 and summary.completed == 4 and count_finished(study) == 6
    assert model.rows == 4 * 8 + 2 + 2  # four full evaluations, two stopped after their first stage's 2 clips
    assert study.trials[3].user_attrs[_keys.PARAMS] == CLEARLY_WORSE.to_dict()


def test_batched_trials_race_together_and_only_complete_ones_reach_the_front():
    study, summary, _ = _race([*GOOD, CLEARLY_WORSE, CLOSE, SILENT], batch_trials=3)
    # the first pass has no front yet: the good trials complete; the next pass races the other three together
    assert [t.state for t in study.trials] == [COMPLETE] * 3 + [PRUNED, COMPLETE, PRUNED]
    assert {t.number for t in study.best_trials} <= {0, 1, 2, 4} and summary.stopped == 2


def test_the_stored_payload_round_trips():
    study, _, _ = _race([*GOOD, CLEARLY_WORSE])
    stored = study.trials[3].user_attrs[_keys.RACING]
    payload = RacingStop.from_dict(stored)
    assert payload is not None and payload.to_dict() == stored
    assert set(payload.scores) == {"clap", "repetition"} and payload.clips_full == 8 and payload.level == 0.05


def test_a_level_outside_the_open_interval_is_refused():
    with pytest.raises(ValueError, match="racing level"):
        _race(GOOD[:1], level=0.5)


def test_the_dashboard_note_shows_a_stopped_trial_as_stopped_with_its_partial_scores(tmp_path):
    from optuna_dashboard import get_note

    from optimizer.search import open_artifact_store

    evaluator = Evaluator(generator=_ToneModel(), clap=_PeakClap(), prompts=PROMPTS, replicates=2, duration=0.5)
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    space = SearchSpace()
    for params in [*GOOD, CLEARLY_WORSE]:
        study.enqueue_trial(space.trial_params(params))
    run_trials(study, evaluator=evaluator, space=space, n_trials=4, racing_level=0.05,
               artifact_store=open_artifact_store(tmp_path / "artifacts"))
    def note_of(number):
        return get_note(optuna.trial.Trial(study, study.trials[number]._trial_id))

    note = note_of(3)
    assert "(stopped)" in note and "**stopped by racing** at stage 1/3 after 2 clips" in note
    assert "dominated" in note and "failed" not in note.lower()
    assert "| p0 |" in note and "| p2 |" in note and "| p1 |" not in note  # the prompts decoded so far
    assert "stopped" not in note_of(0)


def test_a_reference_trial_is_never_raced_even_when_clearly_worse():
    study, summary, model = _race([*GOOD, CLEARLY_WORSE, CLEARLY_WORSE], references={3})
    assert [t.state for t in study.trials] == [COMPLETE] * 4 + [PRUNED]  # the same configuration, not a reference
    assert summary.stopped == 1 and model.rows == 4 * 8 + 2
