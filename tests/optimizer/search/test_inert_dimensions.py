"""A study never searches a dimension that changes nothing (issue 23, family 6): two_step_cfg outside the
audiocraft backend, extend_stride for clips within one 30 s window. Enumerated: every backend x two_step_cfg
on/off, extend_stride searched or not x durations on both sides of 30 s; the refusal through the real CLI."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from objectives import DecodingParams
from objectives._loading import BACKENDS
from objectives.generation import TransformersMusicGen
from optimizer.search._space import SearchSpace


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("two_step", [False, True])
@pytest.mark.parametrize("stride", [None, (10.0, 20.0)])
@pytest.mark.parametrize("duration", [5.0, 30.0, 30.5, 40.0])
def test_inert_dimensions_are_named_for_every_backend_and_duration(backend, two_step, stride, duration):
    space = SearchSpace(two_step_cfg=two_step, extend_stride=stride)
    expected = (("two_step_cfg",) if two_step and backend != "audiocraft" else ()) + \
        (("extend_stride",) if stride is not None and duration <= 30.0 else ())
    assert space.inert_dimensions(backend=backend, duration=duration) == expected


@pytest.mark.usefixtures("one_thread")
def test_what_is_called_inert_changes_no_token_of_the_transformers_backend(debug_musicgen):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")

    def codes(**kwargs):
        params = DecodingParams(temperature=1.0, top_k=50, cfg_coef=3.0, **kwargs)
        return generator.generate(["jazz", "rock"], [params] * 2, [1, 2], duration=0.5).codes

    np.testing.assert_array_equal(codes(two_step_cfg=True), codes(two_step_cfg=False))
    np.testing.assert_array_equal(codes(extend_stride=5.0), codes(extend_stride=25.0))


def _optimize(args, cwd):
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._optimize"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(command + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _genre_file(tmp_path, search_space):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ndescription = "test genre"\nprompts = ["a jazz trio", "a rock riff"]\n\n'
                    f"[search_space]\n{search_space}\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("two_step", [False, True])
def test_a_search_of_two_step_cfg_is_refused_unless_audiocraft_decodes(tmp_path, backend, two_step):
    genre = _genre_file(tmp_path, f"two_step_cfg = {str(two_step).lower()}")
    model = "debug" if backend == "transformers" else "facebook/musicgen-small"
    before = sorted(p.name for p in tmp_path.iterdir())
    run = _optimize(["--genre-file", str(genre), "--trials", "1", "--model", model, "--backend", backend,
                     "--prompts", "1", "--replicates", "1", "--duration", "0.5", "--validate-seeds", "0",
                     "--no-artifacts"], tmp_path)
    err = run.stderr.strip()
    if backend == "transformers" and two_step:
        assert run.returncode == 2 and "searches two_step_cfg, which only the audiocraft backend uses" in err, err
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    elif backend == "transformers":
        assert run.returncode == 0, err[-3000:]
    else:  # past the check; audiocraft cannot be installed here, so loading it is what stops the run
        assert "two_step_cfg" not in err and "audiocraft package" in err, err[-3000:]


def test_a_search_of_extend_stride_within_one_window_is_refused(tmp_path):
    genre = _genre_file(tmp_path, "extend_stride = [10.0, 20.0]")
    run = _optimize(["--genre-file", str(genre), "--trials", "1", "--model", "debug", "--duration", "10"], tmp_path)
    err = run.stderr.strip()
    assert run.returncode == 2 and "searches extend_stride, which only clips past 30 s use" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]
