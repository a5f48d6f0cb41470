"""Where ``optimize`` writes (storage, artifact folder, presets folder): refused before anything is loaded."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from optimizer._errors import UsageError
from optimizer.run._options import RunOptions

__all__ = ["artifact_dir", "artifact_store", "precheck_artifact_dir", "precheck_folder", "precheck_storage",
           "resume_command"]


def artifact_dir(opts: RunOptions) -> Path:
    """``--artifact-dir``, or the folder beside the storage (see
    :func:`optimizer.search._artifacts.default_artifact_dir`)."""
    from optimizer.search import default_artifact_dir

    return opts.artifact_dir or default_artifact_dir(opts.storage)


def precheck_folder(folder: Path, problem: str, hint: str) -> None:
    """Refuse ``folder`` unless it exists as a writable folder or could be created; ``problem`` and ``hint``
    start and end the sentence (see :func:`optimizer._files.check_creatable_folder`)."""
    from optimizer._files import check_creatable_folder

    check_creatable_folder(folder, problem, hint)


def precheck_artifact_dir(folder: Path) -> None:
    """Refuse an artifact folder that could not be created, before anything is written."""
    precheck_folder(folder, "cannot create the artifact folder", "pass --artifact-dir or --no-artifacts")


def artifact_store(opts: RunOptions):
    """The Optuna artifact store in :func:`artifact_dir` (created); an unwritable folder is a usage error."""
    from optimizer.search import open_artifact_store

    try:
        return open_artifact_store(artifact_dir(opts))
    except OSError as exc:
        raise UsageError(f"cannot create the artifact folder {str(artifact_dir(opts))!r}: "
                         f"{exc.strerror or exc}; pass --artifact-dir or --no-artifacts.") from None


def precheck_storage(url: str, name: str, spec) -> None:
    """Refuse a storage that cannot be used (:func:`~optimizer.search._storage_spec.parse_storage`, then the
    checks of :func:`~optimizer.search._study.open_storage`) or an incompatible existing study, before any model
    is loaded or any file is created; every storage form goes through here."""
    from optimizer.search import check_compatible, check_new_storage_file, find_study, open_storage, parse_storage

    storage = parse_storage(url)
    path = storage.file
    if path is not None and not path.exists():
        if not path.parent.exists():
            raise UsageError(f"cannot create the storage {storage.display!r}: folder {str(path.parent)!r} does not "
                             "exist.")
        check_new_storage_file(url, path)
        return
    existing = find_study(open_storage(url), name)
    if existing is not None:
        check_compatible(existing, spec)


def resume_command() -> str:
    """The command line that resumes this run (``optimize`` and its arguments, shell-quoted), with the password
    of a storage URL shown as ``***`` (type it back in)."""
    from optimizer.search import mask_secrets

    return " ".join(shlex.quote(mask_secrets(a)) for a in ["optimize", *sys.argv[1:]])
