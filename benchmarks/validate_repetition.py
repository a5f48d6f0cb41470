"""Does the repetition score tell a stuck loop from real music? AUC on looped versions of your own audio.

    python benchmarks/validate_repetition.py AUDIO_DIR [--excerpt 5 10] [--per-file 4]

Cuts non-overlapping excerpts (of each ``--excerpt`` length in seconds, default 5 and 10, at most ``--per-file``
per file and length) from every audio file under AUDIO_DIR (wav, flac, ogg, mp3, ... as soundfile/librosa read
them; resampled to 32 kHz mono), and makes looped versions of each: from a point in the excerpt on, the
preceding 0.5, 1, 2 or 4 seconds repeat to the end (25, 50 and 75 % of the excerpt, where the loop fits before
that point), or the excerpt's first loop-length seconds are tiled. Each version is labelled with the share of it
that really is a copy of earlier audio: a 4 s loop tiled over a 5 s excerpt copies 1 s (20 %), not 100 %.
Per length it reports the ROC AUC of :func:`objectives.scoring.repetition_score` for originals against versions
with at least half their time copied, the mean score per copied share (it should rise with the share) and their
Spearman correlation. The last line is exactly
``repetition AUC: <auc at the first length> ... over <n> excerpts``, e.g.
``repetition AUC: 5s 0.991 10s 0.985 over 24 excerpts``.
"""

from __future__ import annotations

import argparse
import sys
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import librosa
import numpy as np
from _music import looped
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from objectives.scoring import repetition_score

SAMPLE_RATE = 32_000
LOOP_SECONDS = (0.5, 1.0, 2.0, 4.0)
SHARES = (0.25, 0.5, 0.75, 1.0)
BINS = ((0.0, 0.4), (0.4, 0.6), (0.6, 0.85), (0.85, 1.01))
"""Copied-share bins the means are reported for (0 is the originals)."""
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aiff", ".aif", ".opus"}


def excerpts(folder: Path, seconds: float, per_file: int) -> list[np.ndarray]:
    """Non-overlapping excerpts of every readable audio file under ``folder`` (32 kHz mono float32)."""
    size = int(seconds * SAMPLE_RATE)
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        try:
            audio, _ = librosa.load(path, sr=SAMPLE_RATE, mono=True)
        except Exception as exc:  # an unreadable file is skipped, not fatal
            print(f"skipped {path}: {exc}", file=sys.stderr)
            continue
        for start in range(0, len(audio) - size + 1, size)[:per_file]:
            clip = audio[start:start + size]
            if np.sqrt(np.mean(clip ** 2)) > 1e-3:  # not silence
                out.append(clip.astype(np.float32))
    return out


def versions(clip: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """``(copied share, audio)`` of every looped version of ``clip`` whose loop fits."""
    out = []
    for loop_seconds in LOOP_SECONDS:
        for share in SHARES:
            try:
                audio, copied = looped(clip, loop_seconds, share)
            except ValueError:
                continue  # the loop does not fit before the looped part
            out.append((copied, audio))
    return out


def validate(clips: list[np.ndarray]) -> tuple[float, list[tuple[str, float, int]], float]:
    """AUC (originals vs versions with >= half copied), mean score per copied-share bin, Spearman rho."""
    originals = [repetition_score(c, SAMPLE_RATE) for c in clips]
    scored = [(copied, repetition_score(audio, SAMPLE_RATE)) for c in clips for copied, audio in versions(c)]
    positives = [s for copied, s in scored if copied >= 0.5]
    auc = float(roc_auc_score([0] * len(originals) + [1] * len(positives), originals + positives))
    rows = [("0 (originals)", float(np.mean(originals)), len(originals))]
    for lo, hi in BINS:
        values = [s for copied, s in scored if lo <= copied < hi]
        if values:
            rows.append((f"{lo:.0%}-{min(hi, 1.0):.0%}", float(np.mean(values)), len(values)))
    rho = spearmanr([0.0] * len(originals) + [c for c, _ in scored], originals + [s for _, s in scored]).statistic
    return auc, rows, float(rho)


def main(argv: list[str] | None = None) -> dict[float, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio_dir", type=Path)
    parser.add_argument("--excerpt", type=float, nargs="+", default=[5.0, 10.0],
                        help="excerpt lengths in seconds (default 5 10)")
    parser.add_argument("--per-file", type=int, default=4, help="most excerpts per file and length (default 4)")
    args = parser.parse_args(argv)
    if not args.audio_dir.is_dir():
        parser.error(f"{args.audio_dir} is not a folder")
    if any(not 1.0 <= s <= 30.0 for s in args.excerpt):
        parser.error(f"--excerpt lengths must be in [1, 30] seconds but got {args.excerpt}")
    results: dict[float, float] = {}
    total = 0
    for seconds in args.excerpt:
        clips = excerpts(args.audio_dir, seconds, args.per_file)
        if len(clips) < 2:
            parser.error(f"found {len(clips)} usable excerpts of {seconds:g} s under {args.audio_dir}; need 2 or more")
        auc, rows, rho = validate(clips)
        results[seconds] = auc
        total += len(clips)
        print(f"{len(clips)} excerpts of {seconds:g} s; loops of {', '.join(f'{s:g}' for s in LOOP_SECONDS)} s")
        print(f"{'copied share':>14s} {'mean score':>11s} {'n':>5s}")
        for label, mean, n in rows:
            print(f"{label:>14s} {mean:11.3f} {n:5d}")
        rises = all(b[1] >= a[1] for a, b in pairwise(rows))
        print(f"score rises with the copied share: {'yes' if rises else 'no'} (Spearman rho {rho:.2f}); AUC {auc:.3f}")
    print("repetition AUC: " + " ".join(f"{s:g}s {a:.3f}" for s, a in results.items()) + f" over {total} excerpts")
    return results


if __name__ == "__main__":
    main()
