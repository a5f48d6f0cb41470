"""Hostile genre TOML and preset JSON, through every entry point: one sentence and exit 2 from the CLIs, a
typed error from the library; never a traceback, a hang on a FIFO, or Python's int-string ValueError."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from optimizer import build_presets, write_presets
from optimizer._errors import UsageError
from optimizer.presets._loader import PresetFileError, load_presets
from optimizer.search._genre import load_genre_file
from tests.optimizer.synthetic import make_study

GOOD_TOML = 'name = "edge"\nprompts = ["a"]\n'


def _toml_family(tmp_path):
    """name -> (path, expected words): each member of the family of files no parser should choke on."""
    cases = {
        "deep arrays": ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        "deep inline tables": ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "nested too deeply"),
        "deep but parseable": (GOOD_TOML + "[search_space]\nx = " + "[" * 60 + "]" * 60, "nested deeper than 32"),
        "5000-digit integer": (GOOD_TOML + "[baseline]\ntop_k = " + "9" * 5000, "more than 4300 digits"),
        "huge hex integer": (GOOD_TOML + "[baseline]\ntop_k = 0x" + "f" * 5000, "outside the 64-bit range"),
        "2**63": (GOOD_TOML + f"[baseline]\ntop_k = {2**63}", "outside the 64-bit range"),
    }
    out = {}
    for name, (text, words) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.toml"
        path.write_text(text)
        out[name] = (path, words)
    return {**out, **_special_files(tmp_path, "toml")}


def _json_family(tmp_path):
    good = build_presets(make_study([(0.4, 0.1)]), genre="jazz")
    text = json.dumps(good)
    cases = {
        "deep arrays": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        "deep but parseable": (text.replace('"genre": "jazz"', '"genre": ' + "[" * 60 + "]" * 60, 1),
                               "nested deeper than 32"),
        "5000-digit integer": (text.replace(f'"schema_version": {good["schema_version"]}',
                                            '"schema_version": ' + "9" * 5000, 1),
                               "outside the 64-bit range"),
        "2**64 trial": (text.replace('"trial": ', f'"trial": {2**64}0', 1), "outside the 64-bit range"),
    }
    out = {}
    for name, (body, words) in cases.items():
        assert body != text or name == "deep arrays"
        path = tmp_path / f"{name.replace(' ', '_')}.json"
        path.write_text(body)
        out[name] = (path, words)
    return {**out, **_special_files(tmp_path, "json")}


def _special_files(tmp_path, suffix):
    folder = tmp_path / f"folder.{suffix}"
    folder.mkdir()
    fifo = tmp_path / f"fifo.{suffix}"
    os.mkfifo(fifo)  # no writer: opening it for reading the ordinary way blocks forever
    return {"a folder": (folder, "is a folder"), "a FIFO": (fifo, "not a regular file")}


def _cli(name, module, args, cwd, *, privileged=True):
    exe = shutil.which(name)
    command = [*([exe] if exe else [sys.executable, "-m", module]), *args]
    if not privileged and os.geteuid() == 0:  # root reads any file: drop the capabilities that allow it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def _assert_one_sentence(result, path, words):
    err = result.stderr.strip()
    assert result.returncode == 2, err[-800:]
    assert words in err and str(path) in err, err[-800:]
    assert len(err.splitlines()) == 1 and len(err) < 600 and "Traceback" not in err, err[-800:]


@pytest.fixture
def study_dir(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    make_study([(0.4, 0.1)], storage=f"sqlite:///{work / 'optuna.db'}")
    return work


def test_hostile_genre_files_through_optimize_report_and_the_library(tmp_path, study_dir):
    for name, (path, words) in _toml_family(tmp_path).items():
        if name != "a FIFO":  # in-process, a regression would hang the test run instead of failing it
            with pytest.raises(UsageError, match=words):
                load_genre_file(path)
        _assert_one_sentence(_cli("optimize", "optimizer.cli._optimize",
                                  ["--genre-file", str(path), "--model", "debug"],
                                  study_dir), path, words)
        _assert_one_sentence(_cli("report", "optimizer.cli._report", ["--genre-file", str(path), "--model", "debug"],
                                  study_dir), path, words)
    assert sorted(p.name for p in study_dir.iterdir()) == ["optuna.db"]


def test_hostile_preset_files_through_generate_report_and_the_library(tmp_path, study_dir):
    for name, (path, words) in _json_family(tmp_path).items():
        if name != "a FIFO":
            with pytest.raises(PresetFileError, match=words):
                load_presets(path)
        _assert_one_sentence(_cli("generate", "optimizer.cli._generate", ["--preset", str(path), "x", "--model",
                                                                         "debug"], study_dir), path, words)
        _assert_one_sentence(_cli("report", "optimizer.cli._report", ["--genre", "jazz", "--model", "debug",
                                                                     "--presets", str(path)], study_dir), path, words)
    assert sorted(p.name for p in study_dir.iterdir()) == ["optuna.db"]


def test_unreadable_files_are_one_sentence(tmp_path, study_dir):
    genre = tmp_path / "secret.toml"
    genre.write_text(GOOD_TOML)
    presets = write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "secret.json")
    for path in (genre, presets):
        path.chmod(0)
    words = "Permission denied"
    _assert_one_sentence(_cli("optimize", "optimizer.cli._optimize", ["--genre-file", str(genre)], study_dir,
                              privileged=False), genre, words)
    _assert_one_sentence(_cli("generate", "optimizer.cli._generate", ["--preset", str(presets), "x"], study_dir,
                              privileged=False), presets, words)
    _assert_one_sentence(_cli("report", "optimizer.cli._report", ["--genre", "jazz", "--model", "debug",
                                                                 "--presets", str(presets)], study_dir,
                              privileged=False), presets, words)
