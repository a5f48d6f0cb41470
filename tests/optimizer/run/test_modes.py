"""Every ``optimize`` mode runs from typed options through :func:`optimizer.run.optimize`, without argparse or a
terminal (issue 19): the mode decided from the options' values, pairwise export, and the refusals of the
interactive modes before anything is written."""

from __future__ import annotations

import json
import socket

import optuna
import pytest
from rich.console import Console

from optimizer import UsageError
from optimizer.run import RunOptions, mode_of, optimize

SMALL = {"genre": "jazz", "model": "debug", "prompts": 1, "replicates": 1, "duration": 1.0, "device": "cpu"}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize(("values", "mode"), [
    ({}, "search"),
    ({"export_only": True}, "export"),
    ({"human": True}, "human"),
    ({"human": True, "dashboard": True}, "human-dashboard"),
    ({"pairwise": True}, "pairwise"),
    ({"pairwise": True, "export_only": True}, "pairwise-export"),
    ({"dashboard": True}, "dashboard"),
])
def test_the_mode_is_decided_by_the_option_values(values, mode):
    assert mode_of(RunOptions(**values)) == mode


@pytest.mark.parametrize(("values", "sentence"), [
    ({"human": True, "pairwise": True}, "--human cannot be combined with --pairwise: they are different modes"),
    ({"dashboard": True, "pairwise": True}, "--dashboard cannot be combined with --pairwise"),
    ({"human": True, "export_only": True}, "--human cannot be combined with --export-only"),
    ({"dashboard": True, "export_only": True}, "--dashboard cannot be combined with --export-only"),
    ({"human": True, "no_artifacts": True}, "--human needs the clips in the dashboard to rate them"),
    ({"pairwise": True, "no_artifacts": True}, "--pairwise needs the clips in the artifact folder"),
])
def test_mode_options_that_do_not_combine_are_refused_before_anything_is_written(tmp_path, values, sentence):
    with pytest.raises(UsageError, match=sentence):
        optimize(RunOptions(**SMALL, **values))
    assert list(tmp_path.iterdir()) == []


def test_human_refuses_a_pending_out_of_range_before_anything_is_written(tmp_path):
    with pytest.raises(UsageError, match="--pending must be between 1 and 256"):
        optimize(RunOptions(**SMALL, human=True, pending=0))
    assert list(tmp_path.iterdir()) == []


def test_human_dashboard_refuses_a_port_in_use_before_anything_is_written(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot serve the dashboard on 127.0.0.1:{port}: .*pass another --port"):
            optimize(RunOptions(**SMALL, human=True, dashboard=True, port=port,
                                storage=f"sqlite:///{tmp_path / 'optuna.db'}"))
    assert list(tmp_path.iterdir()) == []


def test_dashboard_alone_needs_no_genre_and_refuses_a_missing_storage_or_a_port_in_use(tmp_path):
    with pytest.raises(UsageError, match="run the search first"):
        optimize(RunOptions(dashboard=True, storage=f"sqlite:///{tmp_path / 'none.db'}"))
    assert list(tmp_path.iterdir()) == []
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(storage=storage, study_name="jazz/debug")
    with pytest.raises(UsageError, match="--port must be in 1-65535 but got 0"):
        optimize(RunOptions(dashboard=True, storage=storage, port=0))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match="pass another --port"):
            optimize(RunOptions(dashboard=True, storage=storage, port=port))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["optuna.db"]  # no artifact folder either


def test_pairwise_export_only_writes_the_preferred_presets_of_an_existing_study(tmp_path):
    pytest.importorskip("botorch", reason="pairwise mode needs the preferential extra (botorch)")
    from objectives import DecodingParams
    from optimizer.review._pairwise import load_or_create_pairwise_study
    from tests.optimizer.review import test_pairwise as pairwise  # its helpers only; its tests stay there
    from tests.optimizer.synthetic import SPEC

    storage = f"sqlite:///{tmp_path / 'p.db'}"
    study, _ = load_or_create_pairwise_study(optuna.storages.RDBStorage(storage), "jazz/debug/pairwise", SPEC,
                                             compare=2)
    a, b = (pairwise._scored(study, DecodingParams(temperature=t, top_k=100)) for t in (0.7, 1.1))
    study.report_preference(pairwise._frozen(study, a), pairwise._frozen(study, b))
    console = Console(stderr=True, width=200)
    options = RunOptions(**SMALL, pairwise=True, export_only=True, storage=storage,
                         presets_dir=tmp_path / "presets")
    assert optimize(options, console=console) == 0
    written = sorted(p.name for p in (tmp_path / "presets").iterdir())
    assert len(written) == 1 and "pairwise" in written[0]
    document = json.loads((tmp_path / "presets" / written[0]).read_text())
    assert document["presets"]["preferred"]["trial"] == a.number


def test_pairwise_export_only_refuses_a_study_that_is_not_there(tmp_path):
    pytest.importorskip("botorch", reason="pairwise mode needs the preferential extra (botorch)")
    with pytest.raises(UsageError, match="pairwise search first"):
        optimize(RunOptions(**SMALL, pairwise=True, export_only=True, storage=f"sqlite:///{tmp_path / 'p.db'}"))
    assert list(tmp_path.iterdir()) == []
