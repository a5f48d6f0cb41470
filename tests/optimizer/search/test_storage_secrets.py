"""Every command that opens a storage has the same bounded time against a server that accepts connections and
never answers, and no command prints or stores the password of a storage URL: not in an error, the
"Creating study ... in" line, the resume command, the dashboard command, the preset file, the report, the
artifacts or anything written into the study.

The servers are real: a loopback listener that never answers, and the local PostgreSQL (trust auth, so a URL
with any password connects). The commands are the real console scripts in subprocesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.databases import postgres_database, run_together, script, silent_port
from tests.optimizer.search.test_storage_forms import TINY, every_command, tree
from tests.servers import wait_for

pytestmark = pytest.mark.slow

SECRET = "s3cret-Pw"


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_every_command_gives_up_on_a_silent_server_in_one_sentence(tmp_path, scheme):
    pytest.importorskip("pymysql" if "mysql" in scheme else "psycopg")
    (tmp_path / "served").mkdir()
    with silent_port() as port:
        # Each is bounded by the drivers' 10 s limits (a few waits at most); the guard only stops a hang.
        results = run_together(every_command(f"{scheme}://me:{SECRET}@127.0.0.1:{port}/optuna"), tmp_path,
                               timeout=150)
    for done in results:
        err = done.stderr.strip()
        assert done.returncode == 2, (done.argv, done.returncode, err[-2000:])
        assert "cannot open storage" in err and ("timed out" in err or "timeout" in err), (done.argv, err)
        assert len(err.splitlines()) == 1 and SECRET not in done.stdout + err, (done.argv, err)
        assert f"me:***@127.0.0.1:{port}" in err
    assert tree(tmp_path) == {"served": "dir"}


def _interrupted_run(url: str, cwd: Path) -> str:
    """Resume the study for 50 trials, press Ctrl-C once it has started; its output."""
    log = cwd / "interrupted.txt"
    with open(log, "w") as out:
        process = subprocess.Popen([*script("optimize"), *TINY, "--trials", "50", "--storage", url], cwd=cwd,
                                   env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "300"}, stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "Resuming study" in log.read_text(), process, log, "the resumed run", timeout=300)
            process.send_signal(signal.SIGINT)
            process.wait(timeout=120)
        finally:
            process.kill()
    text = log.read_text()
    log.unlink()
    return text


def _database_text(name: str) -> str:
    """Every row of every table of the database, as text."""
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}", connect_timeout=3) as db:
        tables = [r[0] for r in db.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'public'")]
        return "\n".join(str(row[0]) for t in tables for row in db.execute(f'SELECT t::text FROM "{t}" t'))


def test_no_command_prints_or_stores_the_password(tmp_path):
    (tmp_path / "served").mkdir()  # serve-presets' presets folder
    with postgres_database() as name:
        url = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:5432/{name}"
        shown = f"postgresql+psycopg://postgres:***@127.0.0.1:5432/{name}"
        [created] = run_together([["optimize", *TINY, "--trials", "1", "--storage", url]], tmp_path, timeout=600)
        assert created.returncode == 0, created.stderr[-3000:]
        assert f"Creating study jazz/debug in {shown}" in created.stderr
        assert f"Review the study: optuna-dashboard '{shown}'" in created.stderr  # shell-quoted
        interrupted = _interrupted_run(url, tmp_path)
        assert "Resume with:" in interrupted and shown in interrupted, interrupted[-3000:]
        later = run_together([["report", "--genre", "jazz", "--model", "debug", "--storage", url],
                              ["optimize", *TINY, "--export-only", "--storage", url]], tmp_path, timeout=600)
        assert [d.returncode for d in later] == [0, 0], [d.stderr[-2000:] for d in later]
        refused = run_together([
            ["optimize", *TINY, "--duration", "1", "--trials", "1", "--storage", url],  # incompatible study
            *every_command(f"postgresql+psycopg://me:{SECRET}@127.0.0.1:1/x")[::2],  # refused connection
            ["report", "--genre", "jazz", "--storage", f"mysql+pymysql://me:{SECRET}@127.0.0.1:1/x"],
            ["optimize", *TINY, "--storage", f"nosuchdb://me:{SECRET}@127.0.0.1/x"],  # unknown dialect
            ["optimize", *TINY, "--storage", f"postgresql://me:{SECRET}@127.0.0.1:port/x"],  # malformed URL
            ["report", "--genre", "jazz", "--storage", f"postgresql://me:{SECRET}@127.0.0.1:5432/no_such_db_here"],
        ], tmp_path, timeout=300)
        database = _database_text(name)
    assert all(d.returncode == 2 for d in refused), [(d.argv, d.stderr) for d in refused]
    assert all("***" in d.stderr for d in refused[1:]), [(d.argv, d.stderr) for d in refused]  # each names it
    said = [created.stdout, created.stderr, interrupted, *(d.stdout + d.stderr for d in later + refused)]
    assert not [text for text in said if SECRET in text]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"presets/jazz.json", "reports/jazz.html"} <= {str(p.relative_to(tmp_path)) for p in written}
    assert not [p for p in written if SECRET.encode() in p.read_bytes()]
    assert "jazz/debug" in database and SECRET not in database
