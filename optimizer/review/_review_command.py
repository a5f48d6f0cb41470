"""The command line that opens a study in optuna-dashboard, as printed and documented everywhere (no torch)."""

from __future__ import annotations

import shlex
from pathlib import Path

__all__ = ["dashboard_command"]


def dashboard_command(storage: str, artifact_dir: Path | None, *, host: str | None = None,
                      port: int | None = None) -> str:
    """The ``optuna-dashboard`` command for ``storage``, shell-quoted, ready to paste.

    Args:
        storage: the ``--storage`` of the run (an RDB URL or a ``.log`` journal path; optuna-dashboard reads both).
        artifact_dir: the folder the run uploaded clips and spectrograms to, or None for a run without
            artifacts. Without ``--artifact-dir`` the dashboard answers 400 for every clip and sheet.
        host: ``--host`` to pass, or None for optuna-dashboard's default (127.0.0.1).
        port: ``--port`` to pass, or None for its default (8080).
    """
    from optimizer.search import mask_secrets

    words = ["optuna-dashboard", mask_secrets(storage)]  # a password is shown as ***: type it back in
    if artifact_dir is not None:
        words += ["--artifact-dir", str(artifact_dir)]
    if host is not None:
        words += ["--host", host]
    if port is not None:
        words += ["--port", str(port)]
    return shlex.join(words)
