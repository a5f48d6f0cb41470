"""Model loading: directories of the wrong kind or damaged, and hub ids that are not cached with the hub unreachable.

Directories are copies of the tiny saved models of ``tests/conftest.py``, damaged one way each. The hub cases run
``optimize`` as a real process without ``HF_HUB_OFFLINE``, against a closed port, a server that accepts and never
answers, and a name that does not resolve.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from objectives import load_clap, load_generator
from objectives.generation import ModelLoadError
from optimizer.cli._errors import one_line
from optimizer.cli._optimize import main

CPU = torch.device("cpu")
ROOT = Path(__file__).resolve().parent.parent.parent


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _truncate(d: Path) -> None:
    weights = d / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _shard_index_to_a_missing_file(d: Path) -> None:
    (d / "model.safetensors").rename(d / "model-00001-of-00002.safetensors")
    shards = {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}
    (d / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": shards}))


def _set_config(d: Path, text: str) -> None:
    (d / "config.json").write_text(text)


# (which model to copy, how to damage it, what the message must say)
DAMAGED = {
    "truncated safetensors": ("musicgen", _truncate, "damaged model.safetensors"),
    "safetensors that is text": ("musicgen", lambda d: (d / "model.safetensors").write_text("hello"),
                                 "damaged model.safetensors"),
    "missing shard": ("musicgen", _shard_index_to_a_missing_file, "lacks model-00002-of-00002.safetensors"),
    "no weights": ("musicgen", lambda d: (d / "model.safetensors").unlink(), "has no weights"),
    "broken config.json": ("musicgen", lambda d: _set_config(d, '{"model_type": "musicgen", '), "broken config.json"),
    "config.json not an object": ("musicgen", lambda d: _set_config(d, "[]"), "without a model_type"),
    "config.json in latin-1": ("musicgen", lambda d: (d / "config.json").write_bytes(b'{"x": "\xe9"}'),
                               "broken config.json"),
    "another architecture": ("musicgen", lambda d: _set_config(d, '{"model_type": "bert", "hidden_size": 8}'),
                             "holds a model of type 'bert', not a MusicGen"),
    "no config.json": ("musicgen", lambda d: (d / "config.json").unlink(), "has no config.json"),
    "clap directory as --model": ("clap", lambda d: None, "holds a CLAP model (model_type 'clap'), not a MusicGen; "
                                                          "give it as the CLAP model"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_or_foreign_directories_are_one_sentence_naming_the_directory(case, musicgen_dir, clap_dir, tmp_path):
    source, damage, expected = DAMAGED[case]
    directory = _copy(musicgen_dir if source == "musicgen" else clap_dir, tmp_path / "model")
    damage(directory)
    with pytest.raises(ModelLoadError) as caught:
        load_generator(str(directory), device=CPU)
    message = str(caught.value)
    assert expected in message and str(directory) in message and "\n" not in message


def test_musicgen_directory_as_clap_names_the_right_option(musicgen_dir, tmp_path):
    with pytest.raises(ModelLoadError, match=r"holds a MusicGen model .*not a CLAP; give it as the MusicGen") as caught:
        load_clap(str(musicgen_dir), device=CPU)
    assert "--" not in str(caught.value)  # the library names no flag; the CLI adds it
    assert one_line(caught.value).endswith("(pass it as --model).")
    broken = _copy(musicgen_dir, tmp_path / "clap")
    _set_config(broken, '{"model_type": "clap"}')
    _truncate(broken)
    with pytest.raises(ModelLoadError, match=r"damaged model\.safetensors"):
        load_clap(str(broken), device=CPU)


@pytest.mark.parametrize("path", ["./no/such/dir", "~/no-such-musicgen", "/no/such/musicgen"])
def test_paths_that_do_not_exist_are_not_taken_for_hub_ids(path):
    with pytest.raises(ModelLoadError, match="does not exist; give a directory") as caught:
        load_generator(path, device=CPU)
    assert one_line(caught.value).endswith("(to --model).")


def test_a_file_is_not_a_model_directory(musicgen_dir):
    with pytest.raises(ModelLoadError, match="is a file, not a directory"):
        load_generator(str(musicgen_dir / "config.json"), device=CPU)


def test_cli_maps_a_foreign_directory_to_exit_2_and_writes_nothing(clap_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["--genre", "jazz", "--trials", "1", "--model", str(clap_dir), "--clap", str(clap_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "pass it as --clap" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


# --- hub ids without HF_HUB_OFFLINE ---------------------------------------------------------------------------


@pytest.fixture
def silent_server():
    """A port that accepts connections (kernel backlog) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def _closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def _optimize_without_cache(tmp_path: Path, clap_dir: Path, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_HOME=str(tmp_path / "hf-home"), PYTHONPATH=str(ROOT), HF_HUB_ETAG_TIMEOUT="2", **env_overrides)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([sys.executable, "-m", "optimizer.cli._optimize", "--genre", "jazz", "--trials", "1",
                             "--model", "facebook/musicgen-small", "--clap", str(clap_dir)],
                            cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert list(work.iterdir()) == []
    return result


@pytest.mark.slow
@pytest.mark.parametrize("hub", ["closed port", "silent server", "unresolvable name", "HF_HUB_OFFLINE=1"])
def test_uncached_hub_id_fails_fast_with_one_sentence_naming_hf_download(hub, tmp_path, clap_dir, silent_server):
    endpoint = {"closed port": _closed_port(), "silent server": silent_server,
                "unresolvable name": "http://hub.invalid", "HF_HUB_OFFLINE=1": _closed_port()}[hub]
    extra = {"HF_HUB_OFFLINE": "1"} if hub == "HF_HUB_OFFLINE=1" else {}
    result = _optimize_without_cache(tmp_path, clap_dir, HF_ENDPOINT=endpoint, **extra)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no retry or resolver log lines
    assert "`hf download facebook/musicgen-small`" in lines[0] and "huggingface-cli" not in lines[0]
    assert "Traceback" not in result.stderr and "Retrying" not in result.stderr


def test_a_cached_hub_id_loads_without_any_network_and_keeps_its_name(musicgen_dir, tmp_path, monkeypatch):
    """A complete snapshot in the cache is used as it is: the endpoint is a closed port and offline mode is off."""
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    repo = cache / "models--facebook--musicgen-small"
    commit = "0" * 40
    shutil.copytree(musicgen_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", _closed_port())
    generator = load_generator("facebook/musicgen-small", device=CPU)
    assert generator.name == "facebook/musicgen-small"
    (repo / "snapshots" / commit / "config.json").write_text('{"model_type": "clap"}')
    with pytest.raises(ModelLoadError, match=r"'facebook/musicgen-small' .*holds a CLAP model"):
        load_generator("facebook/musicgen-small", device=CPU)


def test_a_partly_cached_hub_id_offline_says_what_is_missing(musicgen_dir, tmp_path, monkeypatch):
    """A download that stopped after config.json: the snapshot exists without weights."""
    import huggingface_hub.constants

    commit = "1" * 40
    repo = tmp_path / "hub" / "models--facebook--musicgen-small"
    shutil.copytree(musicgen_dir, repo / "snapshots" / commit)
    (repo / "snapshots" / commit / "model.safetensors").unlink()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match=r"only partly in the local Hugging Face cache \(its snapshot has no "
                                             r"weights.*HF_HUB_OFFLINE is set.*`hf download facebook/musicgen-small`"):
        load_generator("facebook/musicgen-small", device=CPU)
