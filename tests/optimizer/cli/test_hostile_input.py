"""Hostile input: every row of docs/robustness.md that is not covered elsewhere has its test here."""

import pickle

import numpy as np
import optuna
import pytest
import torch

from objectives import DecodingParams, Evaluator
from objectives._loading import load_generator
from objectives.generation import ModelLoadError
from optimizer import SearchSpace, _keys, build_presets, run_trials, write_presets
from optimizer.cli._generate import main as generate_main
from optimizer.cli._optimize import main
from optimizer.search._study import StudySpec, load_or_create_study, open_storage
from tests.optimizer.synthetic import make_study

SPEC = StudySpec(genre="jazz", model="debug", backend="transformers", clap="debug", duration=1.0, replicates=1,
                 base_seed=0, prompts=("a",))


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _one_line_exit_2(capsys, code, match):
    err = capsys.readouterr().err.strip()
    assert code == 2 and match in err and len(err.splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("name", ["../../etc/passwd", "'; DROP TABLE studies; --", "jazz\\..\\x", "名前 🎷"])
def test_study_names_are_opaque_strings(tmp_path, name):
    storage = open_storage(f"sqlite:///{tmp_path / 'optuna.db'}")
    load_or_create_study(storage, "keep-me", SPEC, optuna.samplers.RandomSampler())
    study, created = load_or_create_study(storage, name, SPEC, optuna.samplers.RandomSampler())
    assert created and study.study_name == name
    assert {s.study_name for s in optuna.get_all_study_summaries(storage)} == {"keep-me", name}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--genre", "jazz", "--study-name", "x" * 1000], "--study-name must have 1 to 512 characters"),
        (["--genre", "../../etc/passwd"], "unknown genre '../../etc/passwd'"),
        (["--genre", "x" * 1000], "unknown genre"),
        (["--genre", "jazz", "--storage", "foo://bar"], "cannot open storage 'foo://bar'"),
        (["--genre", "jazz", "--storage", "sqlite:////proc/forbidden/optuna.db"], "does not exist"),
        (["--genre", "jazz", "--duration", "nan"], "--duration must be in (0, 300]"),
        (["--genre", "jazz", "--duration", "inf"], "--duration must be in (0, 300]"),
        (["--genre", "jazz", "--heartbeat-interval", "0"], "--heartbeat-interval"),
        (["--genre", "jazz", "--prompt-suffix", "48 kHz\nDROP"], "--prompt-suffix: prompt_suffix must be one line"),
        (["--genre", "jazz", "--prompt-suffix", "x" * 201], "--prompt-suffix: prompt_suffix must be one line"),
        (["--genre", "jazz", "--reference", "no/such/folder"], "--reference: reference folder"),
        (["--genre", "jazz", "--validate-seeds", "-1"], "--validate-seeds must be between 0 and 64"),
    ],
)
def test_hostile_arguments(capsys, argv, match):
    _one_line_exit_2(capsys, main(argv), match)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b'name = "x"\nprompts = ["' + b"a" * 10_000 + b'"]\n', "is longer than 2000 characters"),
        (b'name = "x"\nprompts = ["caf\xe9"]\n', "not UTF-8"),
        (b"x = 1\n" * 200_000, "larger than"),
        (b'name = "x"\nprompts = ["a"]\n[baseline]\ntemperature = "__import__(\'os\')"\n', "baseline"),
        (b'name = "x"\n' + b"[a]\n" * 3 + b'prompts = ["a"]\n', "not valid TOML"),
    ],
)
def test_hostile_genre_files(tmp_path, capsys, content, match):
    path = tmp_path / "genre.toml"
    path.write_bytes(content)
    _one_line_exit_2(capsys, main(["--genre-file", str(path)]), match)


def test_preset_output_path_that_is_a_file(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_study([(0.3, 0.1)], storage=storage)
    (tmp_path / "blocker").write_text("not a folder")
    code = main(["--genre", "jazz", "--model", "debug", "--export-only", "--storage", storage,
                 "--presets-dir", str(tmp_path / "blocker")])
    _one_line_exit_2(capsys, code, "cannot write the preset file")
    assert (tmp_path / "blocker").read_text() == "not a folder"


def test_artifact_folder_that_cannot_be_created(tmp_path, capsys):
    (tmp_path / "blocker").write_text("not a folder")
    code = main(["--genre", "jazz", "--model", "debug", "--artifact-dir", str(tmp_path / "blocker" / "artifacts")])
    _one_line_exit_2(capsys, code, "cannot create the artifact folder")
    assert not (tmp_path / "optuna.db").exists()


def test_generate_refuses_a_preset_path_outside_json(tmp_path, capsys):
    _one_line_exit_2(capsys, generate_main(["--preset", "/etc/passwd", "x"]), "not a JSON file")
    write_presets(build_presets(make_study([(0.3, 0.1)]), genre="jazz"), tmp_path / "jazz.json")
    _one_line_exit_2(capsys, generate_main(["--preset", f"{tmp_path / 'jazz.json'}:../../x", "x"]),
                     "no such preset file")  # a name with a path separator is not a preset name


def test_emoji_and_non_ascii_prompts_are_scored(debug_musicgen):
    from objectives._debug import build_debug_clap
    from objectives.generation import TransformersMusicGen
    from objectives.scoring import ClapScorer

    model, processor = debug_musicgen
    evaluator = Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                          clap=ClapScorer(*build_debug_clap(), name="debug"),
                          prompts=["🎷 smooth jazz — café, 90 BPM", "Lo-fi ビート with ñ and ü"], replicates=1,
                          duration=0.5)
    evaluation = evaluator.evaluate(DecodingParams())
    assert np.isfinite(evaluation.clap.mean) and len(evaluation.per_prompt()) == 2


def test_unwritable_audio_folder_fails_trials_with_the_reason(tmp_path, debug_musicgen):
    from objectives._debug import build_debug_clap
    from objectives.generation import TransformersMusicGen
    from objectives.scoring import ClapScorer

    model, processor = debug_musicgen
    evaluator = Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                          clap=ClapScorer(*build_debug_clap(), name="debug"), prompts=["a"], replicates=1,
                          duration=0.3)
    (tmp_path / "clips").write_text("a file where the folder should be")
    study = optuna.create_study(directions=list(_keys.DIRECTIONS))
    summary = run_trials(study, evaluator=evaluator, space=SearchSpace(), n_trials=5,
                         save_audio=tmp_path / "clips")
    assert summary.stopped_reason and summary.failed == 3
    assert all(t.user_attrs[_keys.FAILURE].startswith(("FileExistsError", "NotADirectoryError"))
               for t in study.trials)
    assert not study.get_trials(states=(optuna.trial.TrialState.RUNNING,))


class _Payload:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickled_weights_are_never_executed(tmp_path, debug_musicgen):
    model, processor = debug_musicgen
    model.save_pretrained(tmp_path / "evil")
    processor.save_pretrained(tmp_path / "evil")
    (tmp_path / "evil" / "model.safetensors").unlink()
    with open(tmp_path / "evil" / "pytorch_model.bin", "wb") as fh:
        pickle.dump({"decoder.lm_heads.0.weight": _Payload()}, fh)
    with pytest.raises(ModelLoadError, match="refused to unpickle"):
        load_generator(str(tmp_path / "evil"), device=torch.device("cpu"))
    assert not (tmp_path / "pwned").exists()
