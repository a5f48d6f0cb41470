"""An RDB storage that rides out a database that drops connections or is unreachable for a few seconds, and
whose every network call has a time limit."""

from __future__ import annotations

import functools
import inspect
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

import optuna
import sqlalchemy.engine
import sqlalchemy.exc

from optimizer._errors import StorageWriteError

__all__ = ["CONNECT_TIMEOUT_S", "MYSQL_READ_TIMEOUT_S", "RetryingRDBStorage", "connect_args", "engine_options",
           "is_connection_error", "open_rdb_storage"]

CONNECT_TIMEOUT_S = 10
"""Longest wait for a database server to accept a connection and answer its handshake, and for a SQLite file
another process has locked, seconds: opening a storage is bounded by it in every command."""
MYSQL_READ_TIMEOUT_S = 60
"""Longest wait for MySQL to answer (its handshake too: PyMySQL reads it under the read timeout), seconds; above
InnoDB's default 50 s lock wait, so a statement waiting on a lock gets MySQL's own error first."""

_F = TypeVar("_F", bound=Callable[..., Any])


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it, as Optuna wraps commit errors in ``StorageInternalError``) is
    SQLAlchemy's word for a lost or refused connection, not a bad statement or a constraint violation."""
    seen = exc
    while seen is not None:
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and isinstance(seen.orig, sqlite3.Error):
            # SQLite has no connection to lose: only a lock held by another process passes with time.
            return "locked" in str(seen.orig)
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and (
                seen.connection_invalidated or isinstance(seen, sqlalchemy.exc.OperationalError)):
            return True
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    return False


def _retrying(method: _F) -> _F:
    @functools.wraps(method)
    def call(self: RetryingRDBStorage, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.25
        while True:
            try:
                return method(self, *args, **kwargs)
            except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as exc:
                if is_connection_error(exc) and time.monotonic() + delay <= deadline:
                    time.sleep(delay)
                    delay = min(2 * delay, 4.0)
                    continue
                fault = _storage_fault(exc)
                if fault is None:
                    raise
                raise StorageWriteError(f"cannot use the storage {_safe_url(self.url)!r}: {fault}") from exc

    return call  # type: ignore[return-value]


class RetryingRDBStorage(optuna.storages.RDBStorage):
    """``RDBStorage`` whose public calls are retried, with exponential backoff up to ``retry_seconds``
    (default 60), while the database connection is lost; other errors pass through at once.

    Connections are also checked before use (``pool_pre_ping``), so one the server dropped while idle is
    replaced silently. A call that had committed before its connection died may run twice; for trial
    creation that leaves a RUNNING trial without heartbeat, which stale-trial recovery fails and retries.
    """

    retry_seconds: float = 60.0


# optuna.create_study wraps an RDBStorage in _CachedStorage, which calls these private methods directly.
_CALLED_BY_CACHED_STORAGE = ("_create_new_trial", "_set_trial_param", "_get_best_trial_id", "_get_trials",
                             "_get_stale_trial_ids")
for _name, _method in inspect.getmembers(optuna.storages.RDBStorage, inspect.isfunction):
    if not _name.startswith("_") or _name in _CALLED_BY_CACHED_STORAGE:
        setattr(RetryingRDBStorage, _name, _retrying(_method))


def connect_args(url: str, *, opening: bool = False) -> dict[str, Any]:
    """Driver time limits for ``url``, the same for every command: ``connect_timeout``
    (:data:`CONNECT_TIMEOUT_S`) for PostgreSQL and MySQL, ``read_timeout``/``write_timeout``
    (:data:`MYSQL_READ_TIMEOUT_S`, or :data:`CONNECT_TIMEOUT_S` while ``opening``: PyMySQL reads the server's
    handshake under the read timeout) for MySQL (PyMySQL, mysqlclient), and SQLite's busy ``timeout``
    (:data:`CONNECT_TIMEOUT_S`: how long to wait for another process's lock); every one the URL's query already
    sets is left out. Empty for other databases.

    Raises:
        sqlalchemy.exc.ArgumentError: ``url`` is not a database URL.
    """
    parsed = sqlalchemy.engine.make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    limits: dict[str, Any] = {}
    if backend == "postgresql" and driver in ("psycopg", "psycopg2", "psycopg2cffi"):
        limits = {"connect_timeout": CONNECT_TIMEOUT_S}
    elif backend in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
        read = CONNECT_TIMEOUT_S if opening else MYSQL_READ_TIMEOUT_S
        limits = {"connect_timeout": CONNECT_TIMEOUT_S, "read_timeout": read, "write_timeout": read}
    elif backend == "sqlite":
        limits = {"timeout": CONNECT_TIMEOUT_S}
    return {key: value for key, value in limits.items() if key not in parsed.query}


def engine_options(url: str) -> dict[str, Any]:
    """``create_engine`` keyword arguments of every long-lived engine on ``url`` (the study's, the preset
    service's): :func:`connect_args`, and ``pool_pre_ping`` on servers (a connection dropped while idle is
    replaced silently)."""
    options: dict[str, Any] = {"connect_args": connect_args(url)}
    if not url.startswith("sqlite"):
        options["pool_pre_ping"] = True
    return options


def open_rdb_storage(url: str, *, write: bool = True, attempts: int = 8) -> RetryingRDBStorage:
    """Open ``url`` as a :class:`RetryingRDBStorage` (``pool_pre_ping`` and :func:`connect_args` on servers),
    after :func:`~optimizer.search._storage_check.check_rdb` has made sure it is empty or Optuna's.

    Time limits: opening makes one attempt, so an unreachable server, or one that accepts but never answers,
    fails the check within :data:`CONNECT_TIMEOUT_S` (a few such waits at most, one per connection). Later calls
    retry a lost connection until ``retry_seconds`` (60 s) have passed, the last attempt adding at most one such
    limit, then raise :class:`~optimizer._errors.StorageWriteError`.

    Workers starting together on an empty database race to create Optuna's tables; PostgreSQL then
    reports a duplicate type, MySQL an existing table, to all but one. That is retried (the tables exist
    by then), up to ``attempts``.

    Raises:
        optimizer.search._storage_check.StorageCheckError: the database holds other tables, is damaged, or is
            read-only while ``write`` is set.
        sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError: as ``RDBStorage`` does for a bad URL, a
            missing driver or an unreachable server.
    """
    from optimizer.search._storage_check import check_rdb

    check_rdb(url, connect_args=connect_args(url, opening=True), write=write)
    engine_kwargs = engine_options(url)
    for attempt in range(1, attempts + 1):
        try:
            return RetryingRDBStorage(url, engine_kwargs=engine_kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError,
                sqlalchemy.exc.OperationalError) as exc:
            # PostgreSQL: duplicate type (IntegrityError); MySQL: table already exists (OperationalError 1050).
            racing = not isinstance(exc, sqlalchemy.exc.OperationalError) or "already exists" in str(exc)
            if not racing or attempt == attempts:
                raise
            time.sleep(0.25 * attempt)
    raise AssertionError("unreachable")


def _storage_fault(exc: BaseException) -> str | None:
    """What to tell the user about a storage error that retrying did not or cannot cure: a lost server after
    the retry budget, or a SQLite error (full disk, read-only, damaged file); None for other errors."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and isinstance(seen.orig, sqlite3.Error):
            return str(seen.orig).strip().splitlines()[0] if str(seen.orig).strip() else type(seen.orig).__name__
        seen = seen.__cause__ or seen.__context__
    if is_connection_error(exc):
        return f"the database server has not answered for {RetryingRDBStorage.retry_seconds:g} s"
    return None


def _safe_url(url: str) -> str:
    from optimizer.search._storage_spec import mask_secrets

    return mask_secrets(url)
