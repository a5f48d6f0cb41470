"""benchmarks/validate_repetition.py on a folder of synthetic music (the real-music run is the user's)."""

import importlib.util
import re
from pathlib import Path

import pytest
import soundfile

from tests.objectives.scoring.test_scoring import music

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "validate_repetition.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("validate_repetition", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_auc_line_on_a_folder_of_audio_at_5_and_10_seconds(tmp_path, script, capsys):
    for seed in range(3):
        soundfile.write(tmp_path / f"track{seed}.wav", music(seed, 11.0), 32_000)
    (tmp_path / "notes.txt").write_text("not audio")
    aucs = script.main([str(tmp_path), "--per-file", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"repetition AUC: 5s \d\.\d{3} 10s \d\.\d{3} over 6 excerpts", lines[-1])
    assert set(aucs) == {5.0, 10.0} and aucs[5.0] >= 0.95
    # At 10 s, 4 s loops copy >= 60 % of the excerpt, but they repeat at a lag beyond the score's 3 s limit
    # (RepetitionConfig.max_lag_seconds: phrase-length repeats are genre-normal) and go undetected by design.
    assert 0.85 <= aucs[10.0] < 1.0
    assert sum("score rises with the copied share: yes" in line for line in lines) == 2


def test_looped_versions_repeat_what_precedes_them(script):
    clip = music(5, 8.0)
    half, copied = script.looped(clip, 1.0, 0.5)
    onset = len(clip) // 2
    assert copied == 0.5
    assert (half[:onset] == clip[:onset]).all()
    assert (half[onset:onset + 32_000] == clip[onset - 32_000:onset]).all()
    full, copied = script.looped(clip, 0.5, 1.0)
    assert (full[16_000:32_000] == clip[:16_000]).all()
    assert copied == pytest.approx(7.5 / 8)


def test_a_loop_longer_than_half_the_excerpt_is_labelled_by_what_repeats(script):
    """A 4 s loop tiled into a 5 s excerpt repeats 1 s: 20 % copied, not 100 %; a 4 s loop cannot precede
    the last 75 % of a 5 s excerpt, so no such version is made."""
    clip = music(1, 5.0)
    labels = sorted(round(copied, 3) for copied, _ in script.versions(clip))
    _, copied = script.looped(clip, 4.0, 1.0)
    assert copied == pytest.approx(0.2)
    with pytest.raises(ValueError):
        script.looped(clip, 4.0, 0.75)
    assert 1.0 not in labels and max(labels) == pytest.approx(0.9)  # 0.5 s tiled: 4.5 of 5 s copied


def test_too_little_audio_is_a_clear_error(tmp_path, script):
    with pytest.raises(SystemExit) as info:
        script.main([str(tmp_path)])
    assert info.value.code == 2
