"""The preset service at its edges: non-finite and concurrent feedback, preset files it cannot serve, what it
says on start, and /docs without the internet. A real server process and real HTTP clients throughout."""

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from optimizer import build_presets, write_presets
from tests.databases import postgres_database
from tests.optimizer.synthetic import make_study
from tests.servers import free_port, wait_until_serving


def _command():
    exe = shutil.which("serve-presets")
    return [exe] if exe else [sys.executable, "-m", "optimizer.cli._serve"]


@contextmanager
def _postgres_database():
    with postgres_database() as name:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"

@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'optuna.db'}"
        return
    with _postgres_database() as url:
        yield url


def _presets(tmp_path, storage, genre="jazz"):
    study = make_study([(0.30, 0.05), (0.50, 0.40), (0.45, 0.15)], storage=storage, name=f"{genre}/debug")
    return write_presets(build_presets(study, genre=genre), tmp_path / "presets" / f"{genre}.json")


@contextmanager
def _server(tmp_path, storage, port=None):
    """A running ``serve-presets``: yields a client and a queue of its stderr lines (drained all the time: a
    server blocked on a full pipe would look like a hung service)."""
    port = port or free_port()
    process = subprocess.Popen([*_command(), "--presets-dir", str(tmp_path / "presets"), "--storage", storage,
                                "--port", str(port), "--seed", "0"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in process.stderr], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/genres", process)
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_non_finite_and_malformed_ratings_get_422_with_a_detail(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, _):
        sid = client.get("/genres/jazz/preset").json()["serve_id"]
        before = client.get("/genres/jazz/stats").json()
        for value in ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "7.5", "9" * 4000, "[7]",
                      '{"a": NaN}']:
            for field in ("rating", "thumbs"):
                body = f'{{"serve_id": "{sid}", "{field}": {value}}}'
                response = client.post("/feedback", content=body, headers={"content-type": "application/json"})
                assert response.status_code == 422, (field, value[:20], response.text[:300])
                assert response.json()["detail"], response.text[:300]
        assert client.get("/genres/jazz/stats").json() == before


def test_concurrent_duplicate_feedback_is_one_201_and_409s(tmp_path, storage):
    _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, _):
        serve_ids = [client.get("/genres/jazz/preset").json()["serve_id"] for _ in range(8)]
        statuses: dict[str, list[int]] = {sid: [] for sid in serve_ids}
        barrier = threading.Barrier(12)

        def post(sid):
            with httpx.Client(base_url=client.base_url, timeout=60) as own:
                barrier.wait()
                response = own.post("/feedback", json={"serve_id": sid, "thumbs": "up"})
            statuses[sid].append(response.status_code)

        for sid in serve_ids:
            threads = [threading.Thread(target=post, args=(sid,)) for _ in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        for codes in statuses.values():
            assert sorted(codes) == [201] + [409] * 11, codes
        assert sum(arm["feedback"] for arm in client.get("/genres/jazz/stats").json()) == len(serve_ids)


def _edit(path, change):
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _first_trial(value):
    def change(document):
        next(iter(document["presets"].values()))["trial"] = value
    return change


UNSERVABLE = {
    "trial 2**31": (_first_trial(2**31), "largest trial number"),
    "trial 2**63 - 1": (_first_trial(2**63 - 1), "largest trial number"),
    "trial 2**64": (_first_trial(2**64), "outside the 64-bit range"),
    "no presets": (lambda d: d.update(presets={}), "'balanced' is a required property"),
    "study name of 600 characters": (lambda d: d["provenance"].update(study="s" * 600), "longer than 512"),
    "nested 40 deep": (lambda d: d["provenance"].update(x=json.loads("[" * 40 + "]" * 40)), "nested deeper"),
}


@pytest.mark.parametrize("case", sorted(UNSERVABLE))
def test_unservable_preset_files_are_refused_at_start(tmp_path, case):
    change, words = UNSERVABLE[case]
    path = _presets(tmp_path, f"sqlite:///{tmp_path / 'study.db'}")
    _edit(path, change)
    storage = tmp_path / "service.db"
    result = subprocess.run([*_command(), "--presets-dir", str(tmp_path / "presets"), "--storage",
                             f"sqlite:///{storage}", "--port", str(free_port())], capture_output=True, text=True,
                            timeout=30)
    err = result.stderr.strip()
    assert result.returncode == 2, err[-800:]
    assert words in err and "jazz" in err and len(err.splitlines()) == 1 and "Traceback" not in err, err[-800:]
    assert not storage.exists()


def test_a_file_turned_unservable_while_running_keeps_the_last_good_presets(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    path = _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, _):
        good = client.get("/genres/jazz/stats").json()
        for change, _words in UNSERVABLE.values():
            original = path.read_text()
            _edit(path, change)
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
            response = client.get("/genres/jazz/preset")
            assert response.status_code == 200, response.text[:300]
            assert response.json()["trial"] in {arm["trial"] for arm in good}
            assert client.post("/feedback", json={"serve_id": response.json()["serve_id"], "rating": 5}
                               ).status_code == 201
            path.write_text(original)
        (tmp_path / "presets" / "rock.json").write_text('{"presets": {}}')
        response = client.get("/genres/rock/preset")  # never usable: the service cannot serve it, and says why
        assert response.status_code == 503 and "rock.json" in response.json()["detail"]


def _first_lines(lines, n, timeout=30.0):
    """The first ``n`` lines of a :func:`_server`'s stderr; fewer if no more come within ``timeout``."""
    out = []
    try:
        while len(out) < n:
            out.append(lines.get(timeout=timeout))
    except queue.Empty:
        pass
    return out


def test_start_prints_the_urls_and_docs_work_without_the_internet(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, stderr):
        lines = _first_lines(stderr, 2)
        urls = [match.group(0) for line in lines if (match := re.search(r"http://\S+", line))]
        assert urls == [f"{client.base_url}/", f"{client.base_url}/docs"], lines
        assert "1 genre(s) (jazz)" in lines[0]
        assert client.get(urls[0] + "genres").json() == ["jazz"]
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200
            assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
            assert "https://" not in html.text and "http://" not in html.text  # no CDN, no validator badge
            for asset in assets:
                response = client.get(asset)
                assert response.status_code == 200 and len(response.content) > 1000, asset
        assert "SwaggerUIBundle" in client.get(re.search(r'src="([^"]+\.js)"', client.get("/docs").text)[1]).text
        assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_a_port_in_use_is_one_sentence_and_nothing_is_written(tmp_path):
    _presets(tmp_path, f"sqlite:///{tmp_path / 'study.db'}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        storage = tmp_path / "service.db"
        result = subprocess.run([*_command(), "--presets-dir", str(tmp_path / "presets"), "--storage",
                                 f"sqlite:///{storage}", "--port", str(port)], capture_output=True, text=True,
                                timeout=60)
    err = result.stderr.strip()
    assert result.returncode == 2 and "cannot listen" in err and len(err.splitlines()) == 1, err[-800:]
    assert "Serving" not in err and not Path(storage).exists()
