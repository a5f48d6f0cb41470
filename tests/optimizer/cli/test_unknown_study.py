"""An unknown study (report, --export-only, --pairwise --export-only) names the studies the storage does hold."""

import optuna
import pytest

from optimizer.cli._optimize import main as optimize
from optimizer.cli._report import main as report

_COMMANDS = {
    "report": lambda url, out: report(["--genre", "jazz", "--storage", url, "--out", str(out / "r.html")]),
    "export-only": lambda url, out: optimize(["--genre", "jazz", "--export-only", "--storage", url,
                                              "--presets-dir", str(out / "presets")]),
    "pairwise export-only": lambda url, out: optimize(["--genre", "jazz", "--pairwise", "--export-only",
                                                       "--storage", url, "--presets-dir", str(out / "presets")]),
}


def _storage(tmp_path, names):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    for name in names:
        optuna.create_study(study_name=name, storage=url)
    return url


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_unknown_study_lists_the_existing_ones(tmp_path, capsys, command):
    url = _storage(tmp_path, ["jazz/debug", "ambient/./models/small"])
    out = tmp_path / "out"
    out.mkdir()
    assert _COMMANDS[command](url, out) == 2
    err = capsys.readouterr().err
    assert "'jazz/debug'" in err and "'ambient/./models/small'" in err, err
    assert "--model" in err and "--study-name" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


def test_many_studies_are_cut_to_ten_sorted_with_a_count(tmp_path, capsys):
    url = _storage(tmp_path, [f"g{i:02d}/debug" for i in range(13)] + ["a" * 300])
    assert report(["--genre", "jazz", "--storage", url, "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "'g08/debug'" in err and "'g09/debug'" not in err and "and 4 more" in err
    assert "a" * 77 + "..." in err and "a" * 78 not in err


def test_empty_storage_says_so(tmp_path, capsys):
    from optuna.storages import RDBStorage

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    RDBStorage(url)  # the tables, no study
    assert report(["--genre", "jazz", "--storage", url, "--out", str(tmp_path / "r.html")]) == 2
    assert "it holds no study" in capsys.readouterr().err
