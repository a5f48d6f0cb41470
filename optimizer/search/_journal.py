"""A journal file that a write cut short (full disk, crash) cannot make unreadable, and that refuses files that
are not Optuna journals."""

from __future__ import annotations

import errno
import json
import os
from typing import Any

from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file

from optimizer._errors import StorageWriteError

__all__ = ["JournalFile", "NotAJournalError"]

_RECORD_START = b'{"op_code":'
"""How every record Optuna writes begins (``json.dumps`` of ``{"op_code": ..., ...}`` without spaces)."""
_CHUNK = 1 << 16
_MAX_RECORD = 64 << 20
"""Longest record the checks look for (bytes); Optuna's own records are a few kB."""


class NotAJournalError(ValueError):
    """The file exists but is not an Optuna journal (or its last complete record is damaged)."""


class JournalFile(JournalFileBackend):
    """Optuna's :class:`~optuna.storages.journal.JournalFileBackend`, safe against a torn last record.

    Optuna's reader skips a last line without a newline (a record whose write was cut short), but its
    ``append_logs`` writes after those bytes, fusing them with the next record into a line no reader can
    parse, which makes every later read of the study fail. Here each append first cuts such a torn tail
    (under the journal lock, so it is never a record another process is still writing), and an append that
    fails (full disk, read-only file system) cuts back what it wrote, so the file keeps every complete record.

    Args:
        file_path: the journal file; created empty if missing.

    Raises:
        NotAJournalError: the file has content that is not an Optuna journal: its first line or its last
            complete line is not a JSON record with an ``op_code``, or its unterminated tail is not the
            beginning of one.
        OSError: the file cannot be read or created.
    """

    def __init__(self, file_path: str) -> None:
        if os.path.exists(file_path):
            check_journal(file_path)
        super().__init__(file_path)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` as one line each, after cutting a torn tail.

        Raises:
            StorageWriteError: the file or its lock could not be written (full disk, read-only, no
                permission), or it now ends in bytes no journal writer wrote; the file is left with exactly
                the records it had.
        """
        payload = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode("utf-8")
        try:
            with get_lock_file(self._lock):
                self._append_locked(payload)
        except RuntimeError as exc:  # Optuna's lock reports a failed lock-file creation as "did not possess lock"
            cause = exc.__context__ if isinstance(exc.__context__, OSError) else None
            raise StorageWriteError(_write_problem(self._file_path, cause)) from exc
        except OSError as exc:
            raise StorageWriteError(_write_problem(self._file_path, exc)) from exc
        except NotAJournalError as exc:  # something else appended to the file meanwhile
            raise StorageWriteError(f"cannot write to the journal: {exc}") from exc

    def _append_locked(self, payload: bytes) -> None:
        fd = os.open(self._file_path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            end = _complete_end(fd, size, self._file_path)
            if end != size:
                os.ftruncate(fd, end)
            try:
                written = 0
                while written < len(payload):
                    written += os.pwrite(fd, payload[written:], end + written)
                os.fsync(fd)
            except BaseException:  # a full disk, or Ctrl-C between two writes
                os.ftruncate(fd, end)  # a partial record would be fused with the next append
                raise
        finally:
            os.close(fd)


def check_journal(file_path: str) -> int:
    """Check that ``file_path`` is an Optuna journal (an empty file is one).

    Reads the first line, the last complete line and the unterminated tail only, not the whole file;
    Optuna itself reports damage in between when it replays the file.

    Returns:
        The length in bytes of the torn tail (0 when the file ends with a complete record).

    Raises:
        NotAJournalError: see :class:`JournalFile`.
        OSError: the file cannot be read.
    """
    with open(file_path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        end = _complete_end(fh.fileno(), size, file_path)
        if end == 0:
            return size
        first = fh.readline(min(end, _MAX_RECORD))
        _check_record(file_path, first, "first")
        last_start = _line_start(fh.fileno(), end - 1, file_path)
        fh.seek(last_start)
        _check_record(file_path, fh.read(end - last_start), "last complete")
    return size - end


def _check_record(path: str, line: bytes, which: str) -> None:
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict) or "op_code" not in record:
        raise NotAJournalError(f"{path!r} is not an Optuna journal file (its {which} line is not a journal record)")


def _complete_end(fd: int, size: int, path: str) -> int:
    """Offset just after the last newline of the file; raises :class:`NotAJournalError` when the bytes after
    it cannot be the start of a record cut short."""
    end = _line_start(fd, size, path)
    tail = os.pread(fd, min(size - end, len(_RECORD_START)), end)
    if tail and not (tail.startswith(_RECORD_START[:len(tail)]) or tail.strip(b"\0") == b""):
        raise NotAJournalError(f"{path!r} is not an Optuna journal file (it ends in bytes that are not a record)")
    return end


def _line_start(fd: int, end: int, path: str) -> int:
    """Offset just after the last newline before ``end`` (0 when there is none)."""
    position = end
    while position > 0 and end - position < _MAX_RECORD:
        start = max(0, position - _CHUNK)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    if position > 0:
        raise NotAJournalError(f"{path!r} is not an Optuna journal file (it has a line longer than "
                               f"{_MAX_RECORD >> 20} MiB)")
    return 0


def _write_problem(path: str, exc: OSError | None) -> str:
    if exc is not None and exc.errno == errno.ENOSPC:
        reason = "the disk is full"
    elif exc is not None and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = "it is read-only"
    else:
        reason = (exc.strerror or str(exc)) if exc is not None else "its lock file could not be created"
    return f"cannot write to the journal {path!r}: {reason}; every complete record in it is kept"
