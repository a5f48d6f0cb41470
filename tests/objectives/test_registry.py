"""The objective registry: one entry per objective, and a new one needs nothing outside the registry."""

import json

import numpy as np
import optuna
import pytest
from rich.console import Console

import objectives
from objectives import DecodingParams, Evaluator, Objective
from optimizer import (
    SearchSpace,
    StudySpec,
    _keys,
    build_presets,
    load_presets,
    load_schema,
    run_trials,
    write_presets,
)
from optimizer.export._validation import ValidationSetup, validate_candidates
from optimizer.run._console import front_table
from optimizer.search._racing_run import racing_samples

_NOT_OBJECTIVES = {"raw_repetition", "token_repetition", "listener_feedback", "stereo_image", "continuity"}
"""Score keys the preset schema names that are recorded but never optimised."""


def test_the_built_in_objectives_and_their_directions():
    assert objectives.objective_names() == ("clap", "repetition", "diversity", "fad", "melody", "rating")
    assert objectives.fixed_objectives() == _keys.BASE_OBJECTIVES == ("clap", "repetition")
    assert _keys.DIRECTIONS == ("maximize", "minimize")
    assert objectives.selectable_objectives() == _keys.EXTRA_OBJECTIVES == ("diversity",)
    assert "rating" not in objectives.revalidated_objectives()
    assert objectives.get_objective("rating").told and not objectives.get_objective("fad").told


def test_the_shipped_schema_names_only_registered_objectives_and_load_schema_adds_the_rest():
    shipped = json.loads((__import__("importlib").resources.files("optimizer.presets")
                          / "preset.schema.json").read_text(encoding="utf-8"))
    named = set(shipped["$defs"]["entry"]["properties"]["scores"]["properties"]) - _NOT_OBJECTIVES
    assert named <= set(objectives.objective_names())  # a renamed objective must not leave a stale schema field
    scores = load_schema()["$defs"]["entry"]["properties"]["scores"]["properties"]
    assert set(objectives.objective_names()) <= set(scores)


def test_unknown_and_duplicate_objectives_are_refused():
    with pytest.raises(objectives.UnknownObjectiveError, match="unknown objective 'nope'"):
        objectives.get_objective("nope")
    with pytest.raises(ValueError, match="already registered"):
        objectives.register(objectives.get_objective("clap"))
    with pytest.raises(ValueError, match="lower-case"):
        objectives.register(Objective(name="Loud", direction="maximize", description="x", label="x"))


def _rms(evaluation):
    """RMS level of each clip (one value per clip), in full-scale units: what the toy scorer must give."""
    return [float(np.sqrt(np.mean(np.square(np.asarray(row, dtype=np.float64))))) for row in evaluation.audio.audio]


class Loudness:
    """The toy scorer of docs/objectives.md, "How to add an objective": RMS level of each clip, full scale."""

    needs = frozenset({"clips"})
    produces = "clip"

    def __call__(self, inputs):
        return [float(np.sqrt(np.mean(np.square(np.asarray(clip, dtype=np.float64))))) for clip in inputs.audio.audio]


@pytest.fixture
def loudness():
    """The toy objective: its scorer plus one registry entry, and nothing else (the Evaluator computes it)."""
    toy = objectives.register(Objective(
        name="loudness", direction="maximize", label="loudness", selectable=True,
        description="RMS level of the clip, full scale (higher is louder)", scorer=Loudness, unit="clip"))
    yield toy
    objectives.unregister("loudness")


@pytest.fixture(scope="module")
def evaluator():
    import torch

    cpu = torch.device("cpu")
    return Evaluator(generator=objectives.load_generator("debug", device=cpu), clap=objectives.load_clap("debug",
                     device=cpu), prompts=["smooth jazz trio, 92 BPM", "lo-fi beat, 80 BPM"], replicates=2,
                     duration=0.4)


def test_a_toy_objective_is_optimised_stored_revalidated_exported_and_shown(loudness, evaluator, tmp_path,
                                                                           one_thread):
    spec = StudySpec(genre="jazz", model="debug", backend="transformers", clap="debug", duration=0.4,
                     replicates=2, base_seed=0, prompts=tuple(evaluator.prompts),
                     objectives=("clap", "repetition", "loudness"))
    assert spec.directions == ["maximize", "minimize", "maximize"]
    study = optuna.create_study(directions=spec.directions, study_name="jazz/debug",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr(_keys.STUDY_SPEC, spec.to_dict())
    for t in (0.5, 0.8, 1.1, 1.4):
        study.enqueue_trial(SearchSpace().trial_params(DecodingParams(temperature=t, top_k=50)))
    run_trials(study, evaluator=evaluator, space=SearchSpace(), n_trials=4, objectives=spec.objectives)

    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 4
    for trial in trials:
        stored = trial.user_attrs[_keys.SCORES]["loudness"]
        assert stored["n"] == 4  # 2 prompts x 2 seeds, one value per clip
        assert 0.0 < stored["mean"] <= 1.0 and stored["stderr"] >= 0.0
        assert trial.values[2] == stored["mean"]  # the third objective value is the toy's mean

    evaluation = evaluator.evaluate(DecodingParams(temperature=1.0, top_k=50))
    assert evaluation.scores["loudness"].mean == pytest.approx(np.mean(_rms(evaluation)))  # measured by the Evaluator
    assert [c.values["loudness"] for c in evaluation.clips] == pytest.approx(_rms(evaluation))
    assert racing_samples(evaluation, ["loudness"])["loudness"][0] == pytest.approx(_rms(evaluation))

    setup = ValidationSetup(prompts=tuple(evaluator.prompts), source="search", replicates=2, base_seed=1,
                            duration=0.4)
    result = validate_candidates(study, trials[:1], setup, lambda params: [evaluation])[trials[0].number]
    assert result["loudness"]["n"] == 2  # re-validation clusters the clips by prompt
    assert result["loudness"]["mean"] == pytest.approx(np.mean(_rms(evaluation)))

    document = build_presets(study, genre="jazz")
    assert document["objectives"][2] == {"name": "loudness", "direction": "maximize",
                                         "description": "RMS level of the clip, full scale (higher is louder)"}
    assert "max_loudness" in document["presets"]
    path = write_presets(document, tmp_path / "jazz.json")  # validates against the schema
    best = document["presets"]["max_loudness"]["scores"]["loudness"]
    assert load_presets(path).presets["max_loudness"].scores["loudness"].mean == best["mean"]

    console = Console(record=True, width=250)
    console.print(front_table(document))
    text = console.export_text()
    assert "loudness ↑" in text
    row = next(line for line in text.splitlines() if line.strip("│ ").startswith("max_loudness"))
    assert f"{best['mean']:.3f} ± {best['stderr']:.3f}" in row


def test_the_registry_and_the_schema_it_extends_need_neither_numpy_nor_optuna_nor_torch():
    import subprocess
    import sys

    code = ("import sys; import objectives._registry; from optimizer.presets._schema import load_schema; "
            "load_schema(); print(sorted(m for m in ('numpy', 'optuna', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
