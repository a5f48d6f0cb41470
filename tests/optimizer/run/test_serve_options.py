"""``serve-presets`` from typed options (:class:`optimizer.run.ServeOptions`), without argparse (issue 19): every
refusal is one sentence before anything is written or left listening."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from optimizer import UsageError, build_presets, write_presets
from optimizer.run import ServeOptions, open_service
from tests.optimizer.synthetic import make_study
from tests.servers import free_port


def _presets(tmp_path):
    study = make_study([(0.30, 0.05), (0.50, 0.40)], storage=f"sqlite:///{tmp_path / 'study.db'}",
                       name="jazz/debug")
    return write_presets(build_presets(study, genre="jazz"), tmp_path / "presets" / "jazz.json")


def test_options_are_frozen_with_the_command_lines_defaults():
    options = ServeOptions()
    assert (options.port, options.host, options.storage, options.seed) == (8000, "127.0.0.1",
                                                                            "sqlite:///optuna.db", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(("changes", "sentence"), [
    ({"presets_dir": "missing"}, "no presets folder 'missing'; run optimize first."),
    ({"port": 0}, "--port must be in 1-65535 but got 0."),
    ({"port": 65536}, "--port must be in 1-65535 but got 65536."),
    ({"seed": -1}, "--seed must be an integer from 0 to 4294967295 (2**32 - 1) but got -1."),
])
def test_bad_options_are_one_sentence_and_nothing_is_written(tmp_path, changes, sentence):
    (tmp_path / "presets").mkdir()
    values = {"presets_dir": tmp_path / "presets", "storage": f"sqlite:///{tmp_path / 'service.db'}", **changes}
    if changes.get("presets_dir") == "missing":
        values["presets_dir"] = tmp_path / "missing"
        sentence = sentence.replace("'missing'", repr(str(tmp_path / "missing")))
    with pytest.raises(UsageError) as info:
        open_service(ServeOptions(**values))
    assert str(info.value) == sentence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["presets"]


def test_a_port_in_use_is_refused_before_the_store_is_opened(tmp_path):
    _presets(tmp_path)
    storage = tmp_path / "service.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"^cannot listen on 127.0.0.1 port {port}: "):
            open_service(ServeOptions(presets_dir=tmp_path / "presets", storage=f"sqlite:///{storage}", port=port))
    assert not storage.exists()


def test_an_unservable_preset_file_is_refused_at_start(tmp_path):
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "jazz.json").write_text("{}")
    storage = tmp_path / "service.db"
    with pytest.raises(UsageError, match=r"^cannot serve 'jazz': .*; fix or remove the file\.$"):
        open_service(ServeOptions(presets_dir=tmp_path / "presets", storage=f"sqlite:///{storage}", port=1))
    assert not storage.exists()


def test_an_opened_service_is_bound_and_says_where(tmp_path):
    _presets(tmp_path)
    service = open_service(ServeOptions(presets_dir=tmp_path / "presets",
                                        storage=f"sqlite:///{tmp_path / 'service.db'}", port=free_port()))
    try:
        assert service.genres == ("jazz",) and not service.reachable_from_other_machines
        assert service.url == f"http://127.0.0.1:{service.options.port}/"
        assert service.sock.getsockname()[1] == service.options.port and (tmp_path / "service.db").exists()
    finally:
        service.close()
    for host, remote, url in [("0.0.0.0", True, "http://0.0.0.0:8000/"), ("::1", False, "http://[::1]:8000/"),
                              ("localhost", False, "http://localhost:8000/")]:  # a name is not judged
        moved = dataclasses.replace(service, options=ServeOptions(host=host))
        assert (moved.reachable_from_other_machines, moved.url) == (remote, url)


def test_a_storage_that_cannot_be_opened_releases_the_port(tmp_path):
    from optimizer._errors import StorageError

    _presets(tmp_path)
    port = free_port()
    with pytest.raises(StorageError):
        open_service(ServeOptions(presets_dir=tmp_path / "presets", storage=f"sqlite:///{tmp_path / 'no' / 'x.db'}",
                                  port=port))
    with socket.socket() as again:  # the socket open_service bound was closed
        again.bind(("127.0.0.1", port))
