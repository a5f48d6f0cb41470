"""Writing output files atomically: a reader (another app, a browser) never sees half a file."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["check_creatable_folder", "write_files_atomic", "write_text_atomic"]


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


def write_files_atomic(contents: Mapping[Path, bytes], *, overwrite: bool) -> None:
    """Write several files that belong together (a clip and its sidecar): every file is written to a temporary
    file in its folder and flushed to disk first; only then are they moved into place, so a full device or an
    I/O error leaves no partial file and no temporary file behind.

    Args:
        contents: final path -> bytes; the folders must exist.
        overwrite: replace existing files. When False an existing file is never replaced, even one created
            after the caller's own check: a hard link is used to publish (it fails on an existing name), and the
            files this call already published are removed again if a later one exists.

    Raises:
        FileExistsError: ``overwrite`` is False and a path exists (``filename`` names it).
        OSError: a file cannot be written (``ENOSPC``, ``EROFS``, ``EACCES``, ...).
    """
    temps: dict[Path, str] = {}
    published: list[Path] = []
    try:
        for path, data in contents.items():
            fd, temps[path] = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(temps[path], 0o666 & ~_umask())
        for path, tmp in temps.items():
            _publish(tmp, path, overwrite=overwrite)
            published.append(path)
    except BaseException:
        if not overwrite:  # without overwrite, what this call published are new files of its own
            for path in published:
                path.unlink(missing_ok=True)
        raise
    finally:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)


def _publish(tmp: str, path: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic "create if absent" (os.replace would silently replace)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
    except OSError as exc:  # a filesystem without hard links (FAT, some network mounts): check, then replace
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
