"""A real small tmpfs for tests of full and read-only devices (needs root; otherwise the test is skipped)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(path: Path, *, size: str = "64k", readonly: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (mount's syntax, e.g. ``"64k"``) on ``path`` (created), read-only if asked;
    unmounted on exit. Skips the test when mounting is not permitted (not root, no CAP_SYS_ADMIN)."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0777" + (",ro" if readonly else "")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True,
                            text=True, timeout=30)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or result.returncode}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True, timeout=30)
