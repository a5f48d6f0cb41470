"""The user's reference audio for a genre: excerpts, their CLAP embedding statistics, and a cache of those."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from objectives._audio_input import AudioHeader, audio_header, read_audio
from objectives.scoring._clap import CLAP_SAMPLE_RATE, ClapScorer
from objectives.scoring._fad import MIN_EMBEDDINGS, EmbeddingStats

__all__ = [
    "AUDIO_SUFFIXES",
    "MAX_EXCERPTS",
    "ReferenceSet",
    "default_cache_dir",
    "load_reference",
    "reference_digest",
    "reference_repetition_cached",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
"""File types read from a reference folder (through soundfile/libsndfile)."""
MAX_EXCERPTS = 1000
"""Most excerpts embedded; more are thinned evenly (a covariance of 512-d embeddings is well estimated well
before that, and embedding stays within minutes on a GPU)."""


@dataclass(frozen=True)
class ReferenceSet:
    """CLAP embedding statistics of a folder of reference audio.

    Attributes:
        stats: mean and covariance of the excerpts' CLAP audio embeddings.
        digest: sha256 (16 hex digits) of the files' contents, the CLAP checkpoint and the excerpt length:
            what a study records so that its FAD values stay comparable.
        files: number of audio files read.
        excerpts: number of excerpts embedded.
    """

    stats: EmbeddingStats
    digest: str
    files: int
    excerpts: int


def default_cache_dir() -> Path:
    """``$MGOPT_CACHE_DIR``, else ``$XDG_CACHE_HOME/musicgen-decoding-optimizer``, else ``~/.cache/...``."""
    if os.environ.get("MGOPT_CACHE_DIR"):
        return Path(os.environ["MGOPT_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "musicgen-decoding-optimizer"


def _audio_files(folder: Path) -> list[Path]:
    """The folder's audio files, each checked from its header by the one audio validator."""
    return [h.path for h in _headers(folder)]


def _headers(folder: Path) -> list[AudioHeader]:
    if not folder.is_dir():
        raise ValueError(f"reference folder {str(folder)!r} does not exist or is not a folder.")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise ValueError(f"reference folder {str(folder)!r} holds no audio files ({', '.join(AUDIO_SUFFIXES)}).")
    return [audio_header(path, what="reference audio") for path in files]


def excerpt_count(headers: list[AudioHeader], duration: float) -> int:
    """How many ``duration``-second excerpts :func:`load_reference` cuts from files, from their headers alone
    (before thinning to :data:`MAX_EXCERPTS`)."""
    size = round(duration * CLAP_SAMPLE_RATE)
    return sum(math.ceil(h.frames * CLAP_SAMPLE_RATE / h.sample_rate) // size for h in headers)


def reference_digest(folder: str | Path, clap_name: str, duration: float) -> str:
    """The :attr:`ReferenceSet.digest` of ``folder`` without embedding anything (reads every file once).

    Every file's header is checked first (:func:`objectives._audio_input.audio_header`), and the folder must
    yield the excerpts the FAD statistics need, so a bad folder is refused before any model loads.

    Raises:
        ValueError: not a folder, no audio files, a file the audio validator refuses
            (:class:`~objectives._audio_input.AudioInputError`), or fewer than 2 excerpts of ``duration``.
    """
    folder = Path(folder)
    headers = _headers(folder)
    _check_excerpts(excerpt_count(headers, float(duration)), folder, float(duration))
    return _digest([h.path for h in headers], folder, clap_name, float(duration))


def _check_excerpts(count: int, folder: Path, duration: float) -> None:
    if count < MIN_EMBEDDINGS:
        raise ValueError(f"reference folder {str(folder)!r} yields {count} excerpt(s) of {duration:g} s; at least "
                         f"{MIN_EMBEDDINGS} are needed (add audio or longer files).")


def _digest(files: list[Path], folder: Path, clap_name: str, duration: float) -> str:
    h = hashlib.sha256(f"clap={clap_name}\nduration={duration!r}\n".encode())
    for path in files:
        h.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape") + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def _excerpts(files: list[Path], duration: float) -> list[np.ndarray]:
    """Non-overlapping ``duration``-second mono excerpts at 48 kHz; a shorter tail is dropped."""
    size = round(duration * CLAP_SAMPLE_RATE)
    out: list[np.ndarray] = []
    for path in files:
        wave = read_audio(path, CLAP_SAMPLE_RATE, mono=True, what="reference audio")
        out.extend(wave[i:i + size] for i in range(0, len(wave) - size + 1, size))
    if len(out) > MAX_EXCERPTS:
        keep = np.linspace(0, len(out) - 1, MAX_EXCERPTS).round().astype(int)
        out = [out[i] for i in keep]
    return out


def load_reference(folder: str | Path, clap: ClapScorer, *, duration: float, cache_dir: Path | None = None,
                   batch: int = 32, digest: str | None = None) -> ReferenceSet:
    """Embed a folder of reference audio with ``clap``, or read the cached result.

    Every file is resampled to 48 kHz mono (soxr) and cut into non-overlapping excerpts of ``duration``
    seconds, the trials' clip length, so reference and generated clips are embedded alike (same length, same
    CLAP windowing). The statistics are cached in ``cache_dir`` (default :func:`default_cache_dir`) under the
    digest of the files' contents, the CLAP checkpoint and the duration, so they are computed once.

    Args:
        folder: a folder of audio files (searched recursively; see :data:`AUDIO_SUFFIXES`).
        clap: the scorer whose audio embeddings are used (the study's CLAP).
        duration: excerpt length in seconds, > 0.
        cache_dir: where ``reference-<digest>.npz`` files go; an unwritable cache only costs recomputation.
        batch: excerpts embedded per call.
        digest: :func:`reference_digest` of the same folder, CLAP and duration when the caller has it already
            (it reads every file; no need to read them twice).

    Raises:
        ValueError: not a folder, no audio files, an unreadable file, or fewer than 2 excerpts of ``duration``.
    """
    folder = Path(folder)
    files = _audio_files(folder)
    digest = digest or _digest(files, folder, clap.name, float(duration))
    cache = (cache_dir or default_cache_dir()) / f"reference-{digest}.npz"
    if cache.is_file():
        try:
            with np.load(cache) as data:
                stats = EmbeddingStats(mean=data["mean"], cov=data["cov"], n=int(data["n"]))
                return ReferenceSet(stats=stats, digest=digest, files=int(data["files"]), excerpts=stats.n)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is recomputed
    excerpts = _excerpts(files, duration)
    _check_excerpts(len(excerpts), folder, float(duration))
    embedded = [clap.audio_embeddings(np.stack(excerpts[i:i + batch]), CLAP_SAMPLE_RATE).cpu().numpy()
                for i in range(0, len(excerpts), batch)]
    stats = EmbeddingStats.from_embeddings(np.concatenate(embedded))
    stats = EmbeddingStats(mean=stats.mean, cov=stats.cov, n=stats.n)  # the reference keeps no factor
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, mean=stats.mean, cov=stats.cov, n=stats.n, files=len(files))
        os.replace(tmp, cache)
    except OSError:
        pass
    return ReferenceSet(stats=stats, digest=digest, files=len(files), excerpts=stats.n)


def reference_repetition_cached(folder: str | Path, duration: float, *, cache_dir: Path | None = None) -> float:
    """The repetition reference of a folder of the user's audio (``--reference DIR``) at one clip length:
    :func:`~objectives.scoring._calibration.reference_repetition`, cached like the CLAP statistics under a
    digest of the files' contents and the clip length.

    Raises:
        ValueError: not a folder, no audio files, an unreadable file, or no excerpt of ``duration`` seconds.
    """
    from objectives.scoring._calibration import DEFAULT_QUANTILE, reference_repetition

    folder = Path(folder)
    files = _audio_files(folder)
    digest = _digest(files, folder, f"repetition:q{DEFAULT_QUANTILE}", float(duration))
    cache = (cache_dir or default_cache_dir()) / f"repetition-{digest}.txt"
    try:
        return float(cache.read_text())
    except (OSError, ValueError):
        pass  # absent or damaged: recomputed
    value = reference_repetition(files, float(duration))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(repr(value))
        os.replace(tmp, cache)
    except OSError:
        pass
    return value
