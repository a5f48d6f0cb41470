"""optuna-dashboard served from a background thread of this process (``optimize --human --dashboard``)."""

from __future__ import annotations

import socket
import threading
from socketserver import ThreadingMixIn
from types import TracebackType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import optuna
import optuna_dashboard
from optuna.artifacts import FileSystemArtifactStore

__all__ = ["BackgroundDashboard", "dashboard_url"]


def dashboard_url(host: str, port: int) -> str:
    """``http://host:port`` (IPv6 addresses in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would scroll the run's progress display away


class BackgroundDashboard:
    """optuna-dashboard's WSGI app (:func:`optuna_dashboard.wsgi`) on a stdlib threading server, in a daemon thread.

    The port is bound in the constructor, so a port in use fails before anything else starts. Use as a context
    manager; leaving it stops the server.

    Args:
        storage: the study's storage (a separate object from the runner's is fine).
        artifact_store: where the trials' clips are.
        host: address to bind, e.g. ``127.0.0.1``.
        port: TCP port, 1-65535.

    Raises:
        OSError: the address cannot be bound (port in use, unknown host).
    """

    def __init__(self, *, storage: optuna.storages.BaseStorage, artifact_store: FileSystemArtifactStore | None,
                 host: str, port: int) -> None:
        app = optuna_dashboard.wsgi(storage, artifact_store=artifact_store)
        self.url = dashboard_url(host, port)
        server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
        self._server = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="mgopt-dashboard", daemon=True)

    def __enter__(self) -> BackgroundDashboard:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
