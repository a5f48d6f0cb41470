"""Storage faults: a journal torn by a full disk, a disk that fills mid-run, storage that is not Optuna's.

Runs the real ``optimize --model debug`` CLI in subprocesses on tiny runs; a full disk is a real tmpfs of a
few hundred kB mounted by the test (needs root; skipped with the reason otherwise).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

pytestmark = pytest.mark.slow

TINY = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "0.5",
        "--validate-seeds", "0", "--heartbeat-interval", "1"]
NAME = "jazz/debug"


def optimize(args, cwd, timeout=600):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    return subprocess.run(command + [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def journal_trials(path: Path) -> list[optuna.trial.FrozenTrial]:
    """The trials of the study, read with Optuna's own journal backend (as other programs read it)."""
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    return optuna.load_study(study_name=NAME, storage=storage).trials


def states(trials) -> list[TrialState]:
    return [t.state for t in trials]


@pytest.fixture
def small_disk(tmp_path):
    """A real 512 kB tmpfs at ``tmp_path / "disk"``, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 4096)
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0")
    return filler


def test_a_torn_journal_tail_is_cut_and_every_complete_trial_survives(tmp_path):
    first = optimize([*TINY, "--trials", "2", "--storage", "j.log", "--no-artifacts"], tmp_path)
    assert first.returncode == 0, first.stderr
    journal = tmp_path / "j.log"
    before = journal_trials(journal)
    data = journal.read_bytes()
    # A write cut short: the last record (trial 1 told COMPLETE) lost its second half and its newline.
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    journal.write_bytes(data[:last_start + (len(data) - last_start) // 2])
    assert states(journal_trials(journal))[0] == TrialState.COMPLETE

    again = optimize([*TINY, "--trials", "3", "--storage", "j.log", "--no-artifacts"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    trials = journal_trials(journal)  # Optuna's own reader: no line fused with the torn bytes
    assert states(trials).count(TrialState.COMPLETE) == 3
    assert trials[0].values == before[0].values and trials[0].params == before[0].params
    assert TrialState.RUNNING not in states(trials)  # the trial whose end was torn is failed as stale
    assert (tmp_path / "presets" / "jazz.json").exists()


@pytest.mark.parametrize("storage", ["j.log", "sqlite:///{disk}/optuna.db"])
def test_a_disk_that_fills_mid_run_is_one_sentence_and_keeps_what_was_complete(tmp_path, small_disk, storage):
    url = storage.format(disk=small_disk) if "sqlite" in storage else str(small_disk / storage)
    common = [*TINY, "--storage", url, "--no-artifacts", "--presets-dir", tmp_path / "presets"]
    first = optimize([*common, "--trials", "2"], tmp_path)
    assert first.returncode == 0, first.stderr
    filler = fill(small_disk)

    full = optimize([*common, "--trials", "6"], tmp_path)
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("optimize: error:") and "disk is full" in last, full.stderr

    filler.unlink()
    study = optuna.load_study(study_name=NAME, storage=url if "sqlite" in url else
                              optuna.storages.JournalStorage(JournalFileBackend(url)))
    assert states(study.trials).count(TrialState.COMPLETE) >= 2
    resumed = optimize([*common, "--trials", "4"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    study = optuna.load_study(study_name=NAME, storage=url if "sqlite" in url else
                              optuna.storages.JournalStorage(JournalFileBackend(url)))
    assert states(study.trials).count(TrialState.COMPLETE) == 4
    assert TrialState.RUNNING not in states(study.trials)


def test_journal_append_on_a_full_disk_leaves_no_partial_record(small_disk):
    from optimizer._errors import StorageWriteError
    from optimizer.search._study import open_storage

    path = small_disk / "j.log"
    study = optuna.create_study(storage=open_storage(str(path)), study_name="s")
    fill(small_disk)
    with pytest.raises(StorageWriteError, match="disk is full"):
        for _ in range(10_000):
            study.set_user_attr("big", "x" * 10_000)
    assert path.read_bytes().endswith(b"\n")
    assert optuna.load_study(study_name="s", storage=optuna.storages.JournalStorage(
        JournalFileBackend(str(path)))).study_name == "s"


def _optuna_db(path: Path) -> bytes:
    storage = optuna.storages.RDBStorage(f"sqlite:///{path}")
    optuna.create_study(storage=storage, study_name="other").optimize(lambda t: t.suggest_float("x", 0, 1),
                                                                       n_trials=40)
    storage.engine.dispose()
    return path.read_bytes()


def _optuna_journal(path: Path, damaged_line: int) -> bytes:
    """An Optuna journal of a few trials with line ``damaged_line`` cut in half (newline kept); ``path`` is
    removed again."""
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    optuna.create_study(storage=storage, study_name="other").optimize(lambda t: t.suggest_float("x", 0, 1),
                                                                       n_trials=3)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[damaged_line] = lines[damaged_line][: len(lines[damaged_line]) // 2] + b"\n"
    path.unlink()
    return b"".join(lines)


def _sqlite_with(path: Path, sql: str) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(sql)


def _not_storage(kind: str, folder: Path) -> str:
    """Write a hostile storage of ``kind`` into ``folder``; return its --storage value."""
    db, log = folder / "optuna.db", folder / "j.log"
    if kind == "unrelated studies table":
        _sqlite_with(db, "CREATE TABLE studies (id INTEGER PRIMARY KEY, title TEXT); "
                         "INSERT INTO studies VALUES (1, 'mine');")
    elif kind == "other tables":
        _sqlite_with(db, "CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE orders (id INTEGER PRIMARY KEY);")
    elif kind == "random bytes":
        db.write_bytes(os.urandom(50_000))
    elif kind == "truncated sqlite":
        data = _optuna_db(db)
        db.write_bytes(data[: len(data) // 2])
    elif kind == "garbled page":
        data = bytearray(_optuna_db(db))
        data[8192:12288] = os.urandom(4096)
        db.write_bytes(bytes(data))
    else:
        log.write_bytes({"text journal": b"hello\nworld\n", "binary journal": os.urandom(5000).replace(b"\n", b""),
                         "journal with a damaged last record": b'{"op_code":0,"study_name":"s","directions":[1]}\n'
                                                               b'{"op_code":5,"tri\n',
                         "journal with a damaged middle record": _optuna_journal(folder / "src.log", 3)}[kind])
        return str(log)
    return f"sqlite:///{db}"


KINDS = ["unrelated studies table", "other tables", "random bytes", "truncated sqlite", "garbled page",
         "text journal", "binary journal", "journal with a damaged last record", "journal with a damaged middle record"]


@pytest.mark.parametrize("kind", KINDS)
def test_files_that_are_not_storage_are_refused_before_anything_is_written(tmp_path, monkeypatch, capsys, kind):
    from optimizer.cli._optimize import main

    monkeypatch.chdir(tmp_path)
    url = _not_storage(kind, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for command in (["--trials", "2"], ["--export-only"]):
        code = main([*TINY, *command, "--storage", url])
        err = capsys.readouterr().err.strip()
        assert code == 2, err
        assert err.startswith("optimize: error: cannot open storage") and len(err.splitlines()) <= 2, err
        assert "not" in err or "damaged" in err
    from optimizer.cli._report import main as report

    assert report(["--genre", "jazz", "--model", "debug", "--storage", url]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no artifacts/, presets/, lock, table


@pytest.fixture
def read_only_disk(small_disk):
    """The small tmpfs holding an Optuna SQLite file and journal, remounted read-only (even root cannot write)."""
    source = small_disk.parent / "source"
    source.mkdir()
    _optuna_db(source / "optuna.db")
    optuna.create_study(storage=optuna.storages.JournalStorage(JournalFileBackend(str(source / "j.log"))),
                        study_name="other")
    for name in ("optuna.db", "j.log"):
        shutil.copy(source / name, small_disk / name)
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {done.stderr.strip()}")
    return small_disk


@pytest.mark.parametrize("storage", ["sqlite:///{disk}/optuna.db", "{disk}/j.log", "sqlite:///{disk}/new.db",
                                     "{disk}/new.log"])
def test_a_read_only_storage_is_refused_at_once_and_nothing_is_created(tmp_path, monkeypatch, capsys,
                                                                       read_only_disk, storage):
    from optimizer.cli._optimize import main

    monkeypatch.chdir(tmp_path)
    url = storage.format(disk=read_only_disk)
    code = main([*TINY, "--trials", "2", "--storage", url, "--artifact-dir", str(tmp_path / "artifacts")])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("optimize: error:") and "read-only" in err and len(err.splitlines()) <= 2, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk", "source"]  # no artifacts/, no presets/
    assert sorted(p.name for p in read_only_disk.iterdir()) == ["j.log", "optuna.db"]


@pytest.mark.parametrize("storage", ["optuna.db", "j.log"])
def test_report_reads_a_read_only_storage(read_only_disk, storage):
    from optimizer.search._study import load_existing_study

    url = f"sqlite:///{read_only_disk / storage}" if storage.endswith(".db") else str(read_only_disk / storage)
    study = load_existing_study(url, "other", no_storage="", no_study="", write=False)
    assert study.study_name == "other"


@pytest.fixture
def silent_server():
    """A loopback TCP port whose connections are accepted (by the kernel's backlog) and never answered."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "mysql+pymysql"])
def test_a_server_that_accepts_but_never_answers_is_one_sentence(tmp_path, silent_server, scheme):
    pytest.importorskip("pymysql" if "mysql" in scheme else "psycopg")
    url = f"{scheme}://nobody@127.0.0.1:{silent_server}/optuna"
    # Bounded by the driver limits (10 s to connect and, for MySQL, to read the handshake), not by this guard.
    done = optimize([*TINY, "--trials", "1", "--storage", url], tmp_path, timeout=120)
    assert done.returncode == 2, done.stderr
    err = done.stderr.strip()
    assert err.startswith("optimize: error: cannot open storage") and len(err.splitlines()) <= 2, err
    assert "timed out" in err or "timeout" in err
    assert list(tmp_path.iterdir()) == []


def test_driver_time_limits_leave_the_users_url_parameters_alone():
    from optimizer.search._storage import CONNECT_TIMEOUT_S, connect_args

    assert "connect_timeout" in connect_args("postgresql://u@h/db")
    assert "connect_timeout" not in connect_args("postgresql://u@h/db?connect_timeout=2")
    mysql = connect_args("mysql+pymysql://u@h/db?read_timeout=5")
    assert "read_timeout" not in mysql and {"connect_timeout", "write_timeout"} <= set(mysql)
    assert connect_args("mysql+pymysql://u@h/db", opening=True)["read_timeout"] == CONNECT_TIMEOUT_S  # the handshake
    assert connect_args("sqlite:///x.db") == {"timeout": CONNECT_TIMEOUT_S}  # waiting for another process's lock
    assert connect_args("sqlite:///x.db?timeout=3") == {}
