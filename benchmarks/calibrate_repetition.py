"""Compute a genre's repetition calibration from real music and (with --write) store it in its genre file.

    python benchmarks/calibrate_repetition.py DIR:GENRE [DIR:GENRE ...] [--quantile 0.9] [--write]

For each ``DIR:GENRE``, raw ``repetition_score`` is measured on excerpts of 5 s and 10 s from inside every
audio file under DIR (at 0, 50 and 100 % of the span from 10 % of the track's length to 90 % minus the
excerpt; ``benchmarks/validate_scores.py`` scores other positions), loaded at 32 kHz mono as the project loads
audio. The ``--quantile`` of each length is the genre's reference: the repetition objective is the excess over
it (:func:`objectives.scoring.repetition_excess`). Prints the ``[calibration]`` table; ``--write`` replaces the
one in ``studies/<GENRE>.toml`` (or appends it). Several DIRs may name the same genre (pooled) or a genre may
borrow another style's music; ``--as GENRE=STYLE_GENRE`` writes STYLE_GENRE's table into GENRE's file too.
"""

from __future__ import annotations

import argparse
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _music import LENGTHS, SAMPLE_RATE, interior, parse_sources

from objectives.scoring._calibration import DEFAULT_QUANTILE, calibrate_repetition
from objectives.scoring._repetition import repetition_score
from optimizer._outputs import OutputPathError, check_output, replace_own_file

FRACTIONS = (0.0, 0.5, 1.0)
STUDIES = Path(__file__).resolve().parent.parent / "studies"


def track_scores(path: Path) -> dict[float, list[float]]:
    """Raw repetition of one file's interior excerpts, per length."""
    return {secs: [repetition_score(c, SAMPLE_RATE) for c in interior(path, secs, FRACTIONS)] for secs in LENGTHS}


def toml_table(table: dict) -> str:
    """The ``[calibration]`` table as TOML text."""
    numbers = ", ".join
    return ("[calibration]\n"
            f"source = \"{table['source']}\"\n"
            f"quantile = {table['quantile']}\n"
            f"durations = [{numbers(f'{d:g}' for d in table['durations'])}]\n"
            f"repetition = [{numbers(f'{r:.4f}' for r in table['repetition'])}]\n")


def write_table(genre: str, text: str) -> None:
    """Replace (or append) the ``[calibration]`` table of ``studies/<genre>.toml``; the file must exist."""
    path = STUDIES / f"{genre}.toml"
    kept, inside = [], False
    for line in path.read_text().splitlines():
        if re.match(r"^\[[A-Za-z_]", line):  # a table header ends the previous table
            inside = line.strip() == "[calibration]"
        if not inside:
            kept.append(line)
    replace_own_file(path, "\n".join(kept).rstrip("\n") + f"\n\n{text}", what="the genre file",
                     hint="restore the shipped genre file", overwrite=True)  # atomic; never through a link


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", metavar="DIR:GENRE")
    parser.add_argument("--quantile", type=float, default=DEFAULT_QUANTILE)
    parser.add_argument("--label", default="", help="what the music is (package names, versions), for the source")
    parser.add_argument("--as", dest="borrow", action="append", default=[], metavar="GENRE=STYLE_GENRE",
                        help="also give GENRE the table computed for STYLE_GENRE (no music of GENRE at hand)")
    parser.add_argument("--jobs", type=int, default=2, choices=(1, 2))
    parser.add_argument("--write", action="store_true", help="write the tables into studies/<genre>.toml")
    args = parser.parse_args(argv)
    try:
        sources = parse_sources(args.sources)
    except ValueError as exc:
        parser.error(str(exc))
    if not 0.0 < args.quantile < 1.0:
        parser.error(f"--quantile must be in (0, 1) but got {args.quantile}")
    borrowed = [b.partition("=")[::2] for b in args.borrow]
    if args.write:  # refused before any music is scored: a genre file replaced by a link or special file
        for genre in {s.genre for s in sources} | {t for t, _ in borrowed}:
            try:
                check_output(STUDIES / f"{genre}.toml", what="the genre file", hint="restore the shipped genre file",
                             overwrite=True)
            except (OutputPathError, ValueError) as exc:
                parser.error(str(exc))
    genres = {s.genre for s in sources}
    for target, style in borrowed:
        if style not in genres or not (STUDIES / f"{target}.toml").is_file():
            parser.error(f"--as {target}={style}: {style} must be one of the DIR:GENRE genres and {target} shipped")
    pooled: dict[str, dict[float, list[float]]] = {}
    folders: dict[str, list[str]] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) if args.jobs > 1 else nullcontext() as pool:
        mapper = pool.map if pool is not None else map  # --jobs 1: in this process
        for src in sources:
            scores = pooled.setdefault(src.genre, {s: [] for s in LENGTHS})
            folders.setdefault(src.genre, []).append(f"{src.folder.name} ({len(src.files)} files)")
            for result in mapper(track_scores, src.files):
                for secs, values in result.items():
                    scores[secs] += values
    tables: dict[str, dict] = {}
    for genre, scores in pooled.items():
        counts = "/".join(str(len(scores[s])) for s in LENGTHS)
        label = f" {args.label}" if args.label else ""
        lengths = "/".join(f"{s:g}" for s in LENGTHS)
        source = (f"benchmarks/calibrate_repetition.py on {', '.join(folders[genre])}{label}: {counts} excerpts "
                  f"of {lengths} s, {date.today().isoformat()}")
        calibration = calibrate_repetition(scores, quantile=args.quantile, source=source)
        tables[genre] = calibration.to_dict()
        for secs in LENGTHS:
            v = np.array(scores[secs])
            print(f"# {genre} {secs:g} s: n {len(v)}, raw mean {v.mean():.3f}, p50 {np.median(v):.3f}, "
                  f"p{args.quantile * 100:g} {np.quantile(v, args.quantile):.3f}, max {v.max():.3f}")
    for target, style in borrowed:
        table = dict(tables[style])
        table["source"] = f"borrowed from {style} (no {target} music at hand): {table['source']}"
        tables[target] = table
    for genre, table in tables.items():
        text = toml_table(table)
        print(f"# studies/{genre}.toml\n{text}")
        if args.write:
            write_table(genre, text)
    return tables


if __name__ == "__main__":
    main()
