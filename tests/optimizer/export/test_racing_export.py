"""Only fully evaluated (COMPLETE) trials can become presets: a trial racing stopped (PRUNED with partial scores)
is never a Pareto candidate, a re-validation candidate or a preset, however good its partial scores look."""

from __future__ import annotations

import optuna

from objectives import DecodingParams
from optimizer import _keys, build_presets
from optimizer._trial_payloads import RacingStop, StoredScore
from optimizer.export import candidates, feasible_front
from tests.optimizer.synthetic import make_study

STOPPED_PARAMS = DecodingParams(temperature=0.9, top_k=42)


def _with_a_stopped_trial():
    study = make_study([(0.40, 0.10), (0.30, 0.05)])
    # partial scores that would dominate both complete trials, were they read as results
    payload = RacingStop(verdict="dominated", stage=1, stages=3, clips=2, clips_full=8, level=0.05,
                         scores={"clap": StoredScore(0.95, 0.01, 2), "repetition": StoredScore(0.0, 0.0, 2)})
    study.add_trial(optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED,
        user_attrs={_keys.RACING: payload.to_dict(), _keys.PARAMS: STOPPED_PARAMS.to_dict(),
                    _keys.SCORES: {"clap": {"mean": 0.95, "stderr": 0.01, "n": 2},
                                   "repetition": {"mean": 0.0, "stderr": 0.0, "n": 2}}},
        system_attrs={"constraints:noise": -0.1}))
    return study


def test_a_stopped_trial_is_never_a_candidate_nor_a_preset():
    study = _with_a_stopped_trial()
    stopped = study.trials[-1].number
    assert stopped not in {t.number for t in feasible_front(study)}
    assert stopped not in {t.number for t in candidates(study)}
    document = build_presets(study, genre="jazz")
    named = [entry for group in ("presets", "baselines") for entry in (document.get(group) or {}).values()]
    assert named and all(entry["trial"] != stopped for entry in named)
    assert all(entry["params"] != STOPPED_PARAMS.to_dict() for entry in named if "params" in entry)
