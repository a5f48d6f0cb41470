"""Bad input: one clear sentence on stderr, exit code 2, no traceback, nothing written."""

import optuna
import pytest

from optimizer.cli._optimize import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _fails_cleanly(capsys, argv, match, tmp_path, *, keep=()):
    before = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(SystemExit) if argv and argv[0] == "--argparse" else _no_raise():
        code = main(argv[1:] if argv[0] == "--argparse" else argv)
    err = capsys.readouterr().err.strip()
    if argv[0] != "--argparse":
        assert code == 2
    assert match in err, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert {p.name for p in tmp_path.iterdir()} == before | set(keep)


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--genre", "nosuch"], "unknown genre 'nosuch'; known genres: ambient"),
        (["--genre", "jazz", "--trials", "0"], "--trials must be between 1"),
        (["--genre", "jazz", "--trials", str(10**9)], "--trials must be between 1"),
        (["--genre", "jazz", "--duration", "0"], "--duration must be in (0, 300]"),
        (["--genre", "jazz", "--duration", "450"], "--duration must be in (0, 300]"),
        (["--genre", "jazz", "--duration", "-2"], "--duration must be in (0, 300]"),
        (["--trials", "5"], "give exactly one of --genre"),
        (["--genre", "jazz", "--genre-file", "x.toml"], "give exactly one of --genre"),
        (["--genre", "jazz", "--model", "facebook/no-such-musicgen"], "save_pretrained (to --model)"),
        (["--genre", "jazz", "--model", "debug", "--clap", "laion/no-such-clap"], "save_pretrained (to --clap)"),
        (["--genre", "jazz", "--storage", "not-a-url"], "cannot open storage 'not-a-url'"),
        (["--genre", "jazz", "--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot open storage"),
        (["--genre", "jazz", "--storage", "sqlite:///no/such/dir/optuna.db"], "does not exist"),
        (["--genre", "jazz", "--export-only"], "run the search first"),
        (["--genre", "jazz", "--device", "cuda:7", "--model", "debug"], "--device"),
        (["--genre", "jazz", "--batch-trials", "0"], "--batch-trials must be auto or a number"),
        (["--genre", "jazz", "--batch-trials", "lots"], "--batch-trials must be auto or a number"),
    ],
)
def test_bad_input(capsys, tmp_path, argv, match):
    _fails_cleanly(capsys, argv, match, tmp_path)


def test_argparse_errors_are_one_line_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["--genre", "jazz", "--trials", "many"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "invalid int value" in err and len(err.splitlines()) == 1


def test_malformed_genre_file_names_file_and_field(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nprompts = "not a list"\n')
    _fails_cleanly(capsys, ["--genre-file", str(path)], "field 'prompts'", tmp_path)


def test_existing_study_with_other_objectives_is_refused_untouched(capsys, tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    other = optuna.create_study(storage=storage, study_name="jazz/debug", direction="maximize")
    other.add_trial(optuna.trial.create_trial(value=1.0))
    _fails_cleanly(capsys, ["--genre", "jazz", "--model", "debug", "--storage", storage],
                   "already exists with other objectives", tmp_path)
    assert len(optuna.load_study(study_name="jazz/debug", storage=storage).trials) == 1


def test_list_genres(capsys):
    assert main(["--list-genres"]) == 0
    out = capsys.readouterr().out
    assert "jazz" in out and "cinematic" in out


def test_adding_an_objective_to_an_existing_study_is_refused(capsys, tmp_path):
    from tests.optimizer.synthetic import make_study

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_study([(0.3, 0.1)], storage=storage)
    _fails_cleanly(capsys, ["--genre", "jazz", "--model", "debug", "--storage", storage, "--objective", "diversity",
                            "--prompts", "2", "--replicates", "2", "--duration", "2.0"],
                   "already exists with other objectives", tmp_path)
