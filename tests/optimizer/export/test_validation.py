"""Re-validation on held-out prompts: honest intervals, presets chosen on validated scores, cached results."""

import math

import numpy as np
import pytest
from scipy import stats

from objectives import DecodingParams, Evaluator
from objectives.generation import TransformersMusicGen
from objectives.scoring import ClapScorer
from optimizer import NoFeasibleTrialError, _keys, build_presets, validate_presets
from optimizer.export._validation import ValidationSetup, candidates, prompt_clustered, validate_candidates
from tests.optimizer.synthetic import make_study


def test_interval_treats_prompts_not_clips_as_the_unit():
    # Clips vary a lot within each prompt, but every prompt has the same mean: across prompts there is
    # no spread, so the interval collapses; a per-clip standard error would not.
    values = [0.1, 0.5, 0.2, 0.4, 0.0, 0.6]
    prompts = [0, 0, 1, 1, 2, 2]
    same = prompt_clustered(values, prompts)
    assert same["mean"] == pytest.approx(0.3) and same["n"] == 3
    assert same["stderr"] == pytest.approx(0.0, abs=1e-12) and same["ci95"] == pytest.approx([0.3, 0.3])

    spread = prompt_clustered([0.1, 0.1, 0.3, 0.3, 0.8, 0.8], prompts)
    means = np.array([0.1, 0.3, 0.8])
    assert spread["stderr"] == pytest.approx(means.std(ddof=1) / math.sqrt(3))
    low, high = spread["ci95"]
    # Student's t with P - 1 = 2 degrees of freedom, wider than the normal 1.96.
    assert (high - low) / 2 == pytest.approx(stats.t.ppf(0.975, 2) * spread["stderr"])
    assert (high - low) / 2 > 1.96 * spread["stderr"]


def test_one_prompt_falls_back_to_clips_and_bad_values_are_refused():
    single = prompt_clustered([0.2, 0.4, 0.6], [0, 0, 0])
    assert single["n"] == 3 and single["ci95"][0] < 0.4 < single["ci95"][1]
    with pytest.raises(ValueError):
        prompt_clustered([0.2, float("nan")], [0, 1])


def _result(clap, repetition, *, feasible=True, spread=0.01):
    return {"clap": {"mean": clap, "stderr": spread, "n": 6, "ci95": [clap - 2 * spread, clap + 2 * spread]},
            "repetition": {"mean": repetition, "stderr": spread, "n": 6,
                           "ci95": [repetition - 2 * spread, repetition + 2 * spread]},
            "diversity": 0.1, "feasible": feasible, "constraints": {"noise": -0.1}}


SETUP = ValidationSetup.for_genre(heldout=("held a", "held b"), search=("a", "b"), replicates=4, duration=2.0)


def test_presets_are_chosen_on_validated_scores_and_report_optimism(tmp_path):
    # Search front: 0 (best CLAP), 1 (knee), 2 (least repetition). On held-out prompts trial 0 turns out worse
    # than trial 1 on both objectives (a lucky search draw), and trial 2 turns degenerate.
    study = make_study([(0.60, 0.30), (0.50, 0.10), (0.30, 0.02),
                        (0.20, 0.40, {"baseline": "musicgen_default", "params": DecodingParams()})])
    results = {0: _result(0.40, 0.35), 1: _result(0.48, 0.12), 2: _result(0.31, 0.03, feasible=False),
               3: _result(0.22, 0.41)}
    document = build_presets(study, genre="jazz", validation={"setup": SETUP.describe(), "results": results})
    validate_presets(document)
    presets = document["presets"]
    assert {e["trial"] for e in presets.values()} == {1}
    assert presets["max_clap"]["trial"] == 1 and presets["min_repetition"]["trial"] == 1
    assert presets["max_clap"]["optimism"]["clap"] == pytest.approx(0.50 - 0.48)
    assert presets["max_clap"]["validation"]["clap"]["ci95"] == pytest.approx([0.46, 0.50])
    assert document["baselines"]["musicgen_default"]["optimism"]["repetition"] == pytest.approx(0.40 - 0.41)
    listed = {c["trial"]: c for c in document["validation"]["candidates"]}
    assert set(listed) == {0, 1, 2}
    assert listed[0]["selected"] is False and listed[0]["optimism"]["clap"] == pytest.approx(0.20)
    assert listed[2]["validation"]["feasible"] is False and listed[2]["selected"] is False
    assert document["validation"]["source"] == "heldout" and document["validation"]["seeds_per_prompt"] == 4

    # Another program sees the held-out scores through the loader.
    from optimizer import load_presets, write_presets

    loaded = load_presets(write_presets(document, tmp_path / "jazz.json"))
    assert loaded["max_clap"].validation["clap"]["ci95"] == pytest.approx([0.46, 0.50])
    assert loaded["max_clap"].optimism["clap"] == pytest.approx(0.02)

    # Without validation the same study exports its search front.
    plain = build_presets(study, genre="jazz")
    assert plain["presets"]["max_clap"]["trial"] == 0 and "validation" not in plain


def test_no_candidate_feasible_on_validation_is_an_error():
    study = make_study([(0.6, 0.3), (0.5, 0.1)])
    results = {0: _result(0.4, 0.3, feasible=False), 1: {"error": "RuntimeError: boom"}}
    with pytest.raises(NoFeasibleTrialError, match="validation"):
        build_presets(study, genre="jazz", validation={"setup": SETUP.describe(), "results": results})


@pytest.fixture(scope="module")
def validator(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    clap_model, clap_processor = build_debug_clap()
    return Evaluator(generator=TransformersMusicGen(model, processor, name="debug", max_batch=64),
                     clap=ClapScorer(clap_model, clap_processor, name="debug"), prompts=list(SETUP.prompts),
                     replicates=2, duration=0.6, base_seed=SETUP.base_seed)


def test_results_are_generated_once_and_cached_in_the_study(validator):
    study = make_study([(0.6, 0.3), (0.5, 0.1), (0.2, 0.4, {"baseline": "musicgen_default",
                                                             "params": DecodingParams()})])
    calls = []

    def evaluate(configs):
        calls.append(len(configs))
        return [RuntimeError("out of disk") if c.top_k == 101 else e
                for c, e in zip(configs, validator.evaluate_many(configs), strict=True)]

    setup = ValidationSetup.for_genre(heldout=SETUP.prompts, search=(), replicates=2, duration=0.6)
    trials = candidates(study)
    assert [t.number for t in trials] == [0, 1, 2]  # the front, then the baseline
    first = validate_candidates(study, trials, setup, evaluate)
    assert calls == [3]
    assert first[0]["clap"]["n"] == 2 and first[0]["clap"]["ci95"][0] <= first[0]["clap"]["mean"]
    diversity = first[0]["diversity"]  # one spread per held-out prompt: prompts are its unit
    assert diversity["n"] == 2 and diversity["ci95"][0] <= diversity["mean"] <= diversity["ci95"][1]
    assert first[1] == {"error": "RuntimeError: out of disk"}
    assert study.user_attrs[_keys.VALIDATION]["key"] == setup.key()

    again = validate_candidates(study, trials, setup, None)  # no model: only what is cached
    assert again == first and calls == [3]
    more_seeds = ValidationSetup.for_genre(heldout=SETUP.prompts, search=(), replicates=3, duration=0.6)
    assert validate_candidates(study, trials, more_seeds, None) == {}
