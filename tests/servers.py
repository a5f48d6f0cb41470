"""Helpers for tests that start a real server process on loopback."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, *, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail with the server's output if it exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.communicate(timeout=10)[0] if process.stdout else ""
            raise RuntimeError(f"server at {url} did not start: {str(output)[-2000:]}")
        time.sleep(0.2)
