import copy
import json

import optuna
import pytest

from objectives import DecodingParams
from optimizer import (
    NoFeasibleTrialError,
    PresetValidationError,
    build_presets,
    feasible_front,
    name_front,
    validate_presets,
    write_presets,
)
from optimizer.presets._schema import SCHEMA_VERSION
from tests.optimizer.synthetic import make_study


def test_front_excludes_dominated_and_degenerate_trials():
    study = make_study([(0.30, 0.10), (0.50, 0.40), (0.40, 0.20), (0.35, 0.30),  # (0.35, 0.30) is dominated
                    (0.90, 0.00, {"feasible": False})])  # best on both objectives, but degenerate
    numbers = {t.number for t in feasible_front(study)}
    assert numbers == {0, 1, 2}


def test_names_knee_and_extremes():
    study = make_study([(0.30, 0.10), (0.50, 0.40), (0.45, 0.15), (0.20, 0.05)])
    named = name_front(feasible_front(study))
    assert named["max_clap"].number == 1
    assert named["min_repetition"].number == 3
    assert named["balanced"].number == 2  # near the ideal corner after normalisation
    assert {n for n in named if n.startswith("pareto_")} == {"pareto_0"}


def test_document_validates_and_renders_both_engines(tmp_path):
    study = make_study([(0.30, 0.10, {"baseline": "musicgen_default", "params": DecodingParams()}),
                    (0.50, 0.40), (0.45, 0.15, {"params": DecodingParams(top_k=0, top_p=0.9, temperature=0.8)})])
    document = build_presets(study, genre="jazz")
    path = write_presets(document, tmp_path / "presets" / "jazz.json")
    loaded = json.loads(path.read_text())
    validate_presets(loaded)
    balanced = loaded["presets"]["balanced"]
    params = DecodingParams.from_dict(balanced["params"])
    assert balanced["audiocraft"] == params.to_audiocraft()
    assert balanced["transformers"] == params.to_transformers()
    # Trial 2 (CLAP 0.45, repetition 0.15) is nearest the ideal corner: regrets (0.25, 0.17) against (1, 0), (0, 1).
    assert balanced["trial"] == 2
    assert balanced["scores"]["clap"] == {"mean": 0.45, "stderr": 0.01, "n": 4}
    assert balanced["scores"]["repetition"] == {"mean": 0.15, "stderr": 0.02, "n": 4}
    # Diversity stored as a bare number (before 2026-11-21) is exported as a score with an unknown stderr.
    assert balanced["scores"]["diversity"] == {"mean": 0.1, "stderr": None, "n": 1}
    assert loaded["baselines"]["musicgen_default"]["params"] == DecodingParams().to_dict()
    assert loaded["provenance"]["model"] == "debug" and loaded["provenance"]["n_trials_complete"] == 3
    assert not list(path.parent.glob(".*.tmp"))


def test_no_feasible_trial_is_an_error():
    with pytest.raises(NoFeasibleTrialError):
        build_presets(make_study([(0.9, 0.0, {"feasible": False})]), genre="jazz")


def _valid_document():
    return build_presets(make_study([(0.3, 0.1), (0.5, 0.4)]), genre="jazz")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(schema_version=SCHEMA_VERSION + 1), "schema_version"),
        (lambda d: d["presets"].pop("balanced"), "presets"),
        (lambda d: d["presets"]["balanced"]["params"].update(top_p=1.5), "presets/balanced/params/top_p"),
        (lambda d: d["presets"]["balanced"]["transformers"].pop("top_k"), "presets/balanced/transformers"),
        (lambda d: d["presets"]["balanced"]["scores"]["clap"].update(stderr=-1), "presets/balanced/scores/clap/stderr"),
        (lambda d: d["provenance"].pop("model"), "provenance"),
    ],
)
def test_schema_rejects_broken_documents_naming_the_field(mutate, field):
    document = copy.deepcopy(_valid_document())
    mutate(document)
    with pytest.raises(PresetValidationError) as info:
        validate_presets(document, source="x.json")
    assert f"'{field}'" in str(info.value) and "x.json" in str(info.value)


def test_invalid_document_is_not_written(tmp_path):
    document = _valid_document()
    document["genre"] = "Not A Name"
    with pytest.raises(PresetValidationError):
        write_presets(document, tmp_path / "jazz.json")
    assert not (tmp_path / "jazz.json").exists()


def test_diversity_as_a_third_objective_gets_its_own_extreme():
    from dataclasses import replace

    from optimizer import _keys
    from tests.optimizer.synthetic import SPEC

    spec = replace(SPEC, objectives=("clap", "repetition", "diversity"))
    study = optuna.create_study(directions=spec.directions, study_name="jazz/debug")
    study.set_user_attr(_keys.STUDY_SPEC, spec.to_dict())
    points = [(0.50, 0.40, 0.05), (0.30, 0.10, 0.10), (0.20, 0.30, 0.60), (0.45, 0.15, 0.20)]
    for i, (clap, repetition, diversity) in enumerate(points):
        params = DecodingParams(temperature=0.5 + 0.1 * i, top_k=100 + i)
        study.add_trial(optuna.trial.create_trial(
            values=[clap, repetition, diversity], system_attrs={"constraints:noise": -0.1},
            user_attrs={_keys.PARAMS: params.to_dict(),
                        _keys.SCORES: {"clap": {"mean": clap, "stderr": 0.0, "n": 1},
                                       "repetition": {"mean": repetition, "stderr": 0.0, "n": 1},
                                       "diversity": diversity}}))
    document = build_presets(study, genre="jazz")
    validate_presets(document)
    assert [o["name"] for o in document["objectives"]] == ["clap", "repetition", "diversity"]
    assert document["presets"]["max_clap"]["trial"] == 0
    assert document["presets"]["min_repetition"]["trial"] == 1
    assert document["presets"]["max_diversity"]["trial"] == 2
    assert document["presets"]["balanced"]["trial"] == 3


def test_rated_presets_carry_the_ratings_of_their_configuration(tmp_path):
    from dataclasses import replace

    from optimizer import _keys, load_presets
    from tests.optimizer.synthetic import SPEC

    spec = replace(SPEC, objectives=("clap", "repetition", "rating"))
    study = optuna.create_study(directions=spec.directions, study_name="jazz/debug")
    study.set_user_attr(_keys.STUDY_SPEC, spec.to_dict())
    liked, other = DecodingParams(temperature=0.9, top_k=80), DecodingParams(temperature=1.3, top_k=300)
    # The liked configuration was rated three times (a re-enqueued retry, a duplicate suggestion), the other once.
    for params, clap, rating in [(liked, 0.4, 9), (liked, 0.4, 7), (liked, 0.4, 8), (other, 0.5, 2)]:
        study.add_trial(optuna.trial.create_trial(
            values=[clap, 0.1, rating], system_attrs={"constraints:noise": -0.1},
            user_attrs={_keys.PARAMS: params.to_dict(),
                        _keys.SCORES: {"clap": {"mean": clap, "stderr": 0.0, "n": 1},
                                       "repetition": {"mean": 0.1, "stderr": 0.0, "n": 1}, "diversity": 0.0}}))
    document = build_presets(study, genre="jazz")
    assert [o["name"] for o in document["objectives"]] == ["clap", "repetition", "rating"]
    assert document["presets"]["max_rating"]["trial"] == 0
    assert document["presets"]["max_rating"]["scores"]["rating"] == {"mean": 8.0, "stderr": pytest.approx(1 / 3 ** 0.5),
                                                                     "n": 3}
    assert document["presets"]["max_clap"]["scores"]["rating"] == {"mean": 2.0, "stderr": None, "n": 1}
    path = write_presets(document, tmp_path / "jazz.json")  # validates against the schema
    loaded = load_presets(path)
    assert loaded["max_rating"].scores["rating"].n == 3
    single = loaded["max_clap"].scores["rating"]
    assert single.mean == 2.0 and single.n == 1 and single.stderr != single.stderr  # NaN: not estimable
    broken = copy.deepcopy(document)
    broken["presets"]["max_clap"]["scores"]["rating"]["stderr"] = -1
    with pytest.raises(PresetValidationError, match="rating/stderr"):
        validate_presets(broken)


def test_values_the_dashboard_api_accepts_but_the_form_cannot_send_stay_off_the_front(tmp_path):
    """The dashboard's tell API takes any list of numbers; a hand-made call can complete a rated trial with two
    values, or a rating of 11 or 0. Such trials are left out of the front and the rating stats, not a crash."""
    from dataclasses import replace

    import httpx
    import optuna_dashboard

    from optimizer import _keys
    from optimizer.export._pareto import malformed_trials
    from tests.optimizer.synthetic import SPEC

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    spec = replace(SPEC, objectives=("clap", "repetition", "rating"))
    study = optuna.create_study(directions=spec.directions, study_name="jazz/debug", storage=storage)
    study.set_user_attr(_keys.STUDY_SPEC, spec.to_dict())
    # (A NaN told this way breaks Optuna's own RDB reader, storing NULL as a finite value: not testable here.)
    told = [[0.4, 0.1, 6], [0.9, 0.0], [0.9, 0.0, 11], [0.9, 0.0, 0], [0.3, 0.2, 4]]
    for i, values in enumerate(told):
        trial = study.ask()
        trial.set_user_attr(_keys.PARAMS, DecodingParams(temperature=0.6 + 0.1 * i, top_k=50 + i).to_dict())
        trial.set_user_attr(_keys.SCORES, {"clap": {"mean": values[0], "stderr": 0.0, "n": 1},
                                           "repetition": {"mean": values[1], "stderr": 0.0, "n": 1}})
        trial.set_constraint("noise", -0.1)
    with httpx.Client(transport=httpx.WSGITransport(app=optuna_dashboard.wsgi(storage)), base_url="http://d") as api:
        study_id = api.get("/api/studies").json()["study_summaries"][0]["study_id"]
        trials = api.get(f"/api/studies/{study_id}", params={"after": 0}).json()["trials"]
        for trial, values in zip(sorted(trials, key=lambda t: t["number"]), told, strict=True):
            answer = api.post(f"/api/trials/{trial['trial_id']}/tell", json={"state": "Complete", "values": values})
            assert answer.status_code == 204
    assert [t.number for t in malformed_trials(study)] == [1, 2, 3]
    assert [t.number for t in feasible_front(study)] == [0]
    document = build_presets(study, genre="jazz")
    validate_presets(document)
    assert {e["trial"] for e in document["presets"].values()} == {0}
    assert document["presets"]["balanced"]["scores"]["rating"] == {"mean": 6.0, "stderr": None, "n": 1}


def _interval(mean):
    return {"mean": mean, "stderr": 0.01, "n": 2, "ci95": [mean - 0.05, mean + 0.05]}


def test_optimism_is_the_search_mean_minus_the_held_out_mean():
    study = make_study([(0.30, 0.10), (0.50, 0.40)])
    results = {0: {"clap": _interval(0.20), "repetition": _interval(0.15), "feasible": True, "constraints": {}},
               1: {"clap": _interval(0.55), "repetition": _interval(0.30), "feasible": True, "constraints": {}}}
    setup = {"source": "heldout", "prompts": ["x"], "seeds_per_prompt": 2, "base_seed": 1, "interval": "t"}
    document = build_presets(study, genre="jazz", validation={"setup": setup, "results": results})
    validate_presets(document)
    by_trial = {e["trial"]: e for e in document["presets"].values()}
    # Search 0.30 / 0.10 against held-out 0.20 / 0.15; search 0.50 / 0.40 against 0.55 / 0.30. The study's
    # diversity has no held-out value, so it has no optimism.
    assert by_trial[0]["optimism"] == {"clap": pytest.approx(0.10), "repetition": pytest.approx(-0.05)}
    assert by_trial[1]["optimism"] == {"clap": pytest.approx(-0.05), "repetition": pytest.approx(0.10)}
    assert document["presets"]["max_clap"]["trial"] == 1 and document["presets"]["min_repetition"]["trial"] == 0
