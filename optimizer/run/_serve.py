"""``serve-presets`` without argparse: typed options (:class:`ServeOptions`), the checks, the bound socket and the
opened feedback store (:func:`open_service`), and the uvicorn server that runs on them (:meth:`PresetService.run`)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer._errors import UsageError
from optimizer.run._options import DEFAULT_STORAGE

__all__ = ["BACKLOG", "DEFAULT_SERVE_PORT", "PresetService", "ServeOptions", "open_service"]

BACKLOG = 2048
"""Connections the kernel queues before the server accepts them (uvicorn's default)."""

DEFAULT_SERVE_PORT = 8000
"""The service's port unless one is given."""

_SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class ServeOptions:
    """One ``serve-presets`` run; the defaults are the command line's. Checked by :func:`open_service`."""

    presets_dir: Path = Path("presets")
    """Folder of preset files (``<genre>.json``) to serve; must exist."""
    storage: str = DEFAULT_STORAGE
    """Database for serves and feedback (the study's): an Optuna RDB URL or a ``.log`` journal path."""
    host: str = "127.0.0.1"
    """Bind address (the default: this machine only)."""
    port: int = DEFAULT_SERVE_PORT
    """TCP port, 1 to 65535."""
    seed: int | None = None
    """Seed of the sampling RNG, 0 to 2**32 - 1 (reproducible tests); None: random."""


@dataclass
class PresetService:
    """A preset service ready to run: the checked options, the genres found, the listening socket and the app."""

    options: ServeOptions
    genres: tuple[str, ...]
    """Genres with a servable preset file, in the order served (sorted by file name)."""
    sock: socket.socket
    app: Any
    """The ASGI app (:func:`optimizer.service.create_app`)."""

    @property
    def url(self) -> str:
        """``http://host:port/`` (an IPv6 host in brackets)."""
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.options.port}/"

    @property
    def reachable_from_other_machines(self) -> bool:
        """True when the host is an IP address that is not a loopback one (a name is not judged)."""
        try:
            return not ipaddress.ip_address(self.options.host).is_loopback
        except ValueError:
            return False

    def run(self) -> None:
        """Serve on the bound socket with uvicorn until Ctrl-C (blocks); the socket is closed after."""
        import uvicorn

        from optimizer.service import MAX_CONNECTIONS, MAX_HEADER_BYTES, GuardedH11Protocol

        config = uvicorn.Config(self.app, log_level="warning", http=GuardedH11Protocol,
                                limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=5,
                                h11_max_incomplete_event_size=MAX_HEADER_BYTES, backlog=BACKLOG)
        try:
            uvicorn.Server(config).run(sockets=[self.sock])
        finally:
            self.sock.close()

    def close(self) -> None:
        """Release the socket without serving."""
        self.sock.close()


def open_service(options: ServeOptions) -> PresetService:
    """Check ``options`` and every preset file, bind the address, then open the feedback store (which creates its
    tables, and a SQLite file): a refusal leaves nothing written and nothing listening.

    Raises:
        UsageError: no presets folder, a port or seed out of range, a preset file that cannot be served, an
            address that cannot be bound (in use, not local, not resolvable); one sentence.
        StorageError: a storage that cannot be opened (:class:`optimizer.service.FeedbackStore`'s checks).
    """
    if not options.presets_dir.is_dir():
        raise UsageError(f"no presets folder {str(options.presets_dir)!r}; run optimize first.")
    if not 0 < options.port < 65536:
        raise UsageError(f"--port must be in 1-65535 but got {options.port}.")
    if options.seed is not None and not 0 <= options.seed <= _SEED_MAX:
        raise UsageError(f"--seed must be an integer from 0 to {_SEED_MAX} (2**32 - 1) but got {options.seed}.")
    from optimizer.presets import PresetFileError, PresetValidationError
    from optimizer.service import FeedbackStore, create_app, genre_files, load_servable

    genres = genre_files(options.presets_dir)
    for genre in genres:  # refuse at start what would fail every request for that genre
        try:
            load_servable(genre, options.presets_dir)
        except (PresetFileError, PresetValidationError) as exc:
            raise UsageError(f"cannot serve {genre!r}: {str(exc).rstrip('.')}; fix or remove the file.") from None
    try:
        sock = _bind(options.host, options.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {options.host} port {options.port}: {exc.strerror or exc}.") from None
    try:  # after the checks above: opening the store creates its tables (and a SQLite file)
        store = FeedbackStore(options.storage)
        app = create_app(presets_dir=options.presets_dir, store=store, seed=options.seed)
    except BaseException:
        sock.close()
        raise
    return PresetService(options=options, genres=tuple(genres), sock=sock, app=app)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, bound before anything is printed, so "Serving ... at" is true.

    Raises:
        OSError: the address is in use, not local, or not resolvable.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
