"""Does the repetition score tell a stuck loop from real music? AUC on looped versions of your own audio.

    python benchmarks/validate_repetition.py AUDIO_DIR [--excerpt 8] [--per-file 4]

Cuts non-overlapping excerpts (``--excerpt`` seconds, at most ``--per-file`` per file) from every audio
file under AUDIO_DIR (wav, flac, ogg, mp3, ... as soundfile/librosa read them; resampled to 32 kHz mono),
and makes looped versions of each: from a point in the excerpt on, the preceding 0.5, 1, 2 or 4 seconds
repeat to the end, for looped shares of 25, 50, 75 and 100 % of the excerpt (100 %: the excerpt's first
loop-length seconds tiled). It reports the ROC AUC of :func:`objectives.scoring.repetition_score` for
originals against the looped versions with at least half their time looped, the mean score per looped
share (it should rise with the share) and their Spearman correlation. The last line is exactly
``repetition AUC: <auc> over <n> excerpts``.
"""

from __future__ import annotations

import argparse
import sys
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import librosa
import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from objectives.scoring import repetition_score

SAMPLE_RATE = 32_000
LOOP_SECONDS = (0.5, 1.0, 2.0, 4.0)
SHARES = (0.25, 0.5, 0.75, 1.0)
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


def looped(clip: np.ndarray, loop_seconds: float, share: float) -> np.ndarray:
    """``clip`` with its last ``share`` replaced by the preceding ``loop_seconds`` repeated (share 1: the first
    ``loop_seconds`` tiled)."""
    loop = int(loop_seconds * SAMPLE_RATE)
    onset = max(loop, round((1.0 - share) * len(clip)))
    segment = clip[onset - loop:onset]
    tail = np.resize(segment, len(clip) - onset)
    return np.concatenate([clip[:onset], tail]) if share < 1.0 else np.resize(clip[:loop], len(clip))


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio_dir", type=Path)
    parser.add_argument("--excerpt", type=float, default=8.0, help="excerpt length in seconds (default 8)")
    parser.add_argument("--per-file", type=int, default=4, help="most excerpts per file (default 4)")
    args = parser.parse_args(argv)
    if not args.audio_dir.is_dir():
        parser.error(f"{args.audio_dir} is not a folder")
    clips = excerpts(args.audio_dir, args.excerpt, args.per_file)
    if len(clips) < 2:
        parser.error(f"found {len(clips)} usable excerpts of {args.excerpt:g} s under {args.audio_dir}; need 2 or more")

    originals = [repetition_score(c, SAMPLE_RATE) for c in clips]
    by_share: dict[float, list[float]] = {s: [] for s in SHARES}
    for clip in clips:
        for loop_seconds in LOOP_SECONDS:
            for share in SHARES:
                if loop_seconds <= (1.0 - share) * args.excerpt or share == 1.0:
                    by_share[share].append(repetition_score(looped(clip, loop_seconds, share), SAMPLE_RATE))
    positives = [s for share in SHARES if share >= 0.5 for s in by_share[share]]
    auc = float(roc_auc_score([0] * len(originals) + [1] * len(positives), originals + positives))

    print(f"{len(clips)} excerpts of {args.excerpt:g} s; loops of {', '.join(f'{s:g}' for s in LOOP_SECONDS)} s")
    print(f"{'looped share':>13s} {'mean score':>11s} {'n':>5s}")
    print(f"{0.0:13.0%} {np.mean(originals):11.3f} {len(originals):5d}")
    for share in SHARES:
        print(f"{share:13.0%} {np.mean(by_share[share]):11.3f} {len(by_share[share]):5d}")
    shares = [0.0] * len(originals) + [s for s in SHARES for _ in by_share[s]]
    scores = originals + [x for s in SHARES for x in by_share[s]]
    means = [float(np.mean(originals))] + [float(np.mean(by_share[s])) for s in SHARES]
    rho = spearmanr(shares, scores).statistic
    rises = all(b >= a for a, b in pairwise(means))
    print(f"score rises with the looped share: {'yes' if rises else 'no'} (Spearman rho {rho:.2f})")
    print(f"repetition AUC: {auc:.3f} over {len(clips)} excerpts")
    return auc


if __name__ == "__main__":
    main()
