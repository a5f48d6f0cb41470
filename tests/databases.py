"""Helpers for storage tests: throw-away PostgreSQL/MySQL databases on the local servers, a TCP port that
accepts and never answers, and running several console scripts at once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_MODULES = {"optimize": "optimizer.cli._optimize", "report": "optimizer.cli._report",
            "serve-presets": "optimizer.cli._serve"}


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new empty database on the local PostgreSQL; yields its name (dropped afterwards)."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True)
    except Exception as exc:  # ImportError or no server
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})")
    name = f"mgopt_st_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def mysql_database() -> Iterator[str]:
    """A new empty database on the local MySQL/MariaDB (user root, no password); yields its name."""
    try:
        import pymysql

        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3,
                                autocommit=True)
    except Exception as exc:  # ImportError or no server
        pytest.skip(f"no MySQL/MariaDB on 127.0.0.1:3306 ({exc})")
    name = f"mgopt_st_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback TCP port whose connections are accepted (by the kernel's backlog) and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@dataclass
class Done:
    """What one console script did: exit code (None: still running at the timeout, then killed) and output."""

    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str


def script(name: str) -> list[str]:
    """The installed console script ``name``, or ``python -m`` its module."""
    exe = shutil.which(name)
    return [exe] if exe else [sys.executable, "-m", _MODULES[name]]


def run_together(commands: Sequence[Sequence[str]], cwd: Path, *, timeout: float) -> list[Done]:
    """Start every command (``[script name, *args]``) at once in ``cwd`` and collect each; a command still
    running after ``timeout`` seconds is killed and reported with ``returncode`` None."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    started = [(list(c), subprocess.Popen([*script(c[0]), *map(str, c[1:])], cwd=cwd, env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)) for c in commands]
    done, deadline = [], time.monotonic() + timeout
    for argv, process in started:
        try:
            out, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
            done.append(Done(argv, process.returncode, out, err))
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            done.append(Done(argv, None, out, err))
    return done
