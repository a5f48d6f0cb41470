"""Studies stay comparable when the repetition objective and degeneracy checks change definition, and the
repetition reference (genre calibration or ``--reference DIR``) is recorded and enforced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import optuna
import pytest
import soundfile

from optimizer import UsageError, _keys, load_genre, load_genre_file
from optimizer.cli._optimize import main
from tests.objectives.scoring.test_scoring import SR, loop
from tests.optimizer.synthetic import SPEC, make_study


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _study_with_spec(storage: str, **changes) -> optuna.Study:
    study = make_study([(0.3, 0.1)], storage=storage)
    spec = {**SPEC.to_dict(), "prompts": list(load_genre("jazz").prompts)}  # the setup `optimize --genre jazz` has
    for key, value in changes.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    study.set_user_attr(_keys.STUDY_SPEC, spec)
    return study


@pytest.mark.parametrize(("changes", "match"), [
    ({"scoring": None, "repetition_reference": None}, "definition 1 of the repetition objective"),
    ({"scoring": 99}, "definition 99 of the repetition objective"),
    ({"repetition_reference": 0.5}, "repetition reference 0.5"),
])
def test_a_study_scored_another_way_is_refused_untouched(capsys, tmp_path, changes, match):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _study_with_spec(storage, **changes)
    before = (tmp_path / "optuna.db").read_bytes()
    code = main(["--genre", "jazz", "--model", "debug", "--storage", storage, "--duration", "2.0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and match in err and "--study-name NEW" in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert (tmp_path / "optuna.db").read_bytes() == before
    assert not (tmp_path / "presets").exists()


def test_another_duration_is_named_as_the_change_not_the_repetition_reference_it_moves(capsys, tmp_path):
    """The genre's repetition reference depends on the clip length: a resumed study with another --duration
    differs in both, and the message must name the option the user changed."""
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _study_with_spec(storage, duration=5.0, repetition_reference=0.123)
    code = main(["--genre", "jazz", "--model", "debug", "--storage", storage, "--duration", "2.0"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "different duration (5.0 vs 2.0)" in err and "repetition reference" not in err, err


def test_the_spec_records_the_scoring_definition_and_reference():
    spec = SPEC.to_dict()
    assert spec["scoring"] == _keys.SCORING_VERSION >= 2 and spec["repetition_reference"] == 0.0


@pytest.mark.parametrize(("table", "rule"), [
    ("calibration = 3", "must be a table"),
    ("[calibration]\ndurations = [5]\nrepetition = [0.95]", "stuck loop"),
    ("[calibration]\ndurations = [5]", "repetition must be a list"),
    ("[calibration]\ndurations = [5]\nrepetition = [0.1]\nsauce = 'x'", "unknown key"),
])
def test_a_bad_calibration_table_names_the_file_and_field(tmp_path, table, rule):
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent("""\
        name = "mine"
        prompts = ["a steady groove"]
        """) + table + "\n")
    with pytest.raises(UsageError, match=rf"mine.toml: field 'calibration' .*{rule}"):
        load_genre_file(path)


def test_a_genre_file_without_calibration_minimises_raw_repetition(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nprompts = ["a steady groove"]\n')
    assert load_genre_file(path).calibration is None


def _optimize(args, cwd, env):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    return subprocess.run(command + args, cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_reference_audio_replaces_the_genre_calibration_and_raw_repetition_is_kept(tmp_path):
    """``--reference DIR`` of stuck loops: the reference is the highest allowed instead of jazz's own; every
    trial keeps the raw repetition beside the objective, which never exceeds it."""
    folder = tmp_path / "loops"
    folder.mkdir()
    for seed in range(2):
        soundfile.write(folder / f"loop{seed}.wav", loop(seed, 6.0, 1.0), SR)
    common = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "2", "--duration", "2.5",
              "--validate-seeds", "0", "--no-artifacts", "--trials", "2"]
    env = {"MGOPT_CACHE_DIR": str(tmp_path / "cache")}
    for name, extra, expected in (("plain", [], load_genre("jazz").calibration.reference_at(2.5)),
                                  ("mine", ["--reference", str(folder)], 0.75)):
        result = _optimize([*common, "--study-name", name, *extra], tmp_path, env)
        assert result.returncode == 0, result.stderr
        study = optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'optuna.db'}")
        assert study.user_attrs[_keys.STUDY_SPEC]["repetition_reference"] == pytest.approx(expected)
        for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
            scores = trial.user_attrs[_keys.SCORES]
            assert trial.values[1] == scores["repetition"]["mean"] <= scores["raw_repetition"]["mean"]
