"""Following ``--melody`` and ``temperature`` from the command line to the decode enters each file once (issue 19).

One debug ``optimize`` trial runs in-process under :func:`sys.settrace` (:mod:`tests.flag_trace`, whose docstring
defines the criterion: which frames hold the value, what counts as entering a file, where the path ends). The
paths it finds are the ones docs/architecture.md lists under "How a flag reaches the decode"; ``python -m
tests.flag_trace`` rewrites them there.
"""

from __future__ import annotations

import pytest

from tests.flag_trace import DECODE, documented, render, trace_run


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    return trace_run(tmp_path_factory.mktemp("trace"))


@pytest.mark.slow
@pytest.mark.parametrize("value", ["melody", "temperature"])
def test_a_value_enters_each_file_once_on_its_way_to_the_decode(traced, value):
    code, paths = traced
    assert code == 0
    files = [file for file, _ in paths[value]]
    assert files[0] == "optimizer/cli/_optimize" and files[-1] == DECODE[value], files
    again = sorted({f for f in files if files.count(f) > 1})
    assert not again, f"{value} enters {again} more than once: {render(paths)}"


@pytest.mark.slow
def test_the_architecture_document_lists_the_traced_paths(traced):
    assert documented() == render(traced[1])
