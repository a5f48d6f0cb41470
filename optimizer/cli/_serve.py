"""``serve-presets``: parse, build :class:`~optimizer.run.ServeOptions`, open the service
(:func:`optimizer.run.open_service`: checks, socket, feedback store), say where it listens, and run it (uvicorn)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._argtypes import seed_arg
from optimizer.cli._warnings import quiet_library_warnings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``serve-presets`` console script.

    Returns:
        The exit code: 0 once the server stops, 2 bad input (one sentence on stderr, nothing written).
    """
    from optimizer.run import DEFAULT_SERVE_PORT, DEFAULT_STORAGE

    p = OneLineArgumentParser(prog="serve-presets", description="Serve Pareto presets by Thompson sampling; "
                                "learn from listener feedback. OpenAPI at /openapi.json, docs at /docs.")
    p.add_argument("--presets-dir", type=Path, default=Path("presets"))
    p.add_argument("--storage", default=DEFAULT_STORAGE,
                   help=f"database for serves and feedback (the study's; default {DEFAULT_STORAGE})")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_SERVE_PORT)
    p.add_argument("--seed", type=seed_arg, default=None,
                   help="seed of the sampling RNG, 0 to 2**32 - 1 (for reproducible tests)")
    args = p.parse_args(argv)
    quiet_library_warnings()

    from optimizer._errors import StorageError, UsageError
    from optimizer.cli._errors import one_line
    from optimizer.run import ServeOptions, open_service

    options = ServeOptions(presets_dir=args.presets_dir, storage=args.storage, host=args.host, port=args.port,
                           seed=args.seed)
    try:
        service = open_service(options)
    except UsageError as exc:
        print(f"serve-presets: error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:  # the checks and time limits of every command's storage; password masked
        print(f"serve-presets: error: {one_line(exc)}", file=sys.stderr)
        return 2
    if service.reachable_from_other_machines:
        print(f"serve-presets: warning: listening on {args.host}, reachable from other machines.", file=sys.stderr)
    genres = service.genres
    print(f"Serving presets for {len(genres)} genre(s) ({', '.join(genres) or 'none yet'}) from "
          f"{args.presets_dir} at {service.url}", file=sys.stderr, flush=True)
    print(f"API docs at {service.url}docs (Ctrl-C stops)", file=sys.stderr, flush=True)
    service.run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
