"""The preset service under hostile clients (issue 23, family 5): idle, half-sent and trickled connections from
other addresses cannot starve a normal client, the server closes connections that never finish a request, and
every field of ``POST /feedback`` takes only its own JSON type. A real ``serve-presets`` process and real
sockets on loopback (127.0.0.2-127.0.0.4 stand for other clients; all of 127/8 is this machine)."""

import json
import socket
import threading
import time

import pytest

from optimizer.service._protocol import MAX_CONNECTIONS_PER_CLIENT
from tests.optimizer.service.test_service_edges import _presets, _server

ANSWER_WITHIN_S = 15.0  # generous: the point is "answered at all", not how fast
CLOSE_WITHIN_S = 60.0  # the server's request deadline is 10 s


def _connect(port: int, source: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def _port(client) -> int:
    return int(str(client.base_url).rsplit(":", 1)[1].strip("/"))


def _closed_by_server(sock: socket.socket, timeout: float) -> bytes | None:
    """What the server sent before closing ``sock`` (b"" when nothing), or None if it is still open after
    ``timeout`` seconds."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return received


def _hostile_connections(port: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """100 connections from three other addresses: idle ones, and half-sent requests (headers without their
    end, a body shorter than its Content-Length). Returns (the idle ones from 127.0.0.2, all)."""
    idle_2 = [_connect(port, "127.0.0.2") for _ in range(MAX_CONNECTIONS_PER_CLIENT + 8)]
    idle_3 = [_connect(port, "127.0.0.3") for _ in range(30)]
    half = []
    for i in range(100 - len(idle_2) - len(idle_3)):
        sock = _connect(port, "127.0.0.4")
        sock.sendall(b"GET /genres HTTP/1.1\r\nHost: x\r\n" if i % 2 else
                     b"POST /feedback HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                     b"content-length: 100\r\n\r\n{\"serve_id\": ")
        half.append(sock)
    return idle_2, idle_2 + idle_3 + half


@pytest.mark.slow
def test_idle_and_half_sent_connections_from_others_do_not_starve_a_normal_client(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, _):
        idle_2, hostile = _hostile_connections(_port(client))
        try:
            for _ in range(10):  # a bounded loop: every request of a normal client is answered, none with 503
                started = time.monotonic()
                served = client.get("/genres/jazz/preset", timeout=ANSWER_WITHIN_S)
                assert served.status_code == 200, served.text[:300]
                rated = client.post("/feedback", json={"serve_id": served.json()["serve_id"], "rating": 7},
                                    timeout=ANSWER_WITHIN_S)
                assert rated.status_code == 201, rated.text[:300]
                assert time.monotonic() - started < ANSWER_WITHIN_S
            # one address holds at most its share: the connections past it were answered 503 and closed
            extra = [_closed_by_server(s, 5.0) for s in idle_2[MAX_CONNECTIONS_PER_CLIENT:]]
            assert all(r is not None and r.startswith(b"HTTP/1.1 503") for r in extra), extra
        finally:
            for sock in hostile:
                sock.close()


def _trickle(sock: socket.socket, stop: threading.Event) -> None:
    """Send a request one byte every 0.5 s (never finishing it) until the server closes or ``stop`` is set."""
    request = b"GET /genres HTTP/1.1\r\nHost: x\r\n" + b"x-pad: " + b"a" * 1000
    for byte in request:
        if stop.wait(0.5):
            return
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["idle", "half headers", "trickled headers", "half body", "idle after a response"])
def test_the_server_closes_a_connection_that_does_not_finish_its_request(tmp_path, kind):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    stop = threading.Event()
    with _server(tmp_path, storage) as (client, _):
        sock = _connect(_port(client), "127.0.0.2")
        try:
            if kind == "half headers":
                sock.sendall(b"GET /genres HTTP/1.1\r\nHost: x\r\n")
            elif kind == "trickled headers":
                threading.Thread(target=_trickle, args=(sock, stop), daemon=True).start()
            elif kind == "half body":
                body = json.dumps({"serve_id": "0" * 32, "rating": 7}).encode()
                sock.sendall(b"POST /feedback HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body[:10]))
            elif kind == "idle after a response":
                sock.sendall(b"GET /genres HTTP/1.1\r\nHost: x\r\n\r\nGET /genres HTTP/1.1\r\nHost: x\r\n")
            received = _closed_by_server(sock, CLOSE_WITHIN_S)
            assert received is not None, f"{kind}: still open after {CLOSE_WITHIN_S:g} s"
            if kind == "idle after a response":
                assert received.count(b"HTTP/1.1 200") == 1, received[:300]
            assert client.get("/genres").status_code == 200
        finally:
            stop.set()
            sock.close()


WRONG_TYPES = ["true", "false", '"7"', "7.0", "null", "[]", "{}"]


def test_every_feedback_field_refuses_every_other_json_type_and_stores_nothing(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    with _server(tmp_path, storage) as (client, _):
        sid = client.get("/genres/jazz/preset").json()["serve_id"]
        before = client.get("/genres/jazz/stats").json()
        valid = {"serve_id": json.dumps(sid), "rating": "7", "thumbs": '"up"'}
        for field in valid:
            for value in WRONG_TYPES + (["7", "1"] if field != "rating" else []):
                fields = {**{k: v for k, v in valid.items() if k != ("thumbs" if field != "thumbs" else "rating")},
                          field: value}
                body = "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"
                response = client.post("/feedback", content=body, headers={"content-type": "application/json"})
                assert response.status_code == 422, (body, response.status_code, response.text[:300])
                assert response.json()["detail"], response.text[:300]
        assert client.get("/genres/jazz/stats").json() == before
        ok = client.post("/feedback", json={"serve_id": sid, "rating": 7})
        assert ok.status_code == 201, ok.text[:300]
