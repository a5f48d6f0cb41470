"""Checks made before a storage is opened, so Optuna never creates its tables in a database that is not its
own and a read-only or damaged storage is refused before anything is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy
import sqlalchemy.exc
import sqlalchemy.pool

__all__ = ["StorageCheckError", "check_rdb", "check_writable"]

_SQLITE_HEADER = b"SQLite format 3\0"
_OWN_PREFIX = "mgopt_"
"""Tables of the preset service (:mod:`optimizer.service._store`): ours, beside Optuna's."""
_HINT = "use a new file or an empty database"
# Columns every Optuna schema since 1.0 has; later migrations add others, which Optuna itself checks for.
_OPTUNA_COLUMNS = {"studies": {"study_id", "study_name"}, "trials": {"trial_id", "study_id", "state"},
                   "version_info": {"schema_version", "library_version"}}


class StorageCheckError(ValueError):
    """The storage is read-only, damaged, or holds data that is not Optuna's; the message says which."""


def check_writable(path: Path) -> None:
    """Refuse a storage file (existing or to be created) that cannot be written, or whose folder cannot (SQLite
    and the journal's lock both create files beside it).

    Raises:
        StorageCheckError: ``"<path> is read-only ..."``.
    """
    for target in ((path, path.parent) if path.exists() else (path.parent,)):
        if not os.access(target, os.W_OK):
            kind = "folder" if target.is_dir() else "file"
            raise StorageCheckError(f"{kind} {str(target)!r} is read-only (the storage must be written); "
                                    "use a writable place")


def check_rdb(url: str, *, connect_args: dict[str, Any], write: bool) -> None:
    """Refuse ``url`` unless it is empty or an Optuna storage, undamaged, and (with ``write``) writable.

    SQLite: a file that is not SQLite, or that fails ``PRAGMA quick_check`` (damaged pages), is refused; so is
    a read-only file or folder when ``write`` is set. Any database: tables that are not Optuna's, unless an
    Optuna ``version_info`` table is there too (a storage shared with other data), or a table with an Optuna
    name but other columns (e.g. an unrelated ``studies`` table), is refused. Nothing is written.

    SQLite: a file another process keeps locked past ``connect_args["timeout"]`` is refused as locked (naming the
    process where ``/proc`` shows it), never as damaged.

    Args:
        url: SQLAlchemy URL.
        connect_args: driver time limits (:func:`~optimizer.search._storage.connect_args`).
        write: the caller will write to the storage.

    Raises:
        StorageCheckError: see above.
        sqlalchemy.exc.SQLAlchemyError, ImportError: the server cannot be reached, a missing driver.
    """
    from optimizer.search._storage_spec import parse_storage

    spec = parse_storage(url)  # refuses a storage in memory
    sqlite = spec.kind == "sqlite"
    if sqlite:
        assert spec.file is not None
        path = spec.file
        if write:
            check_writable(path)
        if not path.exists():
            return
        with open(path, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise StorageCheckError(f"{str(path)!r} is not an SQLite database; {_HINT}")
    engine = sqlalchemy.create_engine(url, connect_args=connect_args, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            if sqlite:
                verdict = conn.exec_driver_sql("PRAGMA quick_check").scalar()  # reads every page once
                if verdict != "ok":
                    verdict = " ".join(str(verdict).replace("*** in database main ***", "").split())[:200]
                    raise StorageCheckError(f"{str(path)!r} is a damaged SQLite database ({verdict}); restore it "
                                            f"from a backup or {_HINT}")
            _check_tables(sqlalchemy.inspect(conn), spec.display)
    except sqlalchemy.exc.DatabaseError as exc:
        if not sqlite:
            raise
        if "locked" in str(exc.orig):  # a healthy file another process holds: waiting is the fix, not a backup
            raise StorageCheckError(f"{str(path)!r} is locked by {_lock_holders(path)} (waited "
                                    f"{connect_args.get('timeout', 5):g} s): wait for that program to finish or "
                                    "close it, then run again; the file was not changed") from None
        raise StorageCheckError(f"{str(path)!r} is a damaged SQLite database ({exc.orig}); restore it from a "
                                f"backup or {_HINT}") from None
    finally:
        engine.dispose()


def _check_tables(inspector: Any, where: str) -> None:
    names = set(inspector.get_table_names())
    for name in sorted(names & set(_OPTUNA_COLUMNS)):
        missing = _OPTUNA_COLUMNS[name] - {column["name"] for column in inspector.get_columns(name)}
        if missing:
            raise StorageCheckError(f"{where!r} has a table {name!r} that is not Optuna's (no column "
                                    f"{sorted(missing)[0]!r}); {_HINT}")
    if "version_info" in names:
        return
    from optuna.storages._rdb.models import BaseModel  # Optuna's table names, from Optuna's own schema

    others = sorted(n for n in names - set(BaseModel.metadata.tables) - {"alembic_version"}
                    if not n.startswith(_OWN_PREFIX))
    if others:
        shown = ", ".join(repr(n) for n in others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise StorageCheckError(f"{where!r} holds tables that are not an Optuna storage ({shown}); {_HINT}")


def _lock_holders(path: Path) -> str:
    """``process 123 (python3)`` for each other process holding a lock on ``path``, from ``/proc/locks`` (SQLite
    takes POSIX locks; psutil is no dependency and lists open files, not locks); ``another process`` where none
    is seen (another OS, or the lock went away)."""
    try:
        stat = path.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return "another process"
    where = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    pids = {fields[4] for fields in (line.split() for line in table.splitlines() if "->" not in line)  # not waiters
            if len(fields) > 5 and fields[5] == where and fields[4] != str(os.getpid())}
    found = []
    for pid in sorted(pids, key=int)[:3]:
        try:
            found.append(f"process {pid} ({Path('/proc', pid, 'comm').read_text().strip()})")
        except OSError:  # gone meanwhile
            continue
    return ", ".join(found) if found else "another process"
