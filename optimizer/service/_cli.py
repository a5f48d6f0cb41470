"""``serve-presets``: run the preset service (uvicorn)."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path

from optimizer._errors import OneLineArgumentParser
from optimizer._warnings import quiet_library_warnings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``serve-presets`` console script."""
    p = OneLineArgumentParser(prog="serve-presets", description="Serve Pareto presets by Thompson sampling; "
                                "learn from listener feedback. OpenAPI at /openapi.json, docs at /docs.")
    p.add_argument("--presets-dir", type=Path, default=Path("presets"))
    p.add_argument("--storage", default="sqlite:///optuna.db",
                   help="database for serves and feedback (the study's; default sqlite:///optuna.db)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--seed", type=int, default=None, help="seed of the sampling RNG (for reproducible tests)")
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
    from sqlalchemy.exc import ArgumentError, OperationalError

    from optimizer.service._app import create_app
    from optimizer.service._store import FeedbackStore

    try:
        store = FeedbackStore(args.storage)
    except (ArgumentError, OperationalError, ImportError) as exc:
        print(f"serve-presets: error: cannot open storage {args.storage!r}: {str(exc).splitlines()[0]}.",
              file=sys.stderr)
        return 2
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            print(f"serve-presets: warning: listening on {args.host}, reachable from other machines.",
                  file=sys.stderr)
    except ValueError:
        pass
    app = create_app(presets_dir=args.presets_dir, store=store, seed=args.seed)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                limit_concurrency=64, timeout_keep_alive=5)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
