"""The melody chroma against its definition (transformers' MusicgenMelodyFeatureExtractor)."""

import numpy as np
from transformers.audio_utils import chroma_filter_bank

from objectives._chroma import melody_chroma


def _note(freq, seconds, sr=32_000):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_librosa_filter_bank_is_the_one_transformers_builds():
    import librosa

    ours = librosa.filters.chroma(sr=32_000, n_fft=16384, tuning=0.0, n_chroma=12)
    theirs = chroma_filter_bank(num_frequency_bins=16384, num_chroma=12, sampling_rate=32_000, tuning=0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)


def test_a_scale_gives_its_pitch_classes_one_hot():
    # C4 D4 E4 G4 A4, 1 s each: 12-TET from A4 = 440 Hz; pitch classes C=0, D=2, E=4, G=7, A=9.
    notes = {0: 261.63, 2: 293.66, 4: 329.63, 7: 392.00, 9: 440.00}
    wave = np.concatenate([_note(f, 1.0) for f in notes.values()])
    chroma = melody_chroma(wave)
    assert chroma.shape == (1 + len(wave) // 4096, 12)
    assert np.all(chroma.sum(axis=1) == 1.0)
    centres = [round((i + 0.5) * 32_000 / 4096) for i in range(len(notes))]  # mid-note frames
    assert [int(chroma[c].argmax()) for c in centres] == list(notes)


def test_30_seconds_give_the_models_235_frames_and_short_clips_are_padded():
    assert melody_chroma(np.zeros(30 * 32_000, dtype=np.float32)).shape == (235, 12)
    assert melody_chroma(_note(440.0, 0.1)).shape == (5, 12)  # padded to n_fft = 16384 samples


def test_melody_adherence_is_the_share_of_frames_on_the_melodys_pitch_class():
    from objectives.scoring._melody import melody_adherence

    melody = np.concatenate([_note(261.63, 2.0), _note(392.0, 2.0)])  # C then G
    reference = melody_chroma(melody)
    assert melody_adherence(reference, melody, 32_000) == 1.0
    assert melody_adherence(reference, _note(311.13, 4.0), 32_000) == 0.0  # D#: neither C nor G
    half = melody_adherence(reference, _note(261.63, 4.0), 32_000)  # C throughout: right for the first half
    assert 0.4 < half < 0.6
