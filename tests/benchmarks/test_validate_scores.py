"""benchmarks/validate_scores.py and calibrate_repetition.py on folders of synthetic music (the real-music run
is documented in benchmarks/README.md)."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.objectives.scoring.test_scoring import music

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
LAST_LINE = (r"real music: originals (\S+) \| loops (\S+) \| auc third 5s (\S+) 10s (\S+) \| false positives noise "
             r"(\S+) clipping (\S+) silence (\S+) \| hard clips caught (\S+)")


def _load(name):
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("music")
    for style, seeds in (("a", (0, 1)), ("b", (2, 3))):
        (root / style).mkdir()
        for seed in seeds:
            soundfile.write(root / style / f"track{seed}.flac", music(seed, 16.0), 32_000)
    return root


def test_last_line_states_every_figure_as_a_share(folders, capsys):
    line = _load("validate_scores").main([f"{folders / 'a'}:electronic", f"{folders / 'b'}:ambient",
                                          "--per-track", "1", "--jobs", "1"])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == line
    figures = [float(x) for x in re.fullmatch(LAST_LINE, line).groups()]
    assert all(0.0 <= x <= 1.0 for x in figures)
    originals, loops, auc5, auc10, noise, clipping, silence, caught = figures
    assert originals <= 0.05 and loops >= 0.9 and min(auc5, auc10) >= 0.9
    assert noise == clipping == silence == 0.0 and caught == 1.0


@pytest.mark.parametrize(("arg", "match"), [
    ("nocolon", "is not DIR:GENRE"),
    ("{root}/a:polka", "not a shipped genre"),
    ("{root}/missing:jazz", "is not a folder"),
    ("{root}:jazz", None),  # a folder whose audio sits in subfolders is fine: rglob
])
def test_bad_sources_are_one_line_exit_2(folders, capsys, arg, match):
    if match is None:
        assert _load("_music").parse_sources([arg.format(root=folders)])[0].files
        return
    with pytest.raises(SystemExit) as info:
        _load("validate_scores").main([arg.format(root=folders)])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and match in err[-1]


def test_calibration_table_round_trips_into_a_genre_file(folders, tmp_path, monkeypatch, capsys):
    module = _load("calibrate_repetition")
    studies = tmp_path / "studies"
    studies.mkdir()
    original = (BENCHMARKS.parent / "studies" / "ambient.toml").read_text()
    (studies / "ambient.toml").write_text(original)
    monkeypatch.setattr(module, "STUDIES", studies)
    tables = module.main([f"{folders / 'a'}:ambient", "--jobs", "1", "--write"])
    assert set(tables) == {"ambient"} and tables["ambient"]["durations"] == [5.0, 10.0]
    from optimizer.search._genre import load_genre_file

    genre = load_genre_file(studies / "ambient.toml")
    assert genre.calibration.reference == tuple(tables["ambient"]["repetition"])
    assert (studies / "ambient.toml").read_text().count("[calibration]") == 1
    module.main([f"{folders / 'a'}:ambient", "--jobs", "1", "--write"])  # rewriting replaces, not appends
    assert (studies / "ambient.toml").read_text().count("[calibration]") == 1
    assert np.isfinite(genre.calibration.reference).all()
