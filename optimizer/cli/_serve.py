"""``serve-presets``: run the preset service (uvicorn)."""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._argtypes import seed_arg
from optimizer.cli._warnings import quiet_library_warnings

__all__ = ["main"]

BACKLOG = 2048
"""Connections the kernel queues before the server accepts them (uvicorn's default)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``serve-presets`` console script."""
    p = OneLineArgumentParser(prog="serve-presets", description="Serve Pareto presets by Thompson sampling; "
                                "learn from listener feedback. OpenAPI at /openapi.json, docs at /docs.")
    p.add_argument("--presets-dir", type=Path, default=Path("presets"))
    p.add_argument("--storage", default="sqlite:///optuna.db",
                   help="database for serves and feedback (the study's; default sqlite:///optuna.db)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--seed", type=seed_arg, default=None,
                   help="seed of the sampling RNG, 0 to 2**32 - 1 (for reproducible tests)")
    args = p.parse_args(argv)
    quiet_library_warnings()
    if not args.presets_dir.is_dir():
        print(f"serve-presets: error: no presets folder {str(args.presets_dir)!r}; run optimize first.",
              file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"serve-presets: error: --port must be in 1-65535 but got {args.port}.", file=sys.stderr)
        return 2
    import uvicorn

    from optimizer._errors import StorageError
    from optimizer.cli._errors import one_line
    from optimizer.presets import PresetFileError, PresetValidationError
    from optimizer.service import (
        MAX_CONNECTIONS,
        MAX_HEADER_BYTES,
        FeedbackStore,
        GuardedH11Protocol,
        create_app,
        genre_files,
        load_servable,
    )

    genres = genre_files(args.presets_dir)
    for genre in genres:  # refuse at start what would fail every request for that genre
        try:
            load_servable(genre, args.presets_dir)
        except (PresetFileError, PresetValidationError) as exc:
            print(f"serve-presets: error: cannot serve {genre!r}: {str(exc).rstrip('.')}; fix or remove the file.",
                  file=sys.stderr)
            return 2
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"serve-presets: error: cannot listen on {args.host} port {args.port}: {exc.strerror or exc}.",
              file=sys.stderr)
        return 2
    try:  # after the checks above: opening the store creates its tables (and a SQLite file)
        store = FeedbackStore(args.storage)
    except StorageError as exc:  # the checks and time limits of every command's storage; password masked
        sock.close()
        print(f"serve-presets: error: {one_line(exc)}", file=sys.stderr)
        return 2
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            print(f"serve-presets: warning: listening on {args.host}, reachable from other machines.",
                  file=sys.stderr)
    except ValueError:
        pass
    app = create_app(presets_dir=args.presets_dir, store=store, seed=args.seed)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Serving presets for {len(genres)} genre(s) ({', '.join(genres) or 'none yet'}) from "
          f"{args.presets_dir} at http://{host}:{args.port}/", file=sys.stderr, flush=True)
    print(f"API docs at http://{host}:{args.port}/docs (Ctrl-C stops)", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", http=GuardedH11Protocol, limit_concurrency=MAX_CONNECTIONS,
                            timeout_keep_alive=5, h11_max_incomplete_event_size=MAX_HEADER_BYTES, backlog=BACKLOG)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
