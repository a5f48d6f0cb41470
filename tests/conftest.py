"""Shared fixtures: offline Hugging Face, tiny random MusicGen and CLAP saved to temp dirs."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import signal

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # A run started in the background by a script (`pytest &`) inherits Ctrl-C ignored, and so would every command
    # the interrupt tests send SIGINT to; a Python handler here is reset to the default in each child at exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)

from pathlib import Path

import pytest
import torch


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


@pytest.fixture
def one_thread():
    """Pin torch to one CPU thread for a test that compares two decodes bit for bit.

    With several threads the BLAS may use fewer under load (MKL_DYNAMIC), which moves the last bits of the
    logits; on the debug model's near-uniform distributions that can carry a token across the top-k
    boundary. The sampler itself is exact (test_sampling.py); this pins the model's arithmetic.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
