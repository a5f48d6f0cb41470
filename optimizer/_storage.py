"""An RDB storage that rides out a database that drops connections or is unreachable for a few seconds."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

import optuna
import sqlalchemy.exc

__all__ = ["RetryingRDBStorage", "is_connection_error", "open_rdb_storage"]

_F = TypeVar("_F", bound=Callable[..., Any])


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it, as Optuna wraps commit errors in ``StorageInternalError``) is
    SQLAlchemy's word for a lost or refused connection, not a bad statement or a constraint violation."""
    seen = exc
    while seen is not None:
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
                if not is_connection_error(exc) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(2 * delay, 4.0)

    return call  # type: ignore[return-value]


class RetryingRDBStorage(optuna.storages.RDBStorage):
    """``RDBStorage`` whose public calls are retried, with exponential backoff up to ``retry_seconds``
    (default 60), while the database connection is lost; other errors pass through at once.

    Connections are also checked before use (``pool_pre_ping``), so one the server dropped while idle is
    replaced silently. A call that had committed before its connection died may run twice; for trial
    creation that leaves a RUNNING trial without heartbeat, which stale-trial recovery fails and retries.
    """

    retry_seconds: float = 60.0


for _name, _method in inspect.getmembers(optuna.storages.RDBStorage, inspect.isfunction):
    if not _name.startswith("_"):
        setattr(RetryingRDBStorage, _name, _retrying(_method))


def open_rdb_storage(url: str, *, attempts: int = 8) -> RetryingRDBStorage:
    """Open ``url`` as a :class:`RetryingRDBStorage` (``pool_pre_ping`` on servers).

    Workers starting together on an empty database race to create Optuna's tables; PostgreSQL then
    reports a duplicate type, MySQL an existing table, to all but one. That is retried (the tables exist
    by then), up to ``attempts``.

    Raises:
        sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError: as ``RDBStorage`` does for a bad URL, a
            missing driver or an unreachable server.
    """
    engine_kwargs = None if url.startswith("sqlite") else {"pool_pre_ping": True}
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
