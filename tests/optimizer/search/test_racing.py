"""The racing rule: stage plan, the stop/continue decision, and the stored payload of a stopped trial."""

import json
from itertools import pairwise

import numpy as np
import pytest

from optimizer._trial_payloads import RacingStop, StoredScore
from optimizer.search._racing import Verdict, decide, paired_bounds, stage_plan

DIRECTIONS = ("maximize", "minimize")  # clap, repetition
FEASIBLE = {"silence": -0.4, "noise": -0.2, "clipping": -0.003}


def _flat(*values, prompts=12):
    """A front trial with the same mean on every prompt: ``[1, P, M]``."""
    return np.tile(np.array(values, dtype=np.float64), (1, prompts, 1))


def _clips(rows, clap_of, repetition_of):
    """Per-objective samples ``(values, prompts)`` for the given rows."""
    prompts = [p for p, _ in rows]
    return [([clap_of(p, r) for p, r in rows], prompts), ([repetition_of(p, r) for p, r in rows], prompts)]


def test_stages_grow_to_the_full_evaluation():
    stages = stage_plan(12, 2)
    assert [len(s) for s in stages] == [6, 12, 24]
    assert set(stages[-1]) == {(p, r) for p in range(12) for r in range(2)}
    for earlier, later in pairwise(stages):
        assert set(earlier) < set(later)
    assert {p for p, _ in stages[0]} == set(range(0, 12, 2))  # spread over the list, one seed each
    assert stage_plan(1, 1) == (((0, 0),),)
    assert [len(s) for s in stage_plan(1, 3)] == [1, 3]
    with pytest.raises(ValueError):
        stage_plan(0, 2)


def test_a_clearly_dominated_trial_stops_at_the_first_stage():
    front = np.concatenate([_flat(0.40, 0.05), _flat(0.30, 0.01)])
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, size=(12, 2))
    first = stage_plan(12, 2)[0]
    samples = _clips(first, lambda p, r: 0.10 + noise[p, r], lambda p, r: 0.50 + noise[p, r])
    assert decide(constraints=FEASIBLE, samples=samples, directions=DIRECTIONS, front=front) is Verdict.DOMINATED


def test_a_close_trial_is_never_stopped():
    """A trial whose clips average exactly a front trial's values, with a real spread, continues at every stage."""
    front = _flat(0.35, 0.08)
    effect = [0.04 if (p // 2) % 2 == 0 else -0.04 for p in range(12)]  # averages 0 over every stage's prompts
    for rows in stage_plan(12, 2)[:-1]:
        samples = _clips(rows, lambda p, r: 0.35 + effect[p], lambda p, r: 0.08 - effect[p] / 4)
        assert np.mean(samples[0][0]) == pytest.approx(0.35)
        assert decide(constraints=FEASIBLE, samples=samples, directions=DIRECTIONS, front=front) is Verdict.CONTINUE


def test_a_trial_as_good_as_the_front_is_stopped_at_most_at_the_level():
    """The test's size: trials whose true means equal a front trial's are stopped in about alpha of draws or fewer."""
    rng = np.random.default_rng(1)
    front = _flat(0.35, 0.08)
    rows = stage_plan(12, 2)[1]
    stops = 0
    draws = 2000
    for _ in range(draws):
        effect = rng.normal(0, 0.03, size=(12, 2))
        samples = _clips(rows, lambda p, r, e=effect: 0.35 + e[p, r], lambda p, r, e=effect: 0.08 + e[p, 1 - r])
        stops += decide(constraints=FEASIBLE, samples=samples, directions=DIRECTIONS, front=front,
                        level=0.05) is Verdict.DOMINATED
    assert stops / draws <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / draws)


def test_an_infeasible_trial_stops_at_once_even_without_a_front():
    rows = stage_plan(12, 2)[0]
    samples = _clips(rows, lambda p, r: 0.9, lambda p, r: 0.0)  # would be the best trial of the study
    violated = FEASIBLE | {"silence": 0.2}
    assert decide(constraints=violated, samples=samples, directions=DIRECTIONS, front=np.empty((0, 12, 2))) \
        is Verdict.INFEASIBLE
    assert decide(constraints=FEASIBLE, samples=samples, directions=DIRECTIONS, front=np.empty((0, 12, 2))) \
        is Verdict.CONTINUE


def test_an_objective_not_measured_yet_never_stops_a_trial():
    """Diversity needs two seeds of a prompt; fad is a set statistic: without samples they cannot be beaten."""
    front = _flat(0.40, 0.05, 0.3)
    rows = stage_plan(12, 2)[0]
    samples = [*_clips(rows, lambda p, r: 0.1 + 0.01 * p, lambda p, r: 0.5 + 0.01 * p), None]
    assert decide(constraints=FEASIBLE, samples=samples, directions=(*DIRECTIONS, "maximize"), front=front) \
        is Verdict.CONTINUE
    assert paired_bounds(samples, front[0], (*DIRECTIONS, "maximize"), 0.05)[2] == np.inf
    assert paired_bounds([([0.2], [0]), None], front[0, :, :2], DIRECTIONS, 0.05).tolist() == [np.inf, -np.inf]


def test_shared_prompt_difficulty_cancels_in_the_paired_comparison():
    """Prompts differ far more than the two configurations do; the trial is worse on every prompt, so it stops."""
    difficulty = np.linspace(-0.15, 0.15, 12)
    front = np.stack([difficulty + 0.35, np.full(12, 0.05)], axis=-1)[None]
    rows = stage_plan(12, 2)[1]
    samples = _clips(rows, lambda p, r: 0.33 + difficulty[p] + 0.002 * (p % 3),
                     lambda p, r: 0.07 + 0.002 * (p % 2))
    assert decide(constraints=FEASIBLE, samples=samples, directions=DIRECTIONS, front=front) is Verdict.DOMINATED


def test_the_bound_widens_as_the_level_tightens():
    samples = [([0.3, 0.32, 0.28, 0.35], [0, 1, 2, 3]), ([0.1, 0.12, 0.08, 0.15], [0, 1, 2, 3])]
    reference = _flat(0.3, 0.1, prompts=4)[0]
    loose, strict = (paired_bounds(samples, reference, DIRECTIONS, level) for level in (0.2, 0.01))
    assert strict[0] > loose[0] > 0.0125 and strict[1] < loose[1] < 0.0125
    with pytest.raises(ValueError):
        paired_bounds(samples, reference, DIRECTIONS, 0.0)


def test_the_stopped_trial_payload_round_trips_through_json():
    stop = RacingStop(verdict="dominated", stage=1, stages=3, clips=6, clips_full=24, level=0.05,
                      scores={"clap": StoredScore(0.12, 0.01, 6), "repetition": StoredScore(0.4, 0.05, 6)},
                      constraints=dict(FEASIBLE))
    assert RacingStop.from_dict(json.loads(json.dumps(stop.to_dict()))) == stop
    assert RacingStop.from_dict({"stage": "one"}) is None
    assert RacingStop.from_dict(None) is None
