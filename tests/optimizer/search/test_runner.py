"""The ask/tell runner: batched trials keep the study's semantics; faults stay inside their trial."""

import optuna
import pytest
import torch

from objectives import DecodingParams, Evaluator
from objectives.generation import TransformersMusicGen
from objectives.scoring import ClapScorer
from optimizer import SearchSpace, _keys, run_trials
from optimizer.search._samplers import make_sampler

FIXED = [DecodingParams(temperature=t, top_k=k, cfg_coef=c) for t, k, c in
         [(0.7, 50, 2.0), (1.0, 250, 3.0), (1.3, 120, 4.5), (0.9, 30, 1.5)]]


@pytest.fixture(scope="module")
def evaluator(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    clap_model, clap_processor = build_debug_clap()
    return Evaluator(generator=TransformersMusicGen(model, processor, name="debug", max_batch=64),
                     clap=ClapScorer(clap_model, clap_processor, name="debug"),
                     prompts=["smooth jazz trio, 92 BPM", "lo-fi beat, 80 BPM"], replicates=2, duration=0.6)


def _study():
    space = SearchSpace()
    study = optuna.create_study(directions=list(_keys.DIRECTIONS), sampler=make_sampler("tpe", seed=0))
    for params in FIXED:
        study.enqueue_trial(space.trial_params(params))
    return study


def _complete(study):
    return study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))


def test_batched_trials_give_the_same_results_as_one_at_a_time(evaluator, one_thread):
    one, four = _study(), _study()
    run_trials(one, evaluator=evaluator, space=SearchSpace(), n_trials=6, batch_trials=1)
    summary = run_trials(four, evaluator=evaluator, space=SearchSpace(), n_trials=6, batch_trials=4)
    assert summary.completed == 6 and len(_complete(four)) == 6 and len(four.trials) == 6
    # Same clips (tokens are batch-independent, see test_generation.py); CLAP's own batched arithmetic may
    # move the last float32 bits of its embeddings, hence the 1e-6 tolerance.
    for a, b in zip(_complete(one)[:4], _complete(four)[:4], strict=True):
        assert a.user_attrs[_keys.PARAMS] == b.user_attrs[_keys.PARAMS]
        assert a.values == pytest.approx(b.values, rel=1e-6, abs=1e-9)
        for pa, pb in zip(a.user_attrs[_keys.PER_PROMPT], b.user_attrs[_keys.PER_PROMPT], strict=True):
            assert pa == {**pb, "clap": pytest.approx(pb["clap"], rel=1e-6)}
        assert a.constraints == pytest.approx(b.constraints, rel=1e-6, abs=1e-9)


class _Flaky:
    """Wraps the real evaluator and injects a fault."""

    def __init__(self, inner, fault):
        self.inner, self.fault, self.calls = inner, fault, []

    def evaluate_many(self, configs, *, rows=None, on_step=None):
        self.calls.append(len(configs))
        self.fault(configs)
        return self.inner.evaluate_many(configs, rows=rows, on_step=on_step)


def test_out_of_memory_halves_the_batch_and_retries_the_same_trials(evaluator):
    def oom_above_two(configs):
        if len(configs) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    flaky = _Flaky(evaluator, oom_above_two)
    study = _study()
    summary = run_trials(study, evaluator=flaky, space=SearchSpace(), n_trials=6, batch_trials=4)
    assert summary.completed == 6 and summary.failed == 0
    assert summary.final_batch_trials == 2
    assert flaky.calls[:3] == [4, 2, 2] and max(flaky.calls[3:]) <= 2
    assert [t.user_attrs[_keys.PARAMS] for t in _complete(study)[:4]] == [p.to_dict() for p in FIXED]


def test_a_failing_configuration_fails_only_its_trial(evaluator):
    def bad_cfg(configs):
        if any(c.cfg_coef == 4.5 for c in configs):
            raise ValueError("scores must be finite but got [nan]")

    study = _study()
    summary = run_trials(study, evaluator=_Flaky(evaluator, bad_cfg), space=SearchSpace(), n_trials=5,
                         batch_trials=4)
    failed = study.get_trials(states=(optuna.trial.TrialState.FAIL,))
    assert [t.number for t in failed] == [2]
    assert failed[0].user_attrs[_keys.FAILURE].startswith("ValueError: scores must be finite")
    assert summary.failures["ValueError"] == 1 and len(_complete(study)) == 5


def test_repeated_failures_stop_the_run_with_a_reason(evaluator):
    def always(configs):
        raise RuntimeError("backend exploded")

    study = _study()
    summary = run_trials(study, evaluator=_Flaky(evaluator, always), space=SearchSpace(), n_trials=10,
                         batch_trials=1)
    assert summary.stopped_reason and "backend exploded" in summary.stopped_reason
    assert summary.failed == 3 and not _complete(study)


def test_ctrl_c_leaves_no_running_trial(evaluator):
    def interrupt(configs):
        raise KeyboardInterrupt

    study = _study()
    with pytest.raises(KeyboardInterrupt):
        run_trials(study, evaluator=_Flaky(evaluator, interrupt), space=SearchSpace(), n_trials=8, batch_trials=4)
    assert len(study.trials) == 4
    assert all(t.state == optuna.trial.TrialState.FAIL for t in study.trials)
    assert {t.user_attrs[_keys.FAILURE] for t in study.trials} == {"interrupted"}


def test_diversity_objective_is_told_as_the_third_value(evaluator):
    study = optuna.create_study(directions=["maximize", "minimize", "maximize"])
    run_trials(study, evaluator=evaluator, space=SearchSpace(), n_trials=2,
               objectives=("clap", "repetition", "diversity"))
    for trial in study.trials:
        scores = trial.user_attrs[_keys.SCORES]
        assert trial.values == [scores["clap"]["mean"], scores["repetition"]["mean"], scores["diversity"]["mean"]]
