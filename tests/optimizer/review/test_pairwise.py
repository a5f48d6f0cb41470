"""Pairwise mode: clips compared by a listener in optuna-dashboard, a preferential GP, preferred presets.

The end-to-end test drives the real ``optimize --pairwise`` process and records the listener's choices through
the real optuna-dashboard server's HTTP API (the endpoint its feedback page posts to)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import warnings

import httpx
import optuna
import pytest

pytest.importorskip("botorch", reason="pairwise mode needs the preferential extra (botorch)")

from optuna_dashboard.preferential import create_study

from objectives import DecodingParams
from optimizer import SearchSpace, _keys, load_presets, write_presets
from optimizer.cli._errors import one_line
from optimizer.export._pairwise_presets import build_pairwise_presets
from optimizer.export._presets import NoFeasibleTrialError
from optimizer.review._pairwise import (
    ResettingPreferentialSampler,
    fail_unready_trials,
    load_or_create_pairwise_study,
    progress,
)
from tests.optimizer.synthetic import SPEC
from tests.servers import free_port, wait_for, wait_until_serving

_EXE = shutil.which("optimize")
_OPTIMIZE = [_EXE] if _EXE else [sys.executable, "-m", "optimizer.cli._optimize"]
_SMALL = ["--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "1"]


def _ready(storage: str, name: str) -> list[optuna.trial.FrozenTrial]:
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return []
    return [t for t in study.get_trials(deepcopy=False) if _keys.PAIRWISE_CLIP in t.user_attrs]


@pytest.mark.slow
def test_listener_choices_are_recorded_drive_the_sampler_and_export_presets(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    name = "jazz/debug/pairwise"
    argv = [*_OPTIMIZE, "--genre", "jazz", "--pairwise", "--trials", "5", "--compare", "3", *_SMALL,
            "--storage", storage, "--presets-dir", str(tmp_path / "presets"), "--seed", "0"]
    log = tmp_path / "generator.log"

    # First run: three clips (the two reference configurations and one more), then it waits for the listener.
    generator = subprocess.Popen(argv, cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "await your comparison" in log.read_text(), generator, log, "waiting for the listener")
        assert len(_ready(storage, name)) == 3
        generator.send_signal(signal.SIGINT)
        assert generator.wait(timeout=30) == 130
    finally:
        generator.kill() if generator.poll() is None else None
    assert "Resume with" in log.read_text()

    # Restart: it resumes the same study and generates nothing while three clips still await comparison.
    generator = subprocess.Popen(argv, cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    port = free_port()
    server = subprocess.Popen([*_OPTIMIZE, "--dashboard", "--storage", storage, "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/studies", server)
        wait_for(lambda: "await your comparison" in log.read_text(), generator, log, "resumed run waiting")
        assert "Resuming pairwise study" in log.read_text()
        summary = next(s for s in httpx.get(f"{base}/api/studies").json()["study_summaries"]
                       if s["study_name"] == name)
        assert summary["is_preferential"]
        study_id = summary["study_id"]

        def detail():
            return httpx.get(f"{base}/api/studies/{study_id}", params={"after": 0}).json()

        first = detail()
        assert first["feedback_component_type"] == {"output_type": "artifact", "artifact_key": _keys.PAIRWISE_CLIP}
        assert [t["number"] for t in first["trials"]] == [0, 1, 2]
        for trial in first["trials"]:
            clip_id = next(a["value"] for a in trial["user_attrs"] if a["key"] == _keys.PAIRWISE_CLIP)
            clip = next(a for a in trial["artifacts"] if a["artifact_id"] == clip_id)
            assert clip["mimetype"] == "audio/flac"
            wav = httpx.get(f"{base}/artifacts/{study_id}/{trial['trial_id']}/{clip_id}")
            assert wav.status_code == 200 and wav.content[:4] == b"fLaC"

        def choose_worst(candidates: list[int], worst: int, then_ready: int) -> None:
            response = httpx.post(f"{base}/api/studies/{study_id}/preference",
                                  json={"mode": "ChooseWorst", "candidates": candidates, "clicked": worst})
            assert response.status_code == 204, response.text
            wait_for(lambda: len(_ready(storage, name)) >= then_ready, generator, log, f"trial {then_ready - 1}")

        # Each choice removes the worst clip from the page; the generator answers with one new configuration.
        choose_worst([0, 1, 2], 2, then_ready=4)
        choose_worst([0, 1, 3], 0, then_ready=5)
        response = httpx.post(f"{base}/api/studies/{study_id}/preference",
                              json={"mode": "ChooseWorst", "candidates": [1, 3, 4], "clicked": 3})
        assert response.status_code == 204
        assert generator.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        for process in (generator, server):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

    study = optuna.load_study(study_name=name, storage=storage)
    pairs = [(b.number, w.number) for b, w in create_study(n_generate=3, storage=storage, study_name=name,
                                                            load_if_exists=True).get_preferences()]
    assert sorted(pairs) == [(0, 2), (1, 0), (1, 2), (1, 3), (3, 0), (4, 3)]
    trials = study.get_trials(deepcopy=False)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 5  # compared trials only: the run stopped at 5
    # Trials 3 and 4 were asked only after a choice freed a place (the resumed run made none while three clips
    # waited); that the GP, not random search, proposes once preferences exist is shown by the sampler test below.
    assert all(_keys.SCORES in t.user_attrs and _keys.PARAMS in t.user_attrs for t in trials)

    presets = load_presets(tmp_path / "presets" / "jazz.pairwise.json")
    assert presets.provenance["mode"] == "pairwise" and presets.provenance["n_preferences"] == 6
    assert {n: (p.trial, dict(p.preference or {})) for n, p in presets.presets.items()} == {
        "preferred": (1, {"wins": 3, "losses": 0, "comparisons": 3}),
        "preferred_4": (4, {"wins": 1, "losses": 0, "comparisons": 1}),
    }
    assert presets["preferred"].params == DecodingParams.from_dict(trials[1].user_attrs[_keys.PARAMS])
    assert presets.baselines["musicgen_default"].preference == {"wins": 1, "losses": 2, "comparisons": 3}
    assert "clap" in presets["preferred"].scores and "repetition" in presets["preferred"].scores

    from optimizer.cli._generate import main as generate

    out = tmp_path / "out.wav"
    assert generate(["--preset", str(tmp_path / "presets" / "jazz.pairwise.json"), "smooth jazz", "--duration",
                     "0.5", "-o", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["preset"]["name"] == "preferred"

    from optimizer.cli._optimize import main as optimize

    (tmp_path / "presets" / "jazz.pairwise.json").unlink()
    assert optimize(["--genre", "jazz", "--pairwise", "--export-only", *_SMALL, "--storage", storage,
                     "--presets-dir", str(tmp_path / "presets")]) == 0
    assert load_presets(tmp_path / "presets" / "jazz.pairwise.json")["preferred"].trial == 1


def _scored(study, params: DecodingParams, *, feasible: bool = True, clip: bool = True) -> optuna.Trial:
    """Ask a trial with fixed ``params`` and record scores as the generator would (no audio)."""
    study.enqueue_trial(SearchSpace().trial_params(params))
    trial = study.ask()
    SearchSpace().suggest(trial)
    trial.set_user_attr(_keys.PARAMS, params.to_dict())
    trial.set_user_attr(_keys.SCORES, {"clap": {"mean": 0.2, "stderr": 0.01, "n": 1},
                                       "repetition": {"mean": 0.1, "stderr": 0.0, "n": 1}})
    trial.set_constraint("noise", -0.1 if feasible else 0.3)
    if clip:
        trial.set_user_attr(_keys.PAIRWISE_CLIP, "artifact-id")
    return trial


def _frozen(study, trial):
    return study.get_trials(deepcopy=False)[trial.number]


def test_export_ranks_undefeated_feasible_trials_by_win_rate(tmp_path):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'p.db'}")
    study, created = load_or_create_pairwise_study(storage, "jazz/debug/pairwise", SPEC, compare=3)
    assert created
    a, b, c, d = (_scored(study, DecodingParams(temperature=t, top_k=100)) for t in (0.6, 0.8, 1.0, 1.2))
    noisy = _scored(study, DecodingParams(temperature=1.4, top_k=100), feasible=False)
    fa, fb, fc, fd, fn = (_frozen(study, t) for t in (a, b, c, d, noisy))
    study.report_preference([fa, fb, fn], fc)  # c worst of four
    study.report_preference(fb, fd)  # b beats d: b 2/2, a 1/1, noisy 1/1 (degenerate: never a preset)
    document = build_pairwise_presets(study, genre="jazz")
    assert {n: e["trial"] for n, e in document["presets"].items()} == {"preferred": b.number,
                                                                       f"preferred_{a.number}": a.number}
    assert document["presets"]["preferred"]["preference"] == {"wins": 2, "losses": 0, "comparisons": 2}
    path = write_presets(document, tmp_path / "jazz.pairwise.json")  # validates against the schema
    loaded = load_presets(path)
    assert loaded["preferred"].to_transformers() == DecodingParams(temperature=0.8, top_k=100).to_transformers()
    assert loaded.provenance["compare"] == 3 and loaded.provenance["n_trials_complete"] == 5


def test_export_without_an_undefeated_feasible_trial_says_compare_more(tmp_path):
    study = create_study(n_generate=2, sampler=optuna.samplers.RandomSampler())
    study.set_user_attr(_keys.STUDY_SPEC, SPEC.to_dict())
    good = _scored(study, DecodingParams(temperature=0.9, top_k=50))
    noisy = _scored(study, DecodingParams(temperature=1.3, top_k=50), feasible=False)
    with pytest.raises(NoFeasibleTrialError, match="compare more"):
        build_pairwise_presets(study, genre="jazz")
    study.report_preference(_frozen(study, noisy), _frozen(study, good))
    with pytest.raises(NoFeasibleTrialError, match="compare more"):
        build_pairwise_presets(study, genre="jazz")


def test_sampler_follows_preferences_and_survives_a_shrinking_search_space():
    study = create_study(n_generate=2, sampler=ResettingPreferentialSampler(seed=1))
    space = SearchSpace()
    first = [_scored(study, DecodingParams(temperature=t, top_k=k)) for t, k in ((1.0, 250), (1.2, 50))]
    study.report_preference(_frozen(study, first[0]), _frozen(study, first[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the conditional parameters' expected warnings are silenced
        proposed = study.ask()
        space.suggest(proposed)
    assert proposed.relative_params  # the GP proposed: strategy, cfg_coef, temperature, top_k
    # A nucleus trial joins the comparisons: the compared trials no longer share top_k and the GP's space shrinks.
    nucleus = _scored(study, DecodingParams(temperature=1.0, top_k=0, top_p=0.9))
    study.report_preference(_frozen(study, nucleus), _frozen(study, proposed))
    after = study.ask()
    params = space.suggest(after)  # PreferentialGPSampler alone raises NotImplementedError here
    assert after.relative_params and "top_k" not in after.relative_params and params.strategy in ("top_k", "top_p")


def test_trials_left_without_a_clip_are_failed_on_restart(tmp_path):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'p.db'}")
    study, _ = load_or_create_pairwise_study(storage, "s", SPEC, compare=2)
    ready = _scored(study, DecodingParams(temperature=0.9, top_k=50))
    half = _scored(study, DecodingParams(temperature=1.1, top_k=50), clip=False)
    assert progress(study, 5).waiting == 1
    assert fail_unready_trials(study, storage) == [half.number]
    states = {t.number: t.state for t in study.get_trials(deepcopy=False)}
    assert states == {ready.number: optuna.trial.TrialState.RUNNING, half.number: optuna.trial.TrialState.FAIL}
    assert study.should_generate()  # the failed trial no longer holds a place on the page


def test_resuming_with_another_compare_or_setup_is_refused(tmp_path):
    from dataclasses import replace

    from optimizer import UsageError

    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'p.db'}")
    load_or_create_pairwise_study(storage, "s", SPEC, compare=3)
    assert load_or_create_pairwise_study(storage, "s", SPEC, compare=None)[0].user_attrs[_keys.PAIRWISE][
        "compare"] == 3
    with pytest.raises(UsageError, match="shows 3 clips at a time but this run asks for 5") as info:
        load_or_create_pairwise_study(storage, "s", SPEC, compare=5)
    assert (info.value.field, info.value.stored, info.value.wanted) == ("compare", 3, 5)
    assert "--compare" not in str(info.value) and "drop --compare" in one_line(info.value)  # only the CLI names flags
    with pytest.raises(UsageError, match="different duration"):
        load_or_create_pairwise_study(storage, "s", replace(SPEC, duration=3.0), compare=None)
    optuna.create_study(storage=storage, study_name="regular", directions=list(_keys.DIRECTIONS))
    with pytest.raises(UsageError, match="not a pairwise study"):
        load_or_create_pairwise_study(storage, "regular", SPEC, compare=None)


@pytest.mark.parametrize(("extra", "match"), [
    (["--compare", "1"], "--compare must be between 2 and 16"),
    (["--no-artifacts"], "drop --no-artifacts"),
    (["--objective", "diversity"], "--objective does not apply"),
    (["--sampler", "gp"], "--sampler does not apply"),
])
def test_bad_pairwise_options_are_one_sentence_and_write_nothing(tmp_path, monkeypatch, capsys, extra, match):
    from optimizer.cli._optimize import main

    monkeypatch.chdir(tmp_path)
    assert main(["--genre", "jazz", "--pairwise", *_SMALL, "--storage", f"sqlite:///{tmp_path / 'o.db'}",
                 *extra]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_missing_botorch_is_one_sentence_with_the_install_command(tmp_path):
    script = ("import sys; sys.modules['botorch'] = None\n"  # import botorch now raises ImportError
              "from optimizer.cli._optimize import main\n"
              f"raise SystemExit(main(['--genre', 'jazz', '--pairwise', '--model', 'debug', "
              f"'--storage', 'sqlite:///{tmp_path / 'o.db'}']))")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert 'pip install ".[preferential]"' in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    assert not list(tmp_path.iterdir())


def test_regular_commands_on_a_pairwise_study_say_so(tmp_path, monkeypatch, capsys):
    from optimizer.cli._optimize import main

    storage = f"sqlite:///{tmp_path / 'p.db'}"
    load_or_create_pairwise_study(optuna.storages.RDBStorage(storage), "jazz/debug/pairwise", SPEC, compare=2)
    monkeypatch.chdir(tmp_path)
    for extra in (["--export-only"], []):
        assert main(["--genre", "jazz", *_SMALL, "--storage", storage, "--study-name", "jazz/debug/pairwise",
                     *extra]) == 2
        assert "is a pairwise study" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]


def test_schema_requires_preferred_in_a_pairwise_file_and_the_pareto_names_otherwise(tmp_path):
    from optimizer import PresetValidationError, validate_presets

    study = create_study(n_generate=2, sampler=optuna.samplers.RandomSampler())
    study.set_user_attr(_keys.STUDY_SPEC, SPEC.to_dict())
    a, b = (_scored(study, DecodingParams(temperature=t, top_k=80)) for t in (0.7, 1.1))
    study.report_preference(_frozen(study, a), _frozen(study, b))
    document = build_pairwise_presets(study, genre="jazz")
    validate_presets(document)
    renamed = {**document, "presets": {"best": document["presets"]["preferred"]}}
    with pytest.raises(PresetValidationError, match="'preferred' is a required property"):
        validate_presets(renamed)
    pareto = {**document, "provenance": {k: v for k, v in document["provenance"].items() if k != "mode"}}
    with pytest.raises(PresetValidationError, match="'balanced' is a required property"):
        validate_presets(pareto)
    bad = json.loads(json.dumps(document))
    bad["presets"]["preferred"]["preference"]["wins"] = -1
    with pytest.raises(PresetValidationError, match="preference/wins"):
        validate_presets(bad)
