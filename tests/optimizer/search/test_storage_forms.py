"""Every storage form goes through one reading and one pre-check, in every command that opens a storage:
in-memory SQLite in each spelling is refused; a URL with a query string, a ``file:`` URI, a journal path, a
PostgreSQL or MySQL URL holding an incompatible study is refused before any model loads or any folder is
created; a SQLite file another process keeps locked is reported as locked, not damaged, and left alone.

The commands are the real console scripts in subprocesses (several at once, to keep the wall time short).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from optimizer import _keys
from optimizer._errors import StorageError
from optimizer.search._storage_spec import parse_storage
from tests.databases import mysql_database, postgres_database, run_together
from tests.servers import free_port

TINY = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "0.5",
        "--validate-seeds", "0", "--heartbeat-interval", "1"]
NAME = "jazz/debug"


def every_command(storage: str) -> list[list[str]]:
    """Each command that opens a storage, on ``storage`` (serve-presets serves the folder ``served/``)."""
    return [["optimize", *TINY, "--trials", "1", "--storage", storage],
            ["optimize", *TINY, "--export-only", "--storage", storage],
            ["optimize", "--dashboard", "--storage", storage, "--port", str(free_port())],
            ["report", "--genre", "jazz", "--model", "debug", "--storage", storage],
            ["serve-presets", "--presets-dir", "served", "--storage", storage, "--port", str(free_port())]]


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with a digest of its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("given, kind, file", [
    ("sqlite:///optuna.db", "sqlite", "optuna.db"),
    ("sqlite:///optuna.db?timeout=5", "sqlite", "optuna.db"),
    ("sqlite:////srv/runs/optuna.db?timeout=5&check_same_thread=false", "sqlite", "/srv/runs/optuna.db"),
    ("sqlite:///file:optuna.db?mode=rw&uri=true", "sqlite", "optuna.db"),
    ("sqlite:///file:///srv/optuna.db?uri=true", "sqlite", "/srv/optuna.db"),
    ("runs/j.log", "journal", "runs/j.log"),
    ("postgresql://me@db.example/optuna", "server", None),
    ("postgresql+psycopg://me:s3cret@db.example/optuna?sslmode=require", "server", None),
    ("mysql+pymysql://me:s3cret@db.example:3306/optuna?charset=utf8mb4", "server", None),
])
def test_every_form_names_its_file_and_never_shows_the_password(given, kind, file):
    spec = parse_storage(given)
    assert (spec.kind, spec.file) == (kind, None if file is None else Path(file))
    assert "s3cret" not in spec.display and "s3cret" not in repr(spec)
    assert spec.display == given.replace("s3cret", "***")


IN_MEMORY = ["sqlite://", "sqlite:///:memory:", "sqlite:///:memory:?cache=shared",
             "sqlite:///file::memory:?cache=shared&uri=true", "sqlite:///file:scratch?mode=memory&uri=true",
             "sqlite:///file:/scratch?vfs=memdb&uri=true"]


@pytest.mark.parametrize("given", IN_MEMORY)
def test_a_storage_in_memory_is_refused(given):
    with pytest.raises(StorageError, match="lives in memory"):
        parse_storage(given)


@pytest.mark.slow
@pytest.mark.parametrize("given", IN_MEMORY)
def test_every_command_refuses_a_storage_in_memory_before_anything_is_created(tmp_path, given):
    (tmp_path / "served").mkdir()
    for done in run_together(every_command(given), tmp_path, timeout=120):
        err = done.stderr.strip()
        assert done.returncode == 2, (done.argv, done.returncode, err[-2000:])
        assert "lives in memory" in err and len(err.splitlines()) == 1 and "Traceback" not in err, (done.argv, err)
    assert tree(tmp_path) == {"served": "dir"}  # no study file, no artifacts/, no presets/, no report


def _incompatible_study(url: str) -> None:
    """An optimize study named ``jazz/debug`` with other objectives than a plain run's."""
    storage: optuna.storages.BaseStorage | str = url
    if url.endswith(".log"):
        storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(url))
    study = optuna.create_study(storage=storage, study_name=NAME, directions=["maximize", "minimize"])
    study.set_user_attr(_keys.STUDY_SPEC, {"objectives": ["clap", "repetition", "diversity"]})


FORMS = ["sqlite:///optuna.db?timeout=5", "sqlite:///{dir}/optuna.db?timeout=5&check_same_thread=false",
         "sqlite:///file:optuna.db?mode=rwc&uri=true", "sqlite:///optuna.db", "j.log",
         "postgresql+psycopg://postgres@127.0.0.1:5432/{pg}", "postgresql://postgres@127.0.0.1:5432/{pg}?sslmode=disable",
         "mysql+pymysql://root@127.0.0.1:3306/{my}?charset=utf8mb4"]


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_every_form_is_prechecked_before_models_load_or_folders_are_created(tmp_path, monkeypatch, form):
    monkeypatch.chdir(tmp_path)  # relative SQLite and journal paths, as the command reads them
    with (postgres_database() if "{pg}" in form else mysql_database() if "{my}" in form else _no_database()) as db:
        url = form.format(dir=tmp_path, pg=db, my=db)
        _incompatible_study(url)
        before = tree(tmp_path)
        [done] = run_together([["optimize", *TINY, "--trials", "1", "--storage", url]], tmp_path, timeout=300)
        err = done.stderr.strip()
        assert done.returncode == 2, err[-2000:]
        assert "already exists with other objectives" in err and len(err.splitlines()) == 1, err
        assert "Loading" not in done.stdout + err
        assert tree(tmp_path) == before  # no artifacts/, no presets/, the storage file untouched


class _no_database:
    def __enter__(self) -> str:
        return ""

    def __exit__(self, *exc) -> None:
        return None


_HOLD = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_locked_healthy_file_is_reported_as_locked_by_every_command_and_left_untouched(tmp_path):
    db = tmp_path / "optuna.db"
    optuna.create_study(storage=f"sqlite:///{db}", study_name=NAME, directions=["maximize", "minimize"])
    (tmp_path / "served").mkdir()
    before = tree(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        results = run_together(every_command(f"sqlite:///{db}"), tmp_path, timeout=180)
    finally:
        holder.kill()
        holder.wait()
    for done in results:
        err = done.stderr.strip()
        assert done.returncode == 2, (done.argv, done.returncode, err[-2000:])
        assert "is locked by" in err and f"process {holder.pid}" in err, (done.argv, err)
        assert "damaged" not in err and "backup" not in err and len(err.splitlines()) == 1, (done.argv, err)
    after = tree(tmp_path)
    after.pop("optuna.db-journal", None)  # the holder's own (empty) rollback journal
    assert after == before
    assert optuna.load_study(study_name=NAME, storage=f"sqlite:///{db}").study_name == NAME
