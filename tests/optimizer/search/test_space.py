import optuna
import pytest

from objectives import DecodingParams
from optimizer import SearchSpace


def _ask(space: SearchSpace, n: int, seed: int = 0):
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append((trial, space.suggest(trial)))
        study.tell(trial, [0.0, 0.0])
    return out


def test_top_k_and_top_p_are_conditional_on_the_strategy():
    space = SearchSpace(strategies=("top_k", "top_p", "greedy"))
    seen = set()
    for trial, params in _ask(space, 60):
        strategy = trial.params["strategy"]
        seen.add(strategy)
        assert params.strategy == strategy
        assert ("top_k" in trial.params) == (strategy == "top_k")
        assert ("top_p" in trial.params) == (strategy == "top_p")
        assert ("temperature" in trial.params) == (strategy != "greedy")
        if strategy == "top_k":
            assert space.top_k[0] <= params.top_k <= space.top_k[1] and params.top_p == 0.0
        if strategy == "top_p":
            assert space.top_p[0] <= params.top_p <= space.top_p[1] and params.top_k == 0
        assert space.cfg_coef[0] <= params.cfg_coef <= space.cfg_coef[1]
    assert seen == {"top_k", "top_p", "greedy"}


def test_greedy_is_off_by_default():
    assert all(p.strategy != "greedy" for _, p in _ask(SearchSpace(), 30))


@pytest.mark.parametrize(
    "params", [DecodingParams(), DecodingParams(temperature=0.8, top_k=0, top_p=0.9, cfg_coef=2.0)]
)
def test_enqueued_trial_params_reproduce_the_configuration(params):
    space = SearchSpace()
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.enqueue_trial(space.trial_params(params))
    assert space.suggest(study.ask()) == params.canonical()


def test_configuration_outside_the_space_cannot_be_enqueued():
    with pytest.raises(ValueError, match="outside the search range"):
        SearchSpace(cfg_coef=(1.0, 2.0)).trial_params(DecodingParams(cfg_coef=3.0))
    with pytest.raises(ValueError, match="greedy"):
        SearchSpace().trial_params(DecodingParams(use_sampling=False))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [({"temperature": [1.5, 0.5]}, "temperature range"), ({"top_k": [1.5, 20]}, "two integers"),
     ({"top_p": [0.5, 1.0]}, "top_p range"), ({"strategies": ["beam"]}, "strategies"),
     ({"tempreature": [0.5, 1.0]}, "unknown search_space key"), ({"cfg_coef": 3.0}, "must be a list")],
)
def test_bad_overrides_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        SearchSpace().with_overrides(overrides)
