"""optuna-dashboard served from a background thread of this process (``optimize --human --dashboard``)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
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

    The port is bound in the constructor, so a port in use fails before any model is loaded or any file is
    written; :meth:`serve` starts answering. Leaving the context manager stops the server and frees the port.

    Args:
        host: address to bind, e.g. ``127.0.0.1``.
        port: TCP port, 1-65535.

    Raises:
        OSError: the address cannot be bound (port in use, unknown host).
    """

    def __init__(self, *, host: str, port: int) -> None:
        self.url = dashboard_url(host, port)
        server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
        self._server = make_server(host, port, _not_ready, server_class=server_class, handler_class=_QuietHandler)
        self._thread: threading.Thread | None = None

    def serve(self, *, storage: optuna.storages.BaseStorage, artifact_store: FileSystemArtifactStore | None) -> None:
        """Serve the dashboard of ``storage`` (a separate object from the runner's is fine) and its artifacts."""
        self._server.set_app(optuna_dashboard.wsgi(storage, artifact_store=artifact_store))
        self._thread = threading.Thread(target=self._server.serve_forever, name="mgopt-dashboard", daemon=True)
        self._thread.start()

    def __enter__(self) -> BackgroundDashboard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def _not_ready(environ: dict, start_response: Callable) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"the study is being opened; reload in a moment"]
