"""The one reading of a storage as given (``--storage``): every URL and path form Optuna accepts becomes a
:class:`StorageSpec` with the file behind it and a display form without the password; a storage that cannot
outlive the process is refused here, before anything is loaded or created."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from optimizer._errors import StorageError

__all__ = ["StorageSpec", "mask_secrets", "open_error", "parse_storage"]

_URL_PASSWORD = re.compile(r"([A-Za-z][\w+.-]*://[^:/@\s]*:)(\S+)(@)")  # greedy: a password may hold @
_MASK = "***"
_FORMS = "a database URL (sqlite:///optuna.db, postgresql://..., mysql+pymysql://...) or a path ending in .log"


@dataclass(frozen=True)
class StorageSpec:
    """A storage as given, read once.

    Attributes:
        given: the text as given (may hold a password: never print it; print :attr:`display`).
        kind: ``"sqlite"`` (a SQLite file), ``"journal"`` (a JournalStorage file) or ``"server"`` (any other
            SQLAlchemy URL: PostgreSQL, MySQL, ...).
        file: the local file behind a SQLite URL or a journal path (relative to the working folder as given,
            query string and ``file:`` URI prefix removed), or None for a server.
        display: :attr:`given` with the password replaced by ``***``; the only form that is printed or stored.
    """

    given: str = field(repr=False)
    kind: Literal["sqlite", "journal", "server"]
    file: Path | None
    display: str

    def __str__(self) -> str:
        return self.display

    @property
    def url(self) -> str:
        """The SQLAlchemy URL to connect with (password included); only for SQLite and servers."""
        return self.given

    def mask(self, text: str) -> str:
        """``text`` with this storage's password (and any other URL's) replaced by ``***``."""
        text = mask_secrets(text.replace(self.given, self.display))
        match = _URL_PASSWORD.search(self.given)
        raw = match.group(2) if match else ""
        for form in {raw, urllib.parse.unquote(raw), urllib.parse.quote(urllib.parse.unquote(raw), safe="")}:
            if len(form) >= 4:  # a shorter one would garble the text; the URL forms are masked above
                text = text.replace(form, _MASK)
        return text


def mask_secrets(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group(1) + _MASK + m.group(3), text)


def parse_storage(given: str) -> StorageSpec:
    """Read a storage as given: a SQLAlchemy URL (``sqlite:///optuna.db``, with or without a query string,
    ``postgresql+psycopg://user:pw@host/db``, ``mysql+pymysql://...``) or a path ending in ``.log`` (a
    JournalStorage file).

    Nothing is opened, created or imported beyond SQLAlchemy's URL parser.

    Raises:
        StorageError: the text is none of those forms, or the storage lives only in memory (``sqlite://``,
            ``sqlite:///:memory:`` with or without a query, ``sqlite:///file::memory:?uri=true``, ``mode=memory``
            or ``vfs=memdb`` URIs): the study would be lost when the process exits.
    """
    import sqlalchemy.engine
    import sqlalchemy.exc

    display = mask_secrets(given)
    if "://" not in given:
        if given.endswith(".log"):
            return StorageSpec(given=given, kind="journal", file=Path(given), display=given)
        hint = f"; for a SQLite file write sqlite:///{given}" if given.endswith((".db", ".sqlite", ".sqlite3")) else ""
        raise StorageError(display, f"cannot open storage {display!r}: it must be {_FORMS}{hint}.")
    try:
        parsed = sqlalchemy.engine.make_url(given)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        raise StorageError(display, f"cannot open storage {display!r}: {mask_secrets(reason)}.") from None
    if parsed.password and f":{parsed.password}@" in display:  # a form the pattern misses: SQLAlchemy's rendering
        display = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() != "sqlite":
        return StorageSpec(given=given, kind="server", file=None, display=display)
    path = _sqlite_file(parsed.database or "", dict(parsed.query))
    if path is None:
        raise StorageError(display, f"cannot use the storage {display!r}: it lives in memory and the study would be "
                                    "lost when the command exits; give a file, e.g. sqlite:///optuna.db.")
    return StorageSpec(given=given, kind="sqlite", file=path, display=display)


def _sqlite_file(database: str, query: dict) -> Path | None:
    """The file SQLite opens for ``database`` (as pysqlite does, honouring ``uri=true``), or None in memory."""
    if database in ("", ":memory:"):
        return None
    uri = str(query.get("uri", "")).lower() in ("true", "1", "yes")
    if not (uri and database.startswith("file:")):
        return Path(database)
    inner = urllib.parse.urlsplit(database)
    path = urllib.parse.unquote(inner.path)
    params = {**dict(urllib.parse.parse_qsl(inner.query)), **{k: str(v) for k, v in query.items()}}
    if path in ("", ":memory:") or params.get("mode") == "memory" or params.get("vfs") == "memdb":
        return None
    return Path(path)



def open_error(spec: StorageSpec, exc: BaseException) -> StorageError:
    """The one sentence for a storage that could not be opened (``exc``: SQLAlchemy's, a driver's, a refused
    check's), naming it without its password."""
    reason = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
    return StorageError(spec.display, spec.mask(f"cannot open storage {spec.display!r}: {reason.rstrip('.')}."))
