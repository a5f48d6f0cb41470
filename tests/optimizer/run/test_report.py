"""``report(ReportOptions(...))``: a study's HTML report without argparse; the refusals of the ``report`` command,
as UsageError before anything is written (issue 19)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from optimizer import build_presets, write_presets
from optimizer._errors import UsageError
from optimizer.run import ReportOptions, report
from tests.optimizer.report.test_report import STORAGE_FILE, _make_study, _parse

STORAGE = f"sqlite:///{STORAGE_FILE}"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_the_genres_report_where_the_command_would(tmp_path):
    _make_study(tmp_path, 8)
    path = report(ReportOptions(genre="jazz", model="debug", storage=STORAGE))
    assert path == Path("reports/jazz.html") and path.is_file()
    page = _parse(path)
    assert page.images and "computed from the study (no preset file)" in "".join(page.text)
    assert report(ReportOptions(genre="jazz", model="debug", storage=STORAGE)) == path  # its own report: replaced


def test_a_named_study_with_its_preset_file_and_out(tmp_path):
    study, _ = _make_study(tmp_path, 8, name="my-run")
    presets = write_presets(build_presets(study, genre="jazz"), tmp_path / "exported.json")
    options = ReportOptions(genre="jazz", storage=STORAGE, study_name="my-run", presets=presets,
                            out=tmp_path / "page.html")
    assert report(options) == tmp_path / "page.html"
    assert str(presets) in "".join(_parse(tmp_path / "page.html").text)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.out = None  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"genre": None}, "give exactly one of --genre NAME or --genre-file PATH"),
        ({"genre_file": Path("mine.toml")}, "give exactly one of --genre NAME or --genre-file PATH"),
        ({"study_name": ""}, "--study-name must have 1 to 512 characters."),
        ({"genre": "nosuch"}, "unknown genre 'nosuch'"),
        ({"storage": "sqlite:///other.db"}, "no storage at 'sqlite:///other.db'"),
        ({"study_name": "jazz/other"}, "no study named 'jazz/other'"),
        ({"presets": Path("nope.json")}, "no such preset file"),
        ({"out": Path(".")}, "is a folder"),
        ({"out": Path("mine.html")}, "already exists"),
    ],
)
def test_bad_input_is_a_usage_error_and_nothing_is_written(tmp_path, change, match):
    _make_study(tmp_path, 3)
    (tmp_path / "mine.html").write_text("not a report")
    before = _files(tmp_path)
    with pytest.raises(UsageError, match=match):
        report(dataclasses.replace(ReportOptions(genre="jazz", model="debug", storage=STORAGE), **change))
    assert _files(tmp_path) == before
