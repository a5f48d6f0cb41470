"""The preset service as apps meet it: a real server process, a real HTTP client, simulated listeners."""

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import httpx
import numpy as np
import optuna
import pytest

from objectives import DecodingParams
from optimizer import _keys, build_presets, write_presets
from optimizer.service._fold import fold_feedback
from tests.optimizer.synthetic import make_study
from tests.servers import free_port, wait_until_serving

PREFERRED_PARAMS = DecodingParams(temperature=0.9, top_k=0, top_p=0.9, cfg_coef=2.0)


@pytest.fixture
def setup(tmp_path):
    """Three Pareto presets for jazz, from a study stored in the database the service writes to."""
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = make_study([(0.30, 0.05), (0.50, 0.40), (0.45, 0.15, {"params": PREFERRED_PARAMS})], storage=storage)
    document = build_presets(study, genre="jazz")
    write_presets(document, tmp_path / "presets" / "jazz.json")
    preferred = next(e["trial"] for e in document["presets"].values() if e["params"]["top_p"] == 0.9)
    return tmp_path, storage, preferred


@contextmanager
def server(tmp_path, storage, seed):
    port = free_port()
    exe = shutil.which("serve-presets")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._serve"]
    process = subprocess.Popen(
        [*command, "--presets-dir", str(tmp_path / "presets"), "--storage", storage, "--port", str(port),
         "--seed", str(seed)], env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/genres", process)
        with httpx.Client(base_url=url, timeout=10) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def _listen(client, rounds, preferred, rng):
    """Simulated listeners: thumbs up 90 % of the time for the preferred preset, 25 % for the others."""
    served = []
    for _ in range(rounds):
        response = client.get("/genres/jazz/preset")
        assert response.status_code == 200, response.text
        body = response.json()
        served.append(body["trial"])
        liked = rng.random() < (0.9 if body["trial"] == preferred else 0.25)
        feedback = client.post("/feedback", json={"serve_id": body["serve_id"], "thumbs": "up" if liked else "down"})
        assert feedback.status_code == 201, feedback.text
    return served


def test_learns_the_listeners_preference_and_keeps_it_across_restarts(setup):
    tmp_path, storage, preferred = setup
    rng = np.random.default_rng(1)
    with server(tmp_path, storage, seed=1) as client:
        first = client.get("/genres/jazz/preset").json()
        assert set(first["transformers"]) == {"do_sample", "temperature", "top_k", "top_p", "guidance_scale"}
        assert client.get("/openapi.json").json()["paths"].keys() >= {"/genres/{genre}/preset", "/feedback"}
        served = _listen(client, 500, preferred, rng)
        assert np.mean(np.array(served[-100:]) == preferred) >= 0.8
        learned = client.get("/genres/jazz/stats").json()

    with server(tmp_path, storage, seed=2) as client:
        assert client.get("/genres/jazz/stats").json() == learned
        served = _listen(client, 100, preferred, rng)
        assert np.mean(np.array(served) == preferred) >= 0.8

    study = optuna.load_study(study_name="jazz/debug", storage=storage)
    assert fold_feedback(study, storage, genre="jazz") == 3
    folded = optuna.load_study(study_name="jazz/debug", storage=storage).user_attrs[_keys.LISTENER_FEEDBACK]
    assert folded[str(preferred)]["n"] > 400 and folded[str(preferred)]["mean"] > 0.8
    document = build_presets(optuna.load_study(study_name="jazz/debug", storage=storage), genre="jazz")
    rated = [e for e in document["presets"].values() if e["trial"] == preferred]
    assert rated[0]["scores"]["listener_feedback"]["n"] == folded[str(preferred)]["n"]


def test_malformed_requests_get_4xx_and_change_nothing(setup):
    tmp_path, storage, _ = setup
    with server(tmp_path, storage, seed=0) as client:
        served = client.get("/genres/jazz/preset").json()
        assert client.post("/feedback", json={"serve_id": served["serve_id"], "rating": 7}).status_code == 201
        before = client.get("/genres/jazz/stats").json()
        sid = served["serve_id"]
        bad = [
            ("GET", "/genres/nosuch/preset", None, 404),
            ("GET", "/genres/..%2Fetc/preset", None, 404),
            ("GET", "/genres/Jazz!/preset", None, 422),
            ("POST", "/feedback", {"serve_id": sid, "rating": 8}, 409),  # already rated
            ("POST", "/feedback", {"serve_id": "0" * 32, "rating": 8}, 404),
            ("POST", "/feedback", {"serve_id": sid, "rating": 11}, 422),
            ("POST", "/feedback", {"serve_id": sid, "rating": 5, "thumbs": "up"}, 422),
            ("POST", "/feedback", {"serve_id": sid}, 422),
            ("POST", "/feedback", {"serve_id": "'; DROP TABLE mgopt_serves; --", "thumbs": "up"}, 422),
            ("POST", "/feedback", {"serve_id": sid, "thumbs": "up", "extra": 1}, 422),
            ("POST", "/feedback", "x" * 10_000, 413),
        ]
        for method, path, body, status in bad:
            if isinstance(body, str):
                response = client.request(method, path, content=body, headers={"content-type": "application/json"})
            else:
                response = client.request(method, path, json=body)
            assert response.status_code == status, (path, body, response.text)
            assert response.json()["detail"], response.text
        assert client.post("/feedback", content=b"{not json", headers={"content-type": "application/json"}
                           ).status_code == 422
        assert client.get("/genres/jazz/stats").json() == before
