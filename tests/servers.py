"""Helpers for tests that start a real server or CLI process on loopback."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

_T = TypeVar("_T")


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


def wait_for(condition: Callable[[], _T], process: subprocess.Popen, log: Path, what: str, *,
             timeout: float = 60.0, kill: bool = False, poll: float = 0.3) -> _T:
    """Poll ``condition`` every ``poll`` seconds until it is truthy and return its value; fail with the end of
    ``log`` (the process's output) when the process exits first or ``timeout`` seconds pass (killing it first
    with ``kill``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process.poll() is not None or time.monotonic() > deadline:
            if kill:
                process.kill()
            raise AssertionError(f"{what} did not happen (rc {process.poll()}): {log.read_text()[-3000:]}")
        time.sleep(poll)
