"""Shared fixtures: offline Hugging Face, tiny random MusicGen and CLAP saved to temp dirs."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def debug_musicgen():
    """``(model, processor)`` of the in-process debug MusicGen."""
    from objectives._debug import build_debug_musicgen

    return build_debug_musicgen()


@pytest.fixture(scope="session")
def musicgen_dir(tmp_path_factory, debug_musicgen) -> Path:
    """A tiny random MusicGen saved with ``save_pretrained`` (model + processor), as a user's local copy."""
    path = tmp_path_factory.mktemp("musicgen-tiny")
    model, processor = debug_musicgen
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def clap_dir(tmp_path_factory) -> Path:
    """A tiny random CLAP saved with ``save_pretrained``."""
    from objectives._debug import build_debug_clap

    path = tmp_path_factory.mktemp("clap-tiny")
    model, processor = build_debug_clap()
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
