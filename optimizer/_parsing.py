"""Reading small data files (genre TOML, preset JSON) so hostile ones fail with a sentence, not a traceback.

Python's parsers raise ``RecursionError`` on input nested about a thousand deep, ``ValueError`` on integers of
more than 4300 digits, and block forever on a FIFO; these helpers turn each into a :class:`DocumentError`.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_DEPTH", "DocumentError", "check_structure", "parse_int",
           "read_json_file", "read_small_file"]

MAX_DEPTH = 32
"""Deepest nesting of tables/objects and arrays accepted; genre and preset files need fewer than 8 levels."""
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""Integer range of TOML 1.0 ("arbitrary 64-bit signed integers"), also what databases and numpy store."""


class DocumentError(ValueError):
    """A data file cannot be read or holds what no valid file holds; the message names the file."""


def read_small_file(path: Path, *, max_bytes: int, what: str) -> bytes:
    """Read a regular file of at most ``max_bytes`` bytes.

    Args:
        path: the file.
        max_bytes: size limit in bytes.
        what: what the file should be, for messages (``"genre file"``).

    Raises:
        DocumentError: missing, a folder, not a regular file (FIFO, socket, device: never waited on),
            unreadable (permission denied, I/O error) or larger than ``max_bytes``.
    """
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of blocking; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such {what}.") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a folder, not a {what}.") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read the {what} ({exc.strerror or exc}).") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise DocumentError(f"{path}: is a folder, not a {what}.")
        raise DocumentError(f"{path}: is not a regular file (a pipe, socket or device), not a {what}.")
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(f"{path}: cannot read the {what} ({exc.strerror or exc}).") from None
    if len(data) > max_bytes:
        raise DocumentError(f"{path}: {what} is larger than {max_bytes} bytes.")
    return data


def read_json_file(path: Path, *, max_bytes: int, what: str) -> Any:
    """Read, parse and :func:`check_structure` a UTF-8 JSON file (NaN and Infinity are accepted as Python's
    json module does: preset files store NaN standard errors).

    Raises:
        DocumentError: as :func:`read_small_file`; not UTF-8 JSON (``"not a JSON file (...)"``); nested too
            deeply; or an integer outside the 64-bit range.
    """
    raw = read_small_file(path, max_bytes=max_bytes, what=what)
    try:
        document = json.loads(raw.decode("utf-8"), parse_int=parse_int)
    except DocumentError as exc:  # from parse_int
        raise DocumentError(f"{path}: not a {what} ({exc}).") from None
    except RecursionError:  # the json scanner recurses per nesting level
        raise DocumentError(f"{path}: not a {what} (nested too deeply to parse).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentError(f"{path}: not a JSON file ({exc}).") from None
    check_structure(document, source=str(path))
    return document


def check_structure(data: Any, *, source: str) -> None:
    """Refuse a parsed document nested deeper than :data:`MAX_DEPTH` or holding an integer outside
    [:data:`INT64_MIN`, :data:`INT64_MAX`], without recursion and without printing the integer.

    Raises:
        DocumentError: ``"<source>: field '<path>' ..."``.
    """
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                raise DocumentError(f"{source}: field '{where or '(top level)'}' is nested deeper than "
                                    f"{MAX_DEPTH} levels; not a valid file.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in items)
        elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            raise DocumentError(f"{source}: field '{where}' is an integer outside the 64-bit range.")


def parse_int(text: str) -> int:
    """``parse_int`` hook for :func:`json.loads`: refuses integers of more than 19 digits before converting
    them (``int()`` of 4301+ digits raises ValueError; the 64-bit range has at most 19).

    Raises:
        DocumentError: the integer is outside the 64-bit range.
    """
    digits = len(text) - (text[0] == "-")
    value = int(text) if digits <= 19 else None
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise DocumentError(f"an integer of {digits} digits is outside the 64-bit range")
    return value
