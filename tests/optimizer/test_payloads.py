"""Typed ``mgopt:*`` payloads: each round-trips, and reads the shapes older versions stored."""

import json

import pytest

from optimizer._study_payloads import ListenerFeedback, PairwiseSetup, PresetMarks, ValidationCache
from optimizer._trial_payloads import (
    AwaitingRating,
    BaselineLabel,
    Degeneracy,
    Failure,
    HeartbeatTime,
    PairwiseClip,
    PromptScores,
    RacingStop,
    RetryOf,
    StoredScore,
    Timing,
    TrialScores,
    Worker,
)

_INTERVAL = {"mean": 0.3, "stderr": 0.01, "n": 6, "ci95": [0.27, 0.33]}

DICT_PAYLOADS = [
    StoredScore(0.31, 0.02, 4),
    TrialScores(scores={"clap": StoredScore(0.31, 0.02, 4), "diversity": StoredScore(0.2, 0.05, 2)},
                numbers={"fad": 12.5}),
    PromptScores("smooth jazz trio", {"clap": 0.3, "repetition": 0.1}),
    Degeneracy({"silence": -0.4, "noise": 0.1, "clipping": -0.002}, False),
    Timing(12.5, 3.25),
    RetryOf(7, "no heartbeat for 95 s"),
    ListenerFeedback({3: StoredScore(0.6, 0.1, 5), 12: StoredScore(0.2, 0.0, 1)}),
    ValidationCache("abc123", {"source": "heldout", "seeds_per_prompt": 4},
                    {4: {"clap": _INTERVAL, "feasible": True}, 9: {"error": "OutOfMemoryError: x"}}),
    PairwiseSetup(compare=3, prompt=1, replicate=0),
    PresetMarks("presets/jazz.json", "2026-11-21T09:00:00+00:00", {"balanced": 4, "max_clap": 9}),
]
SCALAR_PAYLOADS = [Failure("stale: no heartbeat for 95 s"), HeartbeatTime(1_790_000_000.5),
                   AwaitingRating(1_790_000_001.0), Worker("host:1234"), BaselineLabel("genre_baseline"),
                   PairwiseClip("artifact-1f3")]


@pytest.mark.parametrize("payload", DICT_PAYLOADS, ids=lambda p: type(p).__name__)
def test_dict_payloads_round_trip_through_json(payload):
    stored = json.loads(json.dumps(payload.to_dict()))  # what Optuna's storage gives back
    assert type(payload).from_dict(stored) == payload


@pytest.mark.parametrize("payload", SCALAR_PAYLOADS, ids=lambda p: type(p).__name__)
def test_scalar_payloads_round_trip_through_json(payload):
    stored = json.loads(json.dumps(payload.to_stored()))
    assert type(payload).from_stored(stored) == payload


def test_scores_as_a_trial_of_2026_11_20_stored_them():
    """Diversity was a bare number before it had a standard error; fad is always one."""
    old = {"clap": {"mean": 0.31, "stderr": 0.02, "n": 4}, "repetition": {"mean": 0.1, "stderr": 0.01, "n": 4},
           "diversity": 0.21, "fad": 30.5}
    scores = TrialScores.from_dict(old)
    assert scores.mean("diversity") == 0.21 and scores.mean("fad") == 30.5 and scores.mean("clap") == 0.31
    assert scores.mean("token_repetition") is None
    assert scores.to_dict() == old  # re-stored unchanged
    assert StoredScore.from_dict(0.21) == StoredScore(0.21, None, None)
    with pytest.raises(ValueError, match="mean, stderr, n"):
        StoredScore.from_dict({"stderr": 0.1})


def test_per_prompt_rows_as_stored_and_broken_rows_skipped():
    stored = [{"prompt": "a", "clap": 0.3, "repetition": 0.1}, {"clap": 0.5}, "junk", {"prompt": "b", "clap": "x"}]
    rows = PromptScores.list_from_stored(stored)
    assert rows == [PromptScores("a", {"clap": 0.3, "repetition": 0.1}), PromptScores("b", {})]
    assert PromptScores.list_from_stored(None) == []


def test_degeneracy_without_feasible_is_derived_from_the_constraints():
    assert Degeneracy.from_dict({"constraints": {"noise": 0.2}}).feasible is False
    assert Degeneracy.from_dict({"constraints": {"noise": -0.2}}).feasible is True
    assert Degeneracy.from_dict(None) == Degeneracy({}, True)


def test_foreign_or_broken_attrs_read_as_absent():
    assert RetryOf.from_dict({"trial": "7"}) is None and RetryOf.from_dict(None) is None
    assert RetryOf.from_dict({"trial": 7}) == RetryOf(7, "")  # reason missing: still a retry
    assert HeartbeatTime.from_stored("soon") is None and HeartbeatTime.from_stored(float("nan")) is None
    assert HeartbeatTime.from_stored(True) is None
    assert BaselineLabel.from_stored(3) is None
    assert Failure.from_stored(None) is None and Failure("OutOfMemoryError: CUDA").kind == "OutOfMemoryError"


def test_study_payloads_read_older_and_partial_shapes():
    assert ListenerFeedback.from_dict({"3": {"mean": 0.5, "stderr": 0.0, "n": 2}, "note": {}}) == \
        ListenerFeedback({3: StoredScore(0.5, 0.0, 2)})
    assert ListenerFeedback.from_dict(None) == ListenerFeedback()
    assert PairwiseSetup.from_dict({"compare": 2}) == PairwiseSetup(2, 0, 0)  # no clip: the first prompt and seed
    assert PairwiseSetup.from_dict({}) is None
    assert ValidationCache.from_dict({"trials": {}}) is None  # no key: nothing usable is cached
    cache = ValidationCache.from_dict({"key": "k", "trials": {"4": {"feasible": False}}})
    assert cache.trials == {4: {"feasible": False}}
    assert PresetMarks.from_dict({"presets": {"balanced": "4"}}) == PresetMarks("", "", {"balanced": 4})


# The access functions (optimizer._payloads) on real Optuna holders: an in-memory study, its trials and frozen trials.

def _study():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(directions=["maximize", "minimize"])


def test_every_payload_round_trips_through_a_real_study_and_trial():
    from optimizer import ObjectiveValue, PerPrompt, StoredSpec, TrialParams, has, read, require, write
    from optimizer._keys import objective_attr

    study = _study()
    trial = study.ask()
    on_study = [p for p in DICT_PAYLOADS if isinstance(p, (ListenerFeedback, ValidationCache, PairwiseSetup,
                                                           PresetMarks))]
    on_trial = [p for p in [*DICT_PAYLOADS, *SCALAR_PAYLOADS]  # all but parts of a payload and the study's
                if hasattr(type(p), "KEY") and p not in on_study]
    on_trial += [TrialParams({"temperature": 0.9, "top_k": 250}), PerPrompt([PromptScores("a", {"clap": 0.3})]),
                 RacingStop("dominated", 1, 3, 4, 12, 0.1, {"clap": StoredScore(0.2, 0.01, 2)}, {"noise": -0.1})]
    on_study.append(StoredSpec({"model": "facebook/musicgen-small", "objectives": ["clap", "repetition"]}))
    for payload in on_trial:
        write(trial, payload)
    for payload in on_study:
        write(study, payload)
    write(trial, ObjectiveValue("clap", 0.31))
    study.tell(trial, [0.31, 0.1])
    frozen = study.trials[0]
    for payload in on_trial:
        assert has(frozen, type(payload)) and read(frozen, type(payload)) == payload, type(payload).__name__
        assert frozen.user_attrs[type(payload).KEY] == payload.to_stored()  # stored as the class says, nothing else
    for payload in on_study:
        assert read(study, type(payload)) == payload and require(study, type(payload)) == payload
    assert frozen.user_attrs[objective_attr("clap")] == 0.31
    assert require(study, StoredSpec).objectives == ["clap", "repetition"]


def test_absent_payloads_read_as_none_and_require_names_the_key():
    from optimizer import Degeneracy, RetryOf, StoredSpec, has, read, require

    study = _study()
    assert read(study, StoredSpec) is None and not has(study, StoredSpec)
    with pytest.raises(KeyError, match="mgopt:study:v1"):
        require(study, StoredSpec)
    study.enqueue_trial({}, user_attrs={"mgopt:retry_of:v1": {"trial": "seven"}})  # foreign: reads as absent
    frozen = study.trials[0]
    assert has(frozen, RetryOf) and read(frozen, RetryOf) is None and read(frozen, Degeneracy) is None


def test_user_attrs_of_and_write_by_id_store_what_enqueue_and_fail_wrote_before():
    from optimizer import user_attrs_of, write_by_id

    study = _study()
    attrs = user_attrs_of(BaselineLabel("genre_baseline"), RetryOf(3, "no heartbeat for 95 s"))
    assert attrs == {"mgopt:baseline:v1": "genre_baseline",
                     "mgopt:retry_of:v1": {"trial": 3, "reason": "no heartbeat for 95 s"}}
    study.enqueue_trial({}, user_attrs=attrs)
    frozen = study.trials[0]
    assert frozen.user_attrs == attrs
    write_by_id(study._storage, frozen._trial_id, Failure("stale: x"))
    assert study.trials[0].user_attrs["mgopt:failure:v1"] == "stale: x"


def test_an_old_studys_payloads_read_and_re_store_byte_for_byte():
    """A trial as a 2026-11-20 worker stored it (bare-number diversity, fad between scores, params without later
    fields) reads through the typed forms and stores the same JSON again."""
    from optimizer import PerPrompt, TrialParams, read, require, write

    old = {"mgopt:scores:v1": {"clap": {"mean": 0.31, "stderr": 0.02, "n": 4}, "fad": 30.5, "diversity": 0.21,
                               "repetition": {"mean": 0.1, "stderr": 0.01, "n": 4}},
           "mgopt:params:v1": {"use_sampling": True, "temperature": 1.0, "top_k": 250, "top_p": 0.0, "cfg_coef": 3.0},
           "mgopt:per_prompt:v1": [{"prompt": "smooth jazz trio", "clap": 0.3, "repetition": 0.1}],
           "mgopt:degeneracy:v1": {"constraints": {"silence": -0.4}},
           "mgopt:timing:v1": {"generation_s": 12.5, "scoring_s": 3.25}}
    study = _study()
    study.enqueue_trial({}, user_attrs=old)
    frozen = study.trials[0]
    scores = require(frozen, TrialScores)
    assert scores.mean("diversity") == 0.21 and scores.mean("fad") == 30.5
    assert require(frozen, TrialParams).params.top_k == 250
    assert require(frozen, Degeneracy).feasible is True
    again = study.ask()
    for cls in (TrialScores, TrialParams, PerPrompt, Degeneracy, Timing):
        write(again, require(frozen, cls))
    stored = study.trials[0].user_attrs
    assert {k: json.dumps(v) for k, v in stored.items() if k != "mgopt:degeneracy:v1"} == \
        {k: json.dumps(v) for k, v in old.items() if k != "mgopt:degeneracy:v1"}
    assert read(study.trials[0], Degeneracy) == Degeneracy({"silence": -0.4}, True)
