"""The output-path policy of every command: a command replaces only a file it wrote itself, atomically.

One rule for every writer (preset files, reports, saved clips, ``generate``'s clip and sidecar, benchmark tables):

* a path that does not exist is created (its folder must exist or be creatable);
* a regular file is replaced only when it is recognised, by its content, as this tool's own file for the same
  study (a preset file whose ``provenance.study`` names the study, a report whose generator tag names it), or
  when the caller passes ``overwrite`` (an explicit flag of the command);
* a symbolic link, folder, device, FIFO or socket is never replaced, whatever the flag;
* the check runs before any model loads, and again just before the write (a long run may meet a path changed
  meanwhile); files are written through a temporary file and ``os.replace`` (:mod:`optimizer._files`).

Several studies may share one genre: :func:`study_output_path` gives the genre's file (``<genre>.json``) to the
first study that writes it and a file named after the study (``<genre>.<slug>.json``) to every other one;
:func:`find_study_output` finds a study's file again from its name.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from optimizer._errors import UsageError
from optimizer._files import check_creatable_folder, write_files_atomic, write_text_atomic

__all__ = ["REPORT_GENERATOR", "OutputPathError", "check_output", "clip_folder", "create_new_files",
           "find_study_output", "path_kind", "preset_study", "replace_own_file", "report_meta", "report_study",
           "study_output_path", "study_slug"]

REPORT_GENERATOR = "musicgen-decoding-optimizer report"
"""The ``<meta name="generator">`` of every report this tool writes: how a report is recognised as its own."""
_MAX_PRESET_BYTES = 16_000_000  # the preset loader's limit
_REPORT_HEAD_BYTES = 16384  # the generator tags sit in the first lines of the page

StudyOf = Callable[[Path], "str | None"]
"""Reads a regular file and returns the study this tool wrote it for, or None when it is not this tool's file."""


class OutputPathError(UsageError):
    """An output path the command must not replace: another program's file, another study's file, a special file."""


def path_kind(path: Path) -> str | None:
    """What ``path`` is, without following a final symbolic link: None when absent, ``"file"`` for a regular file,
    else ``"a symbolic link"``, ``"a folder"``, ``"a device"``, ``"a FIFO"``, ``"a socket"`` or ``"a special file"``."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:  # a parent is a file: the folder check says so
        return None
    if stat.S_ISREG(mode):
        return "file"
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def check_output(path: Path, *, what: str, hint: str, study: str | None = None, study_of: StudyOf | None = None,
                 overwrite: bool = False) -> None:
    """Refuse ``path`` unless the command may write it (see the module's rule); nothing is written.

    Args:
        path: the output file.
        what: what the file is, to start the sentence (``"the report"``).
        hint: what to do instead, to end it (written by the command-line layer, which knows its flags).
        study: the study the file is written for; with ``study_of``, an existing file of this tool for that study
            is replaced.
        study_of: recognises this tool's files (:func:`preset_study`, :func:`report_study`), or None when no
            existing file is the command's own (``generate`` without its overwrite flag).
        overwrite: replace an existing regular file whatever it holds (never a link or special file).

    Raises:
        OutputPathError: ``"<what> <path> <reason>; <hint>."``, the reason naming what the path is.
    """
    kind = path_kind(path)
    if kind is None:
        check_creatable_folder(path.parent, f"cannot write {what} to", hint)
        return
    if kind != "file":
        raise OutputPathError(f"{what} {str(path)!r} is {kind}, which is never replaced; {hint}.")
    if overwrite:
        return
    owner = study_of(path) if study_of is not None else None
    if owner is not None and owner == study:
        if not os.access(path.parent, os.W_OK):
            raise OutputPathError(f"cannot write {what} to {str(path)!r}: its folder is not writable; {hint}.")
        return
    if study_of is None:
        raise OutputPathError(f"{what} {str(path)!r} already exists; {hint}.")
    whose = (f"holds the output of study {owner[:80]!r}" if owner is not None else "was not written by this command")
    raise OutputPathError(f"{what} {str(path)!r} already exists and {whose}, so it is left as it is; {hint}.")


def replace_own_file(path: Path, content: str | bytes, *, what: str, hint: str, study: str | None = None,
                     study_of: StudyOf | None = None, overwrite: bool = False) -> Path:
    """:func:`check_output` again (the path may have changed since the pre-check), then write ``content`` (text as
    UTF-8) atomically, creating the folder.

    Raises:
        OutputPathError: as :func:`check_output`.
        OSError: the file cannot be written (nothing is left behind).
    """
    check_output(path, what=what, hint=hint, study=study, study_of=study_of, overwrite=overwrite)
    if isinstance(content, str):
        return write_text_atomic(path, content)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_files_atomic({path: content}, overwrite=True)
    return path


def create_new_files(contents: dict[Path, bytes]) -> None:
    """Create files that must not exist yet (saved clips): an existing name, a symbolic link included, is never
    replaced or followed (``FileExistsError``); a failure leaves none of them behind.

    Raises:
        FileExistsError: a path exists.
        OSError: a file cannot be written.
    """
    write_files_atomic(contents, overwrite=False)


def study_slug(study: str) -> str:
    """A file-name-safe label of a study name, unique per name: its letters and digits (at most 40) and 8 hex
    digits of its SHA-256 (``"jazz/debug"`` -> ``"jazz-debug-2c6f1a0b"``)."""
    label = re.sub(r"[^a-z0-9_]+", "-", study.lower()).strip("-")[:40].strip("-") or "study"
    return f"{label}-{hashlib.sha256(study.encode('utf-8')).hexdigest()[:8]}"


def study_output_path(folder: Path, stem: str, suffix: str, *, study: str, study_of: StudyOf,
                      shared: bool = True) -> Path:
    """Where ``study``'s file goes when several studies share ``stem`` (a genre).

    With ``shared`` (the genre's default study): ``<stem><suffix>`` while it is absent or this tool's file for
    ``study``, ``<stem>.<slug><suffix>`` (:func:`study_slug`) when it belongs to another study, and
    ``<stem><suffix>`` when it is another program's file or a special file (which :func:`check_output` refuses).
    Without ``shared`` (a study named by the user): always ``<stem>.<slug><suffix>``.
    """
    own = folder / f"{stem}.{study_slug(study)}{suffix}"
    shared_path = folder / f"{stem}{suffix}"
    if not shared:
        return own
    if path_kind(shared_path) != "file":
        return shared_path
    owner = study_of(shared_path)
    return own if owner is not None and owner != study else shared_path


def clip_folder(base: Path, *, study: str, storage: str) -> Path:
    """The folder of one study's saved clips under ``base``: ``<slug of the study name>-<8 hex digits of the study
    name and its storage>``, so studies of any genre, name or storage never write over each other's clips."""
    label = study_slug(study).rsplit("-", 1)[0]
    digest = hashlib.sha256(f"{study}\0{storage}".encode()).hexdigest()[:8]
    return base / f"{label}-{digest}"


def find_study_output(folder: Path, stems: list[str], suffix: str, *, study: str, study_of: StudyOf) -> Path | None:
    """The existing file of this tool for ``study`` among ``<stem><suffix>`` and ``<stem>.<slug><suffix>`` for each
    stem (the places :func:`study_output_path` can choose), or None."""
    for stem in stems:
        for path in (folder / f"{stem}{suffix}", folder / f"{stem}.{study_slug(study)}{suffix}"):
            if path_kind(path) == "file" and study_of(path) == study:
                return path
    return None


def preset_study(path: Path) -> str | None:
    """The study a preset file was exported from (its ``provenance.study``), or None when ``path`` is not a
    preset file of this tool (not JSON, no ``schema_version``/``presets``, unreadable, special)."""
    from optimizer._parsing import DocumentError, read_json_file

    if path_kind(path) != "file":
        return None
    try:
        document = read_json_file(path, max_bytes=_MAX_PRESET_BYTES, what="preset file")
    except DocumentError:
        return None
    if not (isinstance(document, dict) and isinstance(document.get("schema_version"), int)
            and isinstance(document.get("presets"), dict) and isinstance(document.get("provenance"), dict)):
        return None
    study = document["provenance"].get("study")
    return study if isinstance(study, str) else None


def report_meta(study: str) -> str:
    """The ``<meta>`` tags that mark a report of this tool and name its study (:func:`report_study` reads them)."""
    return (f'<meta name="generator" content="{REPORT_GENERATOR}">'
            f'<meta name="mgopt-study" content="{html.escape(study, quote=True)}">')


def report_study(path: Path) -> str | None:
    """The study of a report this tool wrote (its ``mgopt-study`` tag), or None for any other file."""
    if path_kind(path) != "file":
        return None
    try:
        with open(path, "rb") as fh:
            head = fh.read(_REPORT_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    if f'<meta name="generator" content="{REPORT_GENERATOR}">' not in head:
        return None
    found = re.search(r'<meta name="mgopt-study" content="([^"]*)">', head)
    return html.unescape(found.group(1)) if found else None
