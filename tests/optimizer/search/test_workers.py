"""Several `optimize` workers on one study, one of them SIGKILLed mid-trial and restarted.

Real servers: the PostgreSQL on 127.0.0.1 (skipped with the reason where none runs) and a JournalStorage file.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import optuna
import pytest

from optimizer import _keys, validate_presets

pytestmark = pytest.mark.slow
TRIALS = 20
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_url():
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    try:
        admin = psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432 ({str(exc).strip().splitlines()[0]})")
    name = f"mgopt_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:5432/{name}", name


def _drop_postgres(name):
    import psycopg

    with psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["postgresql", "journal"])
def storage(request, tmp_path):
    if request.param == "journal":
        yield str(tmp_path / "study.log")
        return
    url, name = _postgres_url()
    yield url
    _drop_postgres(name)


def _worker(storage, tmp_path, seed, duration=2.0, extra=()):
    """An ``optimize`` worker on the debug models; ``extra`` arguments come last (a repeated option's last value
    wins)."""
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    args = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", str(duration),
            "--trials", str(TRIALS), "--batch-trials", "1", "--heartbeat-interval", "1", "--storage", storage,
            "--seed", str(seed), "--presets-dir", str(tmp_path / "presets"), "--validate-seeds", "1"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "160"}
    return subprocess.Popen(command + args + list(extra), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _study(storage):
    from optimizer.search._study import open_storage

    return optuna.load_study(study_name="jazz/debug", storage=open_storage(storage))


def _running_of(storage, pid):
    try:
        study = _study(storage)
    except KeyError:
        return []
    return [t for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
            if str(t.user_attrs.get(_keys.WORKER, "")).endswith(f":{pid}")]


def _kill_mid_trial(storage, start, ready=lambda: True, attempts: int = 3, timeout: float = 240.0) -> list[int]:
    """SIGKILL a worker ``start(attempt)`` while it holds a trial it has drawn and is generating (once ``ready()``)
    and return the numbers of the trials the kill left RUNNING in the storage (the worker died inside them).

    The storage is polled, so a trial seen running may be told before the kill lands (a debug trial takes a
    fraction of a second; CI saw it once the decode got faster): that kill missed, and a fresh worker from
    ``start`` is the next victim, ``attempts`` in all; a kill that never lands mid-trial fails the test."""
    for attempt in range(attempts):
        victim = start(attempt)
        deadline = time.monotonic() + timeout
        while True:
            assert time.monotonic() < deadline, "the victim never held a running trial"
            assert victim.poll() is None, victim.communicate()[0][-2000:]
            running = [t.number for t in _running_of(storage, victim.pid) if {"top_k", "top_p"} & set(t.params)]
            if running and ready():
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                break
            time.sleep(0.05)
        states = {t.number: t.state for t in _study(storage).get_trials()}  # final: the victim is dead
        killed = [number for number in running if states[number] == optuna.trial.TrialState.RUNNING]
        if killed:
            return killed
    raise AssertionError(f"{attempts} kills in a row landed after the trial they aimed at was told")


def test_four_workers_survive_a_sigkill(storage, tmp_path):
    workers = [_worker(storage, tmp_path, seed) for seed in range(4)]
    killed_trials = _kill_mid_trial(
        storage, lambda attempt: workers[0] if attempt == 0 else _worker(storage, tmp_path, seed=20 + attempt))
    workers[0] = _worker(storage, tmp_path, seed=10)  # restarted

    outputs = []
    for worker in workers:
        out, _ = worker.communicate(timeout=600)
        outputs.append(out)
        assert worker.returncode == 0, out[-3000:]
        assert "Traceback" not in out

    study = _study(storage)
    trials = study.get_trials()
    states = [t.state for t in trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == TRIALS
    assert optuna.trial.TrialState.RUNNING not in states
    assert len({t.number for t in trials}) == len(trials)
    for number in killed_trials:
        assert trials[number].state == optuna.trial.TrialState.FAIL
        retries = [t for t in trials if t.user_attrs.get(_keys.RETRY_OF, {}).get("trial") == number]
        assert len(retries) == 1, f"trial {number} was retried {len(retries)} times"
        assert retries[0].params == trials[number].params
        assert retries[0].state == optuna.trial.TrialState.COMPLETE
    assert sum("Presets written" in out for out in outputs) == 1
    validate_presets(json.loads((tmp_path / "presets" / "jazz.json").read_text()))


def test_a_run_survives_short_database_outages(tmp_path):
    url, name = _postgres_url()
    try:
        import psycopg

        worker = _worker(url, tmp_path, seed=0, duration=5.0)  # long enough trials to stage outages between
        deadline = time.monotonic() + 240
        outages = 0
        while outages < 3 and worker.poll() is None:
            assert time.monotonic() < deadline
            try:
                done = len(_study(url).get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
            except KeyError:
                done = 0
            if 1 + 2 * outages <= done < TRIALS - 2:  # early in the run, while trials remain
                # An outage of 3 s: refuse new connections to the study's database and cut the open ones.
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                                  (name,))
                    time.sleep(3)
                    admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
                outages += 1
            time.sleep(0.2)
        assert outages >= 2, "the run ended before the outages could be staged"
        out, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0, out[-3000:]
        assert "Traceback" not in out
        trials = _study(url).get_trials()
        assert [t.state for t in trials].count(optuna.trial.TrialState.COMPLETE) == TRIALS
        assert optuna.trial.TrialState.RUNNING not in [t.state for t in trials]
    finally:
        _drop_postgres(name)


def test_two_workers_share_a_mysql_study(tmp_path):
    """MySQL/MariaDB through SQLAlchemy (mysql+pymysql): the same semantics, smaller run."""
    try:
        import pymysql
    except ImportError:
        pytest.skip("pymysql is not installed (pip install -e '.[mysql]')")
    try:
        admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3,
                                autocommit=True)
    except pymysql.err.OperationalError as exc:
        pytest.skip(f"no MySQL/MariaDB server on 127.0.0.1:3306 ({exc.args[-1]})")
    name = f"mgopt_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    try:
        workers = [_worker(url, tmp_path, seed) for seed in range(2)]
        outputs = [w.communicate(timeout=600)[0] for w in workers]
        assert all(w.returncode == 0 for w in workers), outputs
        trials = _study(url).get_trials()
        assert [t.state for t in trials].count(optuna.trial.TrialState.COMPLETE) == TRIALS
        assert optuna.trial.TrialState.RUNNING not in [t.state for t in trials]
        assert sum("Presets written" in out for out in outputs) == 1
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
