"""The one scorer interface: every score the Evaluator computes is a registry entry's scorer, and nothing else."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pytest

import objectives
from objectives import DecodingParams, Diagnostic, Evaluator, Objective, _registry
from objectives.generation import TransformersMusicGen
from objectives.scoring import NEEDS, ClapScorer, Scorer
from optimizer import _keys
from optimizer.search import record_evaluation

PARAMS = DecodingParams(temperature=1.0, top_k=50)


class Peak:
    """A toy per-configuration scorer: the loudest sample over every clip, full scale."""

    needs = frozenset({"clips"})
    produces = "config"

    def __call__(self, inputs):
        return float(np.max(np.abs(inputs.audio.audio)))


class ClipCount:
    """A toy per-prompt scorer: how many of this evaluation's clips each prompt has."""

    needs = frozenset({"clips"})
    produces = "prompt"

    def __call__(self, inputs):
        return [float(sum(p == prompt for p, _ in inputs.rows)) for prompt in range(len(inputs.prompts))]


class Ones:
    """A toy per-clip scorer: 1 for every clip."""

    needs = frozenset({"clips"})
    produces = "clip"

    def __call__(self, inputs):
        return [1.0] * len(inputs.rows)


@pytest.fixture(scope="module")
def evaluator(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    return Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                     clap=ClapScorer(*build_debug_clap(), name="debug"),
                     prompts=["smooth jazz trio, 92 BPM", "lo-fi beat, 80 BPM"], replicates=2, duration=0.4)


def test_every_registered_scorer_implements_the_interface_its_entry_declares():
    metrics = objectives.measured_metrics()
    assert [m.name for m in metrics] == ["clap", "repetition", "diversity", "fad", "melody", "raw_repetition",
                                         "token_repetition", "stereo_image", "continuity"]
    for metric in metrics:
        scorer = objectives.scorer_of(metric)
        assert isinstance(scorer, Scorer), metric.name
        assert set(scorer.needs) <= NEEDS and scorer.produces == metric.unit, metric.name
    assert objectives.get_objective("rating").scorer is None  # told by a person, never computed


@pytest.mark.parametrize("extra", [(), ("diversity",), ("diversity", "diversity")])
def test_study_objectives_keeps_the_order_studies_have_always_had(extra):
    for melody, reference, human in itertools.product((False, True), repeat=3):
        before = ("clap", "repetition", *dict.fromkeys(extra), *(("melody",) if melody else ()),
                  *(("fad",) if reference else ()), *(("rating",) if human else ()))
        assert objectives.study_objectives(extra, melody=melody, reference=reference, human=human) == before
    with pytest.raises(objectives.UnknownObjectiveError):
        objectives.study_objectives(("loudness",))


def test_the_evaluator_computes_the_registry_scores_and_no_others(evaluator, monkeypatch):
    evaluation = evaluator.evaluate(PARAMS)
    names = {m.name for m in objectives.measured_metrics()}
    assert {"clap", "repetition", "diversity", "raw_repetition"} <= set(evaluation.scores) <= names
    assert not {"fad", "melody", "stereo_image", "continuity"} & set(evaluation.scores)  # needs not met here

    # With a registry of one toy per unit, those are all the Evaluator computes: nothing is wired beside it.
    monkeypatch.setattr(_registry, "_REGISTRY", {})
    monkeypatch.setattr(_registry, "_DIAGNOSTICS", {})
    objectives.register(Objective(name="ones", direction="maximize", label="ones", description="1 per clip",
                                  scorer=Ones, unit="clip"))
    objectives.register_diagnostic(Diagnostic(name="peak", description="loudest sample", scorer=Peak, unit="config"))
    objectives.register_diagnostic(Diagnostic(name="clip_count", description="clips per prompt", scorer=ClipCount,
                                              unit="prompt"))
    only = evaluator.evaluate(PARAMS)
    assert list(only.scores) == ["ones", "peak", "clip_count"]
    assert all(dict(c.values) == {"ones": 1.0} for c in only.clips)
    assert only.scores["ones"].mean == 1.0 and only.scores["ones"].n == 4
    assert only.scores["peak"] == pytest.approx(float(np.max(np.abs(only.audio.audio))))
    assert only.prompt_values == {"clip_count": (2.0, 2.0)} and only.scores["clip_count"].n == 2
    assert set(only.constraints) == set(evaluation.constraints)  # degeneracy is a constraint, not a score
    staged = evaluator.combine(evaluator.evaluate_many([PARAMS], rows=[(0, 0)])
                               + evaluator.evaluate_many([PARAMS], rows=[(0, 1), (1, 0), (1, 1)]))
    assert list(staged.scores) == list(only.scores) and staged.prompt_values == only.prompt_values
    assert staged.scores["ones"] == only.scores["ones"]
    assert staged.scores["peak"] == pytest.approx(only.scores["peak"], abs=1e-6)  # batch size shifts the last bits


def test_a_toy_diagnostic_is_measured_and_recorded_with_no_other_change(evaluator):
    objectives.register_diagnostic(Diagnostic(name="peak", description="loudest sample", scorer=Peak,
                                              unit="config"))
    try:
        evaluation = evaluator.evaluate(PARAMS)
        study = optuna.create_study(directions=["maximize", "minimize"])
        trial = study.ask()
        record_evaluation(trial, evaluation)
        stored = study.trials[0].user_attrs[_keys.SCORES]
    finally:
        objectives.unregister("peak")
    assert stored["peak"] == pytest.approx(float(np.max(np.abs(evaluation.audio.audio))))
    assert list(stored)[-1] == "peak"  # after the objectives and the built-in diagnostics


def test_a_scorer_that_produces_other_than_its_entry_says_is_refused(evaluator):
    objectives.register_diagnostic(Diagnostic(name="peak", description="x", scorer=Peak, unit="clip"))
    try:
        with pytest.raises(ValueError, match="'peak' produces 'config'"):
            evaluator.evaluate(PARAMS)
    finally:
        objectives.unregister("peak")
    with pytest.raises(ValueError, match="module:Attribute"):
        objectives.register_diagnostic(Diagnostic(name="peak", description="x", scorer="objectives.scoring.Peak"))
