"""Do the scores hold on real music? Repetition objective, loop detection and degeneracy checks per style.

    python benchmarks/validate_scores.py DIR:GENRE [DIR:GENRE ...] [--per-track 2] [--jobs 2] [--json OUT]

Each DIR holds audio files of one style, scored with that shipped genre's repetition calibration
(``studies/<genre>.toml``). From every file, ``--per-track`` excerpts of 5 s and of 10 s are cut from inside the
track (at 25 % and 75 % of the span from 10 % of its length to 90 % minus the excerpt; the calibration
script takes its excerpts at other positions) and loaded at 32 kHz mono as the project loads audio.
Per style and length it reports: raw ``repetition_score`` and the repetition objective on the unmodified
excerpts; false-positive rates of the noise, clipping and silence checks on them (and silence on the tracks'
last 10 s and on excerpts 20 dB quieter); the objective on looped versions (the first 0.5 / 1 / 2 s tiled;
the last ⅔ or ⅓ replaced by the preceding 0.5 / 1 / 2 s repeated), with the ROC AUC against the originals and
the mean by the share of the excerpt that really is a copy (looped versions of each file's first excerpt per
length, to keep the CPU time modest); and the share of +6 dB hard-clipped excerpts
(peak-normalised, +6 dB, clipped at ±1) the clipping check catches. White noise and digital silence are
checked once. The last line is exactly
``real music: originals <worst style's mean objective> | loops <lowest style's full-loop mean> | auc third 5s
<a> 10s <b> | false positives noise <n> clipping <c> silence <s> | hard clips caught <h>`` (AUCs: the lowest
style's; false positives over all interior excerpts; shares in [0, 1]).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _music import LENGTHS, SAMPLE_RATE, Source, ending, hard_clipped, interior, looped, parse_sources
from sklearn.metrics import roc_auc_score

from objectives.scoring._calibration import repetition_excess
from objectives.scoring._degeneracy import DegeneracyThresholds, degeneracy
from objectives.scoring._repetition import repetition_score

FRACTIONS = (0.25, 0.75)
LOOPS = (0.5, 1.0, 2.0)
KINDS = {"full": 1.0, "two_thirds": 2 / 3, "third": 1 / 3}
LIMITS = DegeneracyThresholds()


def _flags(clip: np.ndarray) -> dict[str, bool]:
    return {k: v > 0 for k, v in degeneracy(clip, SAMPLE_RATE, LIMITS).violations(LIMITS).items()}


def score_track(path: Path, style: str, references: dict[float, float], per_track: int) -> list[dict]:
    """Every measurement of one file (see the module docstring), as flat records."""
    rows: list[dict] = []

    def rep(clip: np.ndarray, secs: float) -> dict:
        raw = repetition_score(clip, SAMPLE_RATE)
        return {"raw": raw, "objective": repetition_excess(raw, references[secs])}

    for secs in LENGTHS:
        for index, clip in enumerate(interior(path, secs, FRACTIONS[:per_track] if per_track <= 2 else
                                              tuple(np.linspace(0.0, 1.0, per_track)))):
            base = {"style": style, "file": path.name, "secs": secs}
            rows.append({**base, "kind": "original", **rep(clip, secs), **_flags(clip)})
            rows.append({**base, "kind": "quiet", **{f"{k}": v for k, v in _flags(clip * 0.1).items()}})
            rows.append({**base, "kind": "hard_clip", **_flags(hard_clipped(clip))})
            if index > 0:
                continue  # looped versions of the first excerpt only: CPU
            for kind, share in KINDS.items():
                for loop in LOOPS:
                    if share < 1.0 and loop > (1.0 - share) * secs:
                        continue
                    audio, copied = looped(clip, loop, share)
                    rows.append({**base, "kind": kind, "loop": loop, "copied": copied, **rep(audio, secs)})
    tail = ending(path, 10.0)
    if tail is not None:
        rows.append({"style": style, "file": path.name, "secs": 10.0, "kind": "ending", **_flags(tail)})
    return rows


def _auc(neg: list[float], pos: list[float]) -> float:
    return float(roc_auc_score([0] * len(neg) + [1] * len(pos), neg + pos)) if neg and pos else float("nan")


def _share(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in rows])) if rows else float("nan")


def report(rows: list[dict], sources: list[Source]) -> str:
    """Print the tables; return the last line."""
    by = defaultdict(list)
    for r in rows:
        by[(r["style"], r["secs"], r["kind"])].append(r)
    styles = [s.folder.name for s in sources]
    print("\n## Unmodified excerpts: repetition (raw and objective) and false positives of the degeneracy checks")
    print("| style (genre) | s | n | raw mean | raw p50 | raw p90 | raw max | objective mean | objective > 0 "
          "| noise | clipping | silence | silence at -20 dB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst_objective, lowest_full, auc_third = 0.0, 1.0, {s: 1.0 for s in LENGTHS}
    for src, style in zip(sources, styles, strict=True):
        for secs in LENGTHS:
            orig, quiet = by[(style, secs, "original")], by[(style, secs, "quiet")]
            if not orig:
                continue
            raw = np.array([r["raw"] for r in orig])
            obj = np.array([r["objective"] for r in orig])
            worst_objective = max(worst_objective, float(obj.mean()))
            print(f"| {style} ({src.genre}) | {secs:g} | {len(orig)} | {raw.mean():.3f} | {np.median(raw):.3f} | "
                  f"{np.quantile(raw, 0.9):.3f} | {raw.max():.3f} | {obj.mean():.3f} | {np.mean(obj > 0):.1%} | "
                  f"{_share(orig, 'noise'):.1%} | {_share(orig, 'clipping'):.1%} | {_share(orig, 'silence'):.1%} | "
                  f"{_share(quiet, 'silence'):.1%} |")
    print("\n## Loops: mean objective and AUC against the originals (⅓ also on the raw score)")
    print("| style | s | full 0.5 / 1 / 2 s | ⅔ looped | ⅓ looped | AUC full | AUC ⅔ | AUC ⅓ | AUC ⅓ raw |")
    print("|---|---|---|---|---|---|---|---|---|")
    for style in styles:
        for secs in LENGTHS:
            orig = [r["objective"] for r in by[(style, secs, "original")]]
            if not orig:
                continue
            full = {loop: [r["objective"] for r in by[(style, secs, "full")] if r["loop"] == loop] for loop in LOOPS}
            lowest_full = min(lowest_full, float(np.mean([x for v in full.values() for x in v])))
            two = [r["objective"] for r in by[(style, secs, "two_thirds")]]
            third = [r["objective"] for r in by[(style, secs, "third")]]
            raw_orig = [r["raw"] for r in by[(style, secs, "original")]]
            raw_third = [r["raw"] for r in by[(style, secs, "third")]]
            auc3 = _auc(orig, third)
            auc_third[secs] = min(auc_third[secs], auc3)
            all_full = [x for v in full.values() for x in v]
            print(f"| {style} | {secs:g} | {' / '.join(f'{np.mean(v):.2f}' for v in full.values())} | "
                  f"{np.mean(two):.2f} | {np.mean(third):.2f} | {_auc(orig, all_full):.3f} "
                  f"| {_auc(orig, two):.3f} | {auc3:.3f} | {_auc(raw_orig, raw_third):.3f} |")
    print("\n## Mean objective by the share of the excerpt that is a copy (all styles)")
    print("| s | copied share | n | mean objective | mean raw |")
    print("|---|---|---|---|---|")
    for secs in LENGTHS:
        looped_rows = [r for r in rows if r["secs"] == secs and r["kind"] in KINDS]
        for lo, hi in ((0.0, 0.01), (0.2, 0.4), (0.4, 0.7), (0.7, 0.95), (0.95, 1.01)):
            pick = [r for r in looped_rows if lo <= r["copied"] < hi] if lo > 0 else \
                [r for r in rows if r["secs"] == secs and r["kind"] == "original"]
            if pick:
                print(f"| {secs:g} | {lo:.2f}–{min(hi, 1.0):.2f} | {len(pick)} | "
                      f"{np.mean([r['objective'] for r in pick]):.3f} | {np.mean([r['raw'] for r in pick]):.3f} |")
    interior_rows = [r for r in rows if r["kind"] == "original"]
    endings = [r for r in rows if r["kind"] == "ending"]
    clipped = [r for r in rows if r["kind"] == "hard_clip"]
    print(f"\nTrack endings (last 10 s): silence flags {_share(endings, 'silence'):.1%} of {len(endings)}")
    noise = np.random.default_rng(0).normal(0.0, 0.1, 5 * SAMPLE_RATE).astype(np.float32)
    print(f"White noise flagged as noise: {_flags(noise)['noise']}; digital silence flagged as silence: "
          f"{_flags(np.zeros(5 * SAMPLE_RATE, dtype=np.float32))['silence']}")
    print(f"Hard-clipped (+6 dB) excerpts caught: {_share(clipped, 'clipping'):.1%} of {len(clipped)}")
    return (f"real music: originals {worst_objective:.3f} | loops {lowest_full:.3f} | auc third 5s "
            f"{auc_third[5.0]:.3f} 10s {auc_third[10.0]:.3f} | false positives noise "
            f"{_share(interior_rows, 'noise'):.4f} clipping {_share(interior_rows, 'clipping'):.4f} silence "
            f"{_share(interior_rows, 'silence'):.4f} | hard clips caught {_share(clipped, 'clipping'):.3f}")


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", metavar="DIR:GENRE")
    parser.add_argument("--per-track", type=int, default=2, help="excerpts per file and length (default 2)")
    parser.add_argument("--jobs", type=int, default=2, choices=(1, 2), help="processes (default 2)")
    parser.add_argument("--max-files", type=int, default=None,
                        help="most files per folder, evenly spaced in name order (default all)")
    parser.add_argument("--json", type=Path, default=None, help="also write every record to this new file")
    args = parser.parse_args(argv)
    try:
        sources = parse_sources(args.sources)
    except ValueError as exc:
        parser.error(str(exc))
    if args.per_track < 1:
        parser.error(f"--per-track must be >= 1 but got {args.per_track}")
    if args.max_files is not None and args.max_files < 2:
        parser.error(f"--max-files must be >= 2 but got {args.max_files}")
    if args.json is not None:
        from optimizer._outputs import OutputPathError, check_output

        try:  # the one output rule: a new file only, never a link or special file, refused before any work
            check_output(args.json, what="the records file", hint="pass a new --json file name")
        except (OutputPathError, ValueError) as exc:
            parser.error(str(exc))
    from optimizer.search._genre import load_genre

    jobs = []
    for src in sources:
        calibration = load_genre(src.genre).calibration
        references = {s: calibration.reference_at(s) if calibration else 0.0 for s in LENGTHS}
        print(f"{src.folder.name}: {len(src.files)} files, genre {src.genre}, repetition reference "
              + ", ".join(f"{references[s]:.3f} at {s:g} s" for s in LENGTHS))
        files = src.files
        if args.max_files is not None and len(files) > args.max_files:
            files = tuple(files[i] for i in np.linspace(0, len(files) - 1, args.max_files).round().astype(int))
        print(f"  files used: {'; '.join(p.name for p in files)}")
        jobs += [(path, src.folder.name, references, args.per_track) for path in files]
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else nullcontext() as pool:
        mapper = pool.map if pool is not None else map  # --jobs 1: in this process
        for done, result in enumerate(mapper(score_track, *zip(*jobs, strict=True)), 1):
            rows += result
            print(f"\r{done}/{len(jobs)} files", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if args.json is not None:
        from optimizer._outputs import create_new_files

        create_new_files({args.json: json.dumps(rows).encode("utf-8")})
    line = report(rows, sources)
    print(line)
    return line


if __name__ == "__main__":
    main()
