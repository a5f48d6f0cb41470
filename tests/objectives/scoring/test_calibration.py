"""The repetition objective relative to a genre: calibration tables, the excess, and the user's reference audio.

Synthetic audio from ``test_scoring``: a stuck loop (the first 0.5-2 s tiled) must score near the worst value
under every shipped genre's calibration, while music that repeats its 2 s bar's drums and bass with a new
melody every bar (phrase repetition with variation) must not be penalised in any genre.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from objectives.scoring import RepetitionCalibration, repetition_excess, repetition_score
from objectives.scoring._calibration import MAX_REFERENCE, calibrate_repetition, interior_excerpts
from objectives.scoring._reference import reference_repetition_cached
from optimizer.search._genre import list_genres, load_genre
from tests.objectives.scoring.test_scoring import LOOP_SECONDS, SR, _kick, _tone, loop, music

GENRES = list_genres()


def phrases(seed: int, seconds: float, bar: float = 2.0) -> np.ndarray:
    """Kick on every beat and the same bass line every ``bar`` seconds, under a new random melody each bar."""
    rng = np.random.default_rng(seed)
    y = np.zeros(int((seconds + 2) * SR))

    def add(sound: np.ndarray, at: float) -> None:
        start = int(at * SR)
        y[start:start + len(sound)] += sound

    bass = [(int(rng.integers(43, 60)), float(rng.choice([0.25, 0.5]))) for _ in range(8)]
    for bar_start in np.arange(0.0, seconds, bar):
        for beat in np.arange(0.0, bar, 0.5):
            add(0.8 * _kick(), bar_start + beat)
        t = 0.0
        for note, length in bass:
            if t >= bar:
                break
            add(0.25 * _tone(note, length), bar_start + t)
            t += length
        t = 0.0
        while t < bar:
            length = float(rng.choice([0.25, 0.5]))
            add(0.3 * _tone(int(rng.integers(60, 84)), length), bar_start + t)
            t += length
    y = y[:int(seconds * SR)]
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


@pytest.mark.parametrize("genre", GENRES)
def test_every_shipped_genre_carries_a_calibration_from_real_music(genre):
    calibration = load_genre(genre).calibration
    assert calibration is not None
    assert "benchmarks/calibrate_repetition.py" in calibration.source
    assert calibration.durations == (5.0, 10.0)
    assert all(0.0 <= r <= MAX_REFERENCE for r in calibration.reference)


@pytest.mark.parametrize("seconds", [5.0, 10.0])
def test_a_stuck_loop_scores_near_the_worst_in_every_genre(seconds):
    raw = [repetition_score(loop(seed, seconds, length), SR) for seed in (0, 1) for length in LOOP_SECONDS]
    for genre in GENRES:
        reference = load_genre(genre).calibration.reference_at(seconds)
        assert min(repetition_excess(r, reference) for r in raw) >= 0.9, (genre, raw)


@pytest.mark.parametrize("seconds", [5.0, 10.0])
def test_phrase_repetition_with_variation_is_not_penalised(seconds):
    raw = [repetition_score(phrases(seed, seconds), SR) for seed in (0, 1, 2)]
    stuck = repetition_score(loop(0, seconds, 1.0), SR)
    for genre in GENRES:
        reference = load_genre(genre).calibration.reference_at(seconds)
        assert max(repetition_excess(r, reference) for r in raw) <= 0.05, (genre, raw)
        assert repetition_excess(stuck, reference) >= 0.9


def test_excess_is_zero_up_to_the_reference_and_one_for_a_full_copy():
    assert repetition_excess(0.3, 0.4) == 0.0
    assert repetition_excess(0.4, 0.4) == 0.0
    assert repetition_excess(1.0, 0.4) == 1.0
    assert repetition_excess(1.0, MAX_REFERENCE) == 1.0
    values = [repetition_excess(r, 0.2) for r in np.linspace(0.0, 1.0, 21)]
    assert values == sorted(values) and 0.0 < repetition_excess(0.6, 0.2) < 1.0
    assert repetition_excess(0.7, 0.0) == pytest.approx(0.7)  # reference 0: the raw share itself
    for bad in (-0.1, MAX_REFERENCE + 0.01, 1.0):
        with pytest.raises(ValueError, match="reference repetition"):
            repetition_excess(0.5, bad)


def test_reference_is_interpolated_between_measured_lengths_and_held_outside():
    calibration = RepetitionCalibration(durations=(5.0, 10.0), reference=(0.1, 0.3), quantile=0.9, source="x")
    assert calibration.reference_at(5.0) == pytest.approx(0.1)
    assert calibration.reference_at(7.5) == pytest.approx(0.2)
    assert calibration.reference_at(2.0) == pytest.approx(0.1)
    assert calibration.reference_at(30.0) == pytest.approx(0.3)
    assert RepetitionCalibration.from_dict(calibration.to_dict()) == calibration


@pytest.mark.parametrize("table, message", [
    ({"durations": [5], "repetition": [0.1], "colour": 1}, "unknown key"),
    ({"repetition": [0.1]}, "durations must be a list"),
    ({"durations": [5], "repetition": ["0.1"]}, "repetition must be a list"),
    ({"durations": [True], "repetition": [0.1]}, "durations must be a list"),
    ({"durations": [5, 10], "repetition": [0.1]}, "same length"),
    ({"durations": [], "repetition": []}, "non-empty"),
    ({"durations": [10, 5], "repetition": [0.1, 0.2]}, "strictly increasing"),
    ({"durations": [5, 5], "repetition": [0.1, 0.2]}, "strictly increasing"),
    ({"durations": [0], "repetition": [0.1]}, "strictly increasing"),
    ({"durations": [5], "repetition": [0.9]}, "stuck loop"),
    ({"durations": [5], "repetition": [-0.1]}, "stuck loop"),
    ({"durations": [5], "repetition": [float("nan")]}, "stuck loop"),
    ({"durations": [5], "repetition": [0.1], "quantile": 1.0}, "quantile"),
    ({"durations": [5], "repetition": [0.1], "quantile": True}, "quantile"),
    ({"durations": [5], "repetition": [0.1], "source": 3}, "source"),
])
def test_malformed_calibration_tables_are_refused(table, message):
    with pytest.raises(ValueError, match=message):
        RepetitionCalibration.from_dict(table)


def test_calibration_takes_the_quantile_per_length_and_caps_it():
    calibration = calibrate_repetition({10.0: [0.0] * 8 + [1.0, 1.0], 5.0: list(np.linspace(0, 0.5, 11))},
                                       quantile=0.5)
    assert calibration.durations == (5.0, 10.0)
    assert calibration.reference == (0.25, 0.0)
    assert calibrate_repetition({5.0: [1.0] * 4}).reference == (MAX_REFERENCE,)
    with pytest.raises(ValueError):
        calibrate_repetition({5.0: []})


def test_interior_excerpts_leave_out_intro_ending_and_silence():
    audio = np.concatenate([np.ones(10 * SR), np.zeros(10 * SR), np.ones(80 * SR)]).astype(np.float32)
    clips = interior_excerpts(audio, SR, 5.0, 9)
    assert 0 < len(clips) < 9 and all(len(c) == 5 * SR for c in clips)
    assert interior_excerpts(audio[:5 * SR], SR, 5.0, 3) == []


def test_reference_audio_replaces_the_genre_calibration(tmp_path):
    """``--reference DIR``: the user's music sets the reference; a folder of loops sets the highest allowed,
    a folder of non-repeating music a low one; the value is cached under the files' digest."""
    loops, plain = tmp_path / "loops", tmp_path / "plain"
    loops.mkdir(), plain.mkdir()
    for seed in range(2):
        soundfile.write(loops / f"l{seed}.wav", loop(seed, 8.0, 1.0), SR)
        soundfile.write(plain / f"m{seed}.flac", music(seed, 8.0), SR)
    cache = tmp_path / "cache"
    assert reference_repetition_cached(loops, 5.0, cache_dir=cache) == MAX_REFERENCE
    assert reference_repetition_cached(plain, 5.0, cache_dir=cache) <= 0.05
    assert len(list(cache.glob("repetition-*.txt"))) == 2
    assert reference_repetition_cached(loops, 5.0, cache_dir=cache) == MAX_REFERENCE  # from the cache


@pytest.mark.parametrize("case", ["missing", "empty", "too_short", "not_audio"])
def test_unusable_reference_folders_are_a_clear_error(tmp_path, case):
    folder = tmp_path / "ref"
    if case != "missing":
        folder.mkdir()
    if case == "too_short":
        soundfile.write(folder / "short.wav", music(0, 3.0), SR)
    if case == "not_audio":
        (folder / "fake.wav").write_bytes(b"RIFF....not a wave file")
    with pytest.raises(ValueError) as info:
        reference_repetition_cached(folder, 5.0, cache_dir=tmp_path / "cache")
    assert str(info.value).endswith((".", ")")) and "\n" not in str(info.value)


def test_a_large_reference_folder_is_thinned_before_decoding(tmp_path, monkeypatch):
    from objectives import _audio_input
    from objectives.scoring import _calibration

    for i in range(6):
        soundfile.write(tmp_path / f"take{i}.wav", music(i, 3.0), SR)
    loaded = []
    real_load = _audio_input.read_audio
    monkeypatch.setattr(_audio_input, "read_audio",
                        lambda path, *a, **kw: (loaded.append(path), real_load(path, *a, **kw))[1])
    monkeypatch.setattr(_calibration, "MAX_REFERENCE_EXCERPTS", 8)  # 8 excerpts / 4 per file: 2 files
    _calibration.reference_repetition(sorted(tmp_path.glob("*.wav")), 2.0)
    assert [p.name for p in loaded] == ["take0.wav", "take5.wav"]
