"""benchmarks/validate_repetition.py on a folder of synthetic music (the real-music run is the user's)."""

import importlib.util
import re
from pathlib import Path

import pytest
import soundfile

from tests.objectives.test_scoring import music

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "validate_repetition.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("validate_repetition", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_auc_line_on_a_folder_of_audio(tmp_path, script, capsys):
    for seed in range(3):
        soundfile.write(tmp_path / f"track{seed}.wav", music(seed, 9.0), 32_000)
    (tmp_path / "notes.txt").write_text("not audio")
    auc = script.main([str(tmp_path), "--per-file", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"repetition AUC: \d\.\d{3} over 3 excerpts", lines[-1])
    assert auc >= 0.95
    assert "score rises with the looped share: yes" in lines[-2]


def test_looped_versions_repeat_what_precedes_them(script):
    clip = music(5, 8.0)
    half = script.looped(clip, 1.0, 0.5)
    onset = len(clip) // 2
    assert (half[:onset] == clip[:onset]).all()
    assert (half[onset:onset + 32_000] == clip[onset - 32_000:onset]).all()
    full = script.looped(clip, 0.5, 1.0)
    assert (full[16_000:32_000] == clip[:16_000]).all()


def test_too_little_audio_is_a_clear_error(tmp_path, script):
    with pytest.raises(SystemExit) as info:
        script.main([str(tmp_path)])
    assert info.value.code == 2
