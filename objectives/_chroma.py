"""The melody conditioning of MusicGen-Melody: an argmax one-hot chromagram, without torchaudio.

Reproduces transformers' ``MusicgenMelodyFeatureExtractor._torch_extract_fbank_features``
(``transformers/models/musicgen_melody/feature_extraction_musicgen_melody.py``), which needs torchaudio:

1. a waveform shorter than ``n_fft`` is zero-padded on both sides to ``n_fft``;
2. power spectrogram ``|STFT|^2`` with a periodic Hann window of ``n_fft = 16384``, hop 4096, centred with
   reflection padding, normalised by the window energy (torchaudio ``Spectrogram(power=2, normalized=True)``);
3. projected onto 12 pitch classes by librosa's chroma filter bank (``librosa.filters.chroma(sr, n_fft,
   tuning=0)``, starting at C; transformers' ``audio_utils.chroma_filter_bank`` is "adapted from librosa"
   with the same defaults);
4. each frame divided by its maximum (``eps = 1e-6``), then replaced by a one-hot vector of its largest bin.

At 32 kHz, 30 s give 235 frames (the model's ``chroma_length``); shorter melodies are repeated by the
model. A longer melody is cut to its first 30 s before the STFT (:func:`conditioning_chroma`): the extractor's
``__call__`` pads with ``truncation=True`` to ``max_length = chunk_length * sampling_rate`` samples
(``chunk_length`` 30) before ``_torch_extract_fbank_features``; the chroma of the whole waveform cut to 235
frames differs in its last frame, whose centred window reaches past 30 s. audiocraft's ``ChromaStemConditioner``
computes the same chroma on the Demucs stems (vocals + other) of the melody; transformers and this module take the
waveform as given.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CHROMA_HOP", "CHROMA_N_FFT", "MELODY_CHUNK_SECONDS", "conditioning_chroma", "melody_chroma"]

CHROMA_N_FFT = 16384
CHROMA_HOP = 4096
MELODY_CHUNK_SECONDS = 30
"""The melody seconds the model hears: transformers' feature extractor ``chunk_length``."""


def conditioning_chroma(wave: np.ndarray, sample_rate: int = 32_000, *, num_chroma: int = 12) -> np.ndarray:
    """The chroma a MusicGen-Melody model is conditioned on: :func:`melody_chroma` of the melody's first
    :data:`MELODY_CHUNK_SECONDS` seconds (the samples after them never reach the STFT, as in transformers).

    Args:
        wave: ``[T]`` (or ``[C, T]``, mixed down) float waveform at ``sample_rate`` Hz.
        sample_rate: Hz; MusicGen's 32 000.
        num_chroma: pitch classes, 12.

    Returns:
        ``[F, num_chroma]`` one-hot float32, ``F <= 235`` at 32 kHz.
    """
    return melody_chroma(np.asarray(wave)[..., : MELODY_CHUNK_SECONDS * sample_rate], sample_rate,
                         num_chroma=num_chroma)


def melody_chroma(wave: np.ndarray, sample_rate: int = 32_000, *, n_fft: int = CHROMA_N_FFT,
                  hop_length: int = CHROMA_HOP, num_chroma: int = 12) -> np.ndarray:
    """The one-hot chromagram MusicGen-Melody is conditioned on.

    Args:
        wave: ``[T]`` float mono waveform at ``sample_rate`` (a ``[C, T]`` array is mixed down).
        sample_rate: Hz; MusicGen's 32 000.
        n_fft, hop_length: STFT size and hop in samples (16384 and 4096 for every checkpoint).
        num_chroma: pitch classes, 12.

    Returns:
        ``[F, num_chroma]`` float32, one 1 per row (the frame's dominant pitch class, C first);
        ``F = 1 + len(wave) // hop_length`` (after padding to ``n_fft``).
    """
    import librosa

    y = np.asarray(wave, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0)
    if len(y) < n_fft:
        pad = n_fft - len(y)
        y = np.pad(y, (pad // 2, pad // 2 + pad % 2))
    window = librosa.filters.get_window("hann", n_fft, fftbins=True)
    spectrum = librosa.stft(y, n_fft=n_fft, hop_length=hop_length, window=window, center=True, pad_mode="reflect")
    power = np.abs(spectrum) ** 2 / np.sum(window ** 2)
    filters = librosa.filters.chroma(sr=sample_rate, n_fft=n_fft, tuning=0.0, n_chroma=num_chroma)
    raw = filters @ power  # [chroma, frames]
    norm = raw / np.maximum(raw.max(axis=0, keepdims=True), 1e-6)
    onehot = np.zeros((norm.shape[1], num_chroma), dtype=np.float32)
    onehot[np.arange(norm.shape[1]), norm.argmax(axis=0)] = 1.0
    return onehot
