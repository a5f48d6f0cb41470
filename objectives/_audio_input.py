"""The one validator for audio the user hands in: melodies, audio prompts to continue, reference folders.

Every audio input goes through :func:`audio_header` (cheap: the file's header only) before anything else runs,
and through :func:`read_audio` when its samples are needed; both raise :class:`AudioInputError` with one
sentence naming the file and the rule it breaks. Files are read with soundfile (libsndfile: WAV, FLAC, OGG,
MP3, AIFF) only: librosa's audioread fallback is never reached, so no library warning reaches the user, and
only the frames a feature uses are read (a 2-hour melody costs its first 30 s, not 10 GB).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MIN_SAMPLE_RATE", "AudioHeader", "AudioInputError", "audio_header", "read_audio"]

MIN_SAMPLE_RATE = 8_000
"""Lowest accepted sample rate, Hz (telephone audio). Everything is resampled to 32 kHz (EnCodec, chroma) or
48 kHz (CLAP); below 8 kHz the 4 kHz band left loses the upper fundamentals of the piano range (B7 = 3951 Hz)
that the 12-bin chroma and the codec need, and a 1 Hz "melody" would be pure interpolation."""

FORMATS = "a WAV, FLAC, OGG, MP3 or AIFF file"


class AudioInputError(ValueError):
    """An audio input cannot be used; the message names the file and the rule, and says what to give instead."""


@dataclass(frozen=True)
class AudioHeader:
    """What a file's header says, read without decoding the audio.

    Attributes:
        path: the file.
        sample_rate: Hz, at least :data:`MIN_SAMPLE_RATE`.
        frames: samples per channel, at least 1 (libsndfile counts what a truncated file really holds).
        channels: at least 1.
    """

    path: Path
    sample_rate: int
    frames: int
    channels: int

    @property
    def seconds(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def audio_header(path: str | Path, *, min_seconds: float = 0.0, max_seconds: float | None = None,
                 what: str = "an audio input") -> AudioHeader:
    """Check an audio file from its header: a regular, readable file of a known format, with at least one
    channel and frame, a sample rate of at least :data:`MIN_SAMPLE_RATE` and a length within bounds.

    Args:
        path: the file.
        min_seconds: shortest accepted length, seconds (>= 0).
        max_seconds: longest accepted length, seconds, or None.
        what: how the message names the input's use, e.g. ``"a melody"``.

    Raises:
        AudioInputError: missing, not a regular file (folder, FIFO, device), empty, not audio, truncated
            before its first frame, a sample rate under 8 kHz, too short or too long.
    """
    import soundfile

    name = repr(str(path))
    try:  # stat never blocks; opening a FIFO without a writer (or a device) for reading would wait forever
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError as exc:
        raise AudioInputError(f"cannot read audio file {name} ({exc.strerror or type(exc).__name__}); give "
                              f"{FORMATS}.") from None
    if not regular:
        raise AudioInputError(f"{name} is not a regular file (a folder, FIFO or device); give {FORMATS}.")
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # libsndfile raises LibsndfileError, RuntimeError or TypeError for a bad file
        reason = str(exc).split(": ", 1)[-1].strip().rstrip(".") or type(exc).__name__
        raise AudioInputError(f"cannot read audio file {name} ({reason}); give {FORMATS}.") from None
    if info.channels < 1 or info.frames < 1:
        raise AudioInputError(f"audio file {name} holds no audio ({info.channels} channel(s), {info.frames} "
                              f"frame(s)); give {FORMATS} with sound in it.")
    if info.samplerate < MIN_SAMPLE_RATE:
        raise AudioInputError(f"audio file {name} has a sample rate of {info.samplerate} Hz but {what} needs at "
                              f"least {MIN_SAMPLE_RATE} Hz; resample it (32 or 48 kHz are best).")
    header = AudioHeader(path=Path(path), sample_rate=int(info.samplerate), frames=int(info.frames),
                         channels=int(info.channels))
    if header.seconds < min_seconds:
        raise AudioInputError(f"audio file {name} lasts {header.seconds:.2f} s but {what} needs at least "
                              f"{min_seconds:g} s.")
    if max_seconds is not None and header.seconds > max_seconds:
        raise AudioInputError(f"audio file {name} lasts {header.seconds:.1f} s but {what} takes at most "
                              f"{max_seconds:g} s; trim it.")
    return header


def read_audio(path: str | Path, sample_rate: int, *, min_seconds: float = 0.0, max_seconds: float | None = None,
               use_seconds: float | None = None, mono: bool = False, what: str = "an audio input") -> np.ndarray:
    """Check an audio file (:func:`audio_header`) and read the part that is used, resampled.

    Args:
        path: the file.
        sample_rate: rate to return, Hz (resampled with soxr, as ``librosa.load`` does).
        min_seconds, max_seconds, what: as for :func:`audio_header`.
        use_seconds: read only the first ``use_seconds`` seconds (the rest is never decoded), or None for all.
        mono: mix the channels down.

    Returns:
        ``[C, T]`` float32 at ``sample_rate`` (``[T]`` when ``mono``), every sample finite.

    Raises:
        AudioInputError: as :func:`audio_header`; the audio cannot be decoded, or holds NaN or infinite samples.
    """
    import soundfile

    header = audio_header(path, min_seconds=min_seconds, max_seconds=max_seconds, what=what)
    frames = header.frames if use_seconds is None else min(header.frames, round(use_seconds * header.sample_rate))
    try:
        data, _ = soundfile.read(str(path), frames=frames, dtype="float32", always_2d=True)
    except Exception as exc:  # a header that reads but data that does not
        reason = str(exc).split(": ", 1)[-1].strip().rstrip(".") or type(exc).__name__
        raise AudioInputError(f"cannot decode audio file {str(path)!r} ({reason}); give {FORMATS}.") from None
    if not np.isfinite(data).all():
        raise AudioInputError(f"audio file {str(path)!r} holds NaN or infinite samples; give a file of "
                              "finite samples (re-export it from your editor).")
    if len(data) < 1:
        raise AudioInputError(f"audio file {str(path)!r} holds no audio; give {FORMATS} with sound in it.")
    wave = np.ascontiguousarray(data.T)  # [C, T]
    if mono:
        wave = wave.mean(axis=0)
    if header.sample_rate != sample_rate:
        import librosa

        wave = librosa.resample(wave, orig_sr=header.sample_rate, target_sr=sample_rate, res_type="soxr_hq")
    return np.asarray(wave, dtype=np.float32)
