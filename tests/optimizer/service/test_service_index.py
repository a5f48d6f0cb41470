"""Every URL ``serve-presets`` prints on start answers, and so does every link its root page gives."""

import re

from tests.optimizer.service.test_service_edges import _first_lines, _presets, _server


def test_every_printed_url_and_every_link_of_the_root_answers(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    _presets(tmp_path, storage)
    _presets(tmp_path, storage, genre="ambient")
    with _server(tmp_path, storage) as (client, stderr):
        lines = _first_lines(stderr, 2)
        urls = [match.group(0) for line in lines for match in re.finditer(r"http://\S+", line)]
        assert urls and all(url.startswith(str(client.base_url)) for url in urls), lines
        for url in urls:
            assert client.get(url).status_code == 200, url
        root = client.get("/").json()
        assert sorted(root["genres"]) == ["ambient", "jazz"]
        links = [root["docs"], root["openapi"]] + [path for g in root["genres"].values() for path in g.values()]
        for path in links:
            assert client.get(path).status_code == 200, path
        assert client.post(root["feedback"], json={"serve_id": "0" * 32, "thumbs": "up"}).status_code == 404
