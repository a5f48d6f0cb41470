"""Shared by the real-music benchmarks: ``DIR:GENRE`` arguments, audio files, excerpts, looped versions."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile

SAMPLE_RATE = 32_000
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".opus"}
LENGTHS = (5.0, 10.0)
"""Excerpt lengths, seconds: the CLI's default clip length and a longer one."""


@dataclass(frozen=True)
class Source:
    """One ``DIR:GENRE`` argument: a folder of audio files of one style, scored as a shipped genre."""

    folder: Path
    genre: str
    files: tuple[Path, ...]


def parse_sources(values: list[str]) -> list[Source]:
    """Parse ``DIR:GENRE`` arguments.

    Raises:
        ValueError: no colon, not a folder, a genre that is not shipped, or a folder without audio files.
    """
    from optimizer.search._genre import list_genres

    known = list_genres()
    out = []
    for value in values:
        folder, sep, genre = value.rpartition(":")
        if not sep or not folder:
            raise ValueError(f"{value!r} is not DIR:GENRE (e.g. /tmp/music/electronic:electronic)")
        if genre not in known:
            raise ValueError(f"{genre!r} is not a shipped genre (known: {', '.join(known)})")
        path = Path(folder)
        if not path.is_dir():
            raise ValueError(f"{folder!r} is not a folder")
        files = tuple(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES))
        if not files:
            raise ValueError(f"{folder!r} holds no audio files ({', '.join(sorted(AUDIO_SUFFIXES))})")
        out.append(Source(folder=path, genre=genre, files=files))
    return out


def track_seconds(path: Path) -> float:
    """Length of an audio file, seconds (0 when unreadable)."""
    try:
        return float(soundfile.info(str(path)).duration)
    except Exception:  # soundfile raises several types for an unreadable file
        return 0.0


def load(path: Path, offset: float, seconds: float) -> np.ndarray | None:
    """``seconds`` of ``path`` from ``offset`` at 32 kHz mono, as the project loads audio (``librosa.load``);
    None when the file is unreadable or shorter."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            audio, _ = librosa.load(path, sr=SAMPLE_RATE, mono=True, offset=offset, duration=seconds)
    except Exception as exc:  # an unreadable file is skipped, not fatal
        print(f"skipped {path}: {exc}", file=sys.stderr)
        return None
    size = round(seconds * SAMPLE_RATE)
    return audio[:size].astype(np.float32) if len(audio) >= size else None


def interior(path: Path, seconds: float, fractions: tuple[float, ...]) -> list[np.ndarray]:
    """Excerpts from inside a track, starting at ``fractions`` of the span between 10 % of its length and
    90 % minus the excerpt (intros and endings left out); near-silent excerpts (RMS < -60 dBFS) are dropped."""
    total = track_seconds(path)
    first, last = 0.1 * total, 0.9 * total - seconds
    if last < first:
        return []
    out = []
    for fraction in fractions:
        clip = load(path, first + fraction * (last - first), seconds)
        if clip is not None and np.sqrt(np.mean(np.square(clip, dtype=np.float64))) > 1e-3:
            out.append(clip)
    return out


def ending(path: Path, seconds: float) -> np.ndarray | None:
    """The last ``seconds`` of a track (fade-outs, reverb tails)."""
    total = track_seconds(path)
    return load(path, max(0.0, total - seconds - 0.05), seconds) if total > seconds + 0.05 else None


def looped(clip: np.ndarray, loop_seconds: float, share: float) -> tuple[np.ndarray, float]:
    """``clip`` with its last ``share`` replaced by the preceding ``loop_seconds`` repeated; share 1: the
    first ``loop_seconds`` tiled. Returns the audio and the share of it that really is a copy of earlier
    audio (a 4 s loop tiled over 5 s copies 1 s: 0.2, not 1.0).

    Raises:
        ValueError: share < 1 and the loop does not fit before the looped part.
    """
    loop = round(loop_seconds * SAMPLE_RATE)
    if share >= 1.0:
        return np.resize(clip[:loop], len(clip)), max(0.0, (len(clip) - loop) / len(clip))
    onset = round((1.0 - share) * len(clip))
    if loop > onset:
        raise ValueError(f"a {loop_seconds:g} s loop does not fit before the last {share:.0%} of the excerpt")
    tail = np.resize(clip[onset - loop:onset], len(clip) - onset)
    return np.concatenate([clip[:onset], tail]), (len(clip) - onset) / len(clip)


def hard_clipped(clip: np.ndarray, gain_db: float = 6.0) -> np.ndarray:
    """``clip`` peak-normalised to full scale, raised by ``gain_db`` and hard-clipped at ±1."""
    peak = float(np.abs(clip).max()) or 1.0
    return np.clip(clip / peak * 10.0 ** (gain_db / 20.0), -1.0, 1.0).astype(np.float32)
