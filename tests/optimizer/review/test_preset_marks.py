"""Presets are marked in the study at export: marks follow the latest file, other note text is kept, and a file
that could not be written marks nothing."""

import io

import pytest
from optuna_dashboard import get_note, save_note
from rich.console import Console

from optimizer import _keys, build_presets, write_presets
from optimizer._errors import UsageError
from optimizer.review._preset_marks import TRIAL_NOTE_PREFIX, _TrialHandle, mark_presets
from tests.optimizer.synthetic import _trial, make_study


def _note(study, number):
    trial = study.get_trials(deepcopy=False)[number]
    return get_note(_TrialHandle(study, study._storage, trial._trial_id))


def _export(study, path):
    document = build_presets(study, genre="jazz")
    write_presets(document, path)
    mark_presets(study, document, path)
    return document


def test_re_export_moves_the_marks_and_keeps_other_note_text(tmp_path):
    study = make_study([(0.30, 0.10), (0.50, 0.40), (0.45, 0.15)], storage=f"sqlite:///{tmp_path / 'o.db'}")
    save_note(study, "my own notes about this study")
    trial1 = study.get_trials(deepcopy=False)[1]
    save_note(_TrialHandle(study, study._storage, trial1._trial_id), "## Trial 1\n\nclips here")
    first = _export(study, tmp_path / "jazz.json")
    assert first["presets"]["max_clap"]["trial"] == 1
    assert _note(study, 1).startswith(TRIAL_NOTE_PREFIX) and _note(study, 1).endswith("## Trial 1\n\nclips here")

    # A trial that dominates on CLAP takes max_clap: trial 1 loses its mark, the new one gets it.
    study.add_trial(_trial(3, 0.9, 0.12))
    second = _export(study, tmp_path / "jazz.json")
    assert second["presets"]["max_clap"]["trial"] == 3 and 1 not in {e["trial"] for e in second["presets"].values()}
    assert _note(study, 1) == "## Trial 1\n\nclips here"
    assert "max_clap" in _note(study, 3).split("\n")[0]
    note = get_note(study)
    assert note.startswith("my own notes about this study")
    assert note.count("#### Exported presets") == 1 and "| max_clap | 3 |" in note and "| max_clap | 1 |" not in note
    assert study.user_attrs[_keys.PRESET_MARKS]["presets"]["max_clap"] == 3


def test_a_preset_file_that_cannot_be_written_marks_nothing(tmp_path):
    from optimizer.run._export import export_presets as cli_export

    storage = f"sqlite:///{tmp_path / 'o.db'}"
    study = make_study([(0.30, 0.10), (0.50, 0.40)], storage=storage)
    blocker = tmp_path / "presets"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(UsageError, match="cannot write the preset file"):
        cli_export(study, "jazz", blocker / "jazz.json", Console(file=io.StringIO()), storage)
    assert _keys.PRESET_MARKS not in study.user_attrs
    assert get_note(study) == "" and all(_note(study, n) == "" for n in range(2))
