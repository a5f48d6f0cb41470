"""``optimize --dashboard``: serve optuna-dashboard on the storage and its artifact folder (alone, or beside
``--human``)."""

from __future__ import annotations

import socket

from rich.console import Console

from optimizer._errors import UsageError
from optimizer.run._options import RunOptions
from optimizer.run._resources import artifact_dir, artifact_store

__all__ = ["bind_dashboard", "run_dashboard"]


def run_dashboard(opts: RunOptions, console: Console) -> int:
    """Serve optuna-dashboard for ``--storage`` and the artifact folder until Ctrl-C.

    The address is bound first, so a host that does not resolve or a port in use is refused before anything is
    printed as listening or any folder is created.
    """
    import time

    from optimizer.search import open_storage, parse_storage

    spec = parse_storage(opts.storage)
    if spec.file is not None and not spec.file.exists():
        raise UsageError(f"no storage at {spec.display!r}: run the search first.")
    if not 0 < opts.port < 65536:
        raise UsageError(f"--port must be in 1-65535 but got {opts.port}.")
    with bind_dashboard(opts) as server:
        storage = open_storage(opts.storage)
        store = artifact_store(opts)
        console.print(f"optuna-dashboard for {spec.display} (artifacts in {artifact_dir(opts)}): "
                      f"{server.url}/  (Ctrl-C stops it)")
        if opts.host not in ("127.0.0.1", "localhost", "::1"):
            console.print(f"[yellow]Listening on {opts.host}: reachable from other machines.[/yellow]")
        server.serve(storage=storage, artifact_store=store)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def bind_dashboard(opts: RunOptions):
    """The port of ``--human --dashboard``, bound before anything is loaded or written (a port in use is a usage
    error); the run serves the dashboard on it once the study is open."""
    from optimizer.review import BackgroundDashboard

    try:
        return BackgroundDashboard(host=opts.host, port=opts.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        fix = "pass another --host" if isinstance(exc, socket.gaierror) else "pass another --port"
        raise UsageError(f"cannot serve the dashboard on {opts.host}:{opts.port}: {reason}; {fix}.") from None
