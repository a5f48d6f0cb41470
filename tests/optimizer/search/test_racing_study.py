"""Racing against a study: the front from stored trials, and a stopped trial told PRUNED with its payload."""

import numpy as np
import optuna

from optimizer import _keys
from optimizer._trial_payloads import RacingStop
from optimizer.search._racing import Verdict, decide, stage_plan
from optimizer.search._racing_study import count_finished, race_front, stop_trial, stopped_trials

OBJECTIVES = ("clap", "repetition")
DIRECTIONS = ("maximize", "minimize")
FEASIBLE = {"silence": -0.4, "noise": -0.2, "clipping": -0.003}


def _complete(study, clap, repetition, constraints=FEASIBLE, prompts=4):
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    trial.set_user_attr(_keys.PER_PROMPT, [{"prompt": f"p{i}", "clap": clap + 0.01 * i, "repetition": repetition}
                                           for i in range(prompts)])
    for name, value in constraints.items():
        trial.set_constraint(name, value)
    study.tell(trial, [clap, repetition])


def test_the_front_holds_feasible_complete_trials_per_prompt():
    study = optuna.create_study(directions=DIRECTIONS)
    _complete(study, 0.40, 0.05)
    _complete(study, 0.90, 0.00, constraints=FEASIBLE | {"noise": 0.1})  # degenerate: never a racing reference
    front = race_front(study, (*OBJECTIVES, "diversity"), prompts=4)
    assert front.shape == (1, 4, 3)
    assert np.allclose(front[0, :, 0], [0.40, 0.41, 0.42, 0.43]) and np.isnan(front[0, :, 2]).all()


def test_a_dominated_trial_is_told_pruned_with_its_partial_scores_and_counted():
    study = optuna.create_study(directions=DIRECTIONS,
                                sampler=optuna.samplers.TPESampler(n_startup_trials=2, seed=0))
    for _ in range(3):
        _complete(study, 0.40, 0.05)
    rows = stage_plan(4, 2)[1]
    samples = {"clap": ([0.10 + 0.01 * p + 0.001 * r for p, r in rows], [p for p, _ in rows]),
               "repetition": ([0.5 + 0.01 * p for p, _ in rows], [p for p, _ in rows])}
    verdict = decide(constraints=FEASIBLE, samples=list(samples.values()), directions=DIRECTIONS,
                     front=race_front(study, OBJECTIVES, 4))
    assert verdict is Verdict.DOMINATED
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    frozen = stop_trial(trial, verdict=verdict, stage=2, stages=3, clips_full=8, level=0.05, samples=samples,
                        constraints=FEASIBLE)
    assert frozen.state == optuna.trial.TrialState.PRUNED and frozen.values is None
    [(stopped, payload)] = stopped_trials(study)
    assert stopped.number == trial.number
    assert payload == RacingStop.from_dict(frozen.user_attrs[_keys.RACING])
    assert (payload.verdict, payload.stage, payload.clips, payload.scores["clap"].n) == ("dominated", 2, 4, 4)
    assert payload.scores["clap"].mean < 0.2
    assert count_finished(study) == 4
    assert [t.number for t in study.best_trials] != [] and trial.number not in {t.number for t in study.best_trials}
    study.ask()  # the sampler reads a study holding a pruned multi-objective trial


def test_an_infeasible_stop_sets_the_constraints_the_sampler_reads():
    study = optuna.create_study(directions=DIRECTIONS)
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    violated = FEASIBLE | {"silence": 0.3}
    frozen = stop_trial(trial, verdict=Verdict.INFEASIBLE, stage=1, stages=3, clips_full=24, level=0.05,
                        samples={"clap": ([0.3], [0])}, constraints=violated)
    assert frozen.constraints == violated
    assert stopped_trials(study)[0][1].verdict == "infeasible"
