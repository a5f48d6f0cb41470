"""Writing output files atomically: a reader (another app, a browser) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["check_creatable_folder", "write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder and ``os.replace``,
    creating the folder. The file gets the usual ``0o666 & ~umask`` mode (``mkstemp`` alone would make it
    private, and presets and reports are meant to be read by other programs and people).

    Raises:
        OSError: the folder cannot be created or written (no temporary file is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_creatable_folder(folder: Path, problem: str, hint: str) -> None:
    """Refuse, before anything is written, a ``folder`` that is not (and cannot be made) a writable folder.

    Raises:
        UsageError: ``"<problem> '<folder>': '<first existing ancestor>' is not a writable folder; <hint>."``
    """
    from optimizer._errors import UsageError

    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise UsageError(f"{problem} {str(folder)!r}: {str(existing)!r} is not a writable folder; {hint}.")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
