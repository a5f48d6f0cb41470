"""A real ``optimize`` in a real pseudo-terminal 80 (and 120) columns wide: everything it shows fits, whole."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

ROOT = Path(__file__).resolve().parents[3]
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]")
_SEARCH = ["--genre", "jazz", "--model", "debug", "--prompts", "1", "--replicates", "1", "--duration", "0.2",
           "--validate-seeds", "1", "--no-artifacts"]


def _in_terminal(args: list[str], cwd: Path, columns: int) -> list[str]:
    """Run ``optimize args`` with a pty of ``columns`` x 40 as its terminal; the lines it drew, escape sequences
    removed and split at every carriage return and newline (each one a line the terminal showed)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TERM="xterm-256color")
    exe = shutil.which("optimize")
    command = [exe] if exe else [sys.executable, "-c", "import sys, optimizer.cli._entry as e; sys.exit(e.optimize())"]
    process = subprocess.Popen([*command, *args], cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                               start_new_session=True)
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    text = _CONTROL.sub("", output.decode("utf-8", "replace"))
    assert process.returncode == 0, text[-3000:]
    return re.split(r"\r\n|\r|\n", text)


def _check_fits(lines: list[str], columns: int) -> None:
    wide = [line for line in lines if cell_len(line) > columns]
    assert not wide, f"lines wider than {columns} columns: {wide}"
    cut = [line for line in lines if "…" in line]
    assert not cut, f"lines cut with an ellipsis: {cut}"


def _check_every_value_whole(lines: list[str], document: dict) -> None:
    """Each preset and baseline has its block, holding each of its values whole."""
    text = "\n".join(line.rstrip() for line in lines)
    for section in ("presets", "baselines"):
        for name, entry in document[section].items():
            start = re.search(rf"^{re.escape(name)}\s+trial {entry['trial']}$", text, re.M)
            assert start, f"no block for {name}:\n{text[-4000:]}"
            block = text[start.end():].split("\n\n", 1)[0]
            p, held = entry["params"], entry["validation"]
            values = [f"temperature {p['temperature']:.2f}", f"cfg_coef {p['cfg_coef']:.2f}",
                      f"strategy {entry['strategy']}",
                      f"CLAP ↑ {entry['scores']['clap']['mean']:.3f} ± {entry['scores']['clap']['stderr']:.3f}",
                      f"held-out CLAP {held['clap']['mean']:.3f} [{held['clap']['ci95'][0]:.3f}, "
                      f"{held['clap']['ci95'][1]:.3f}]", f"optimism CLAP {entry['optimism']['clap']:+.3f}"]
            if entry["strategy"] == "top_k":
                values.append(f"top_k {p['top_k']}")
            for value in values:
                assert value in block, f"{name}: {value!r} not whole in its block:\n{block}"


@pytest.mark.slow
def test_the_end_of_run_output_is_whole_at_80_and_120_columns(tmp_path):
    lines = _in_terminal([*_SEARCH, "--trials", "3"], tmp_path, 80)
    _check_fits(lines, 80)
    document = json.loads((tmp_path / "presets" / "jazz.json").read_text())
    _check_every_value_whole(lines, document)
    assert any(line.startswith("Presets written to") for line in lines)
    # Re-validation has its own bar with a count and the time left (not a bare spinner), never blanked once moving.
    bars = [line for line in lines if line.startswith("re-validation") and "━" in line]
    counted = [i for i, line in enumerate(bars) if re.search(r"\d+/\d+ +\d+:\d\d:\d\d about \d+:\d\d:\d\d left", line)]
    assert counted and counted == list(range(counted[0], len(bars))), bars  # once it moves: count and time left
    assert re.search(r"about \d+:\d\d:\d\d left", bars[-1]), bars

    lines = _in_terminal([*_SEARCH, "--export-only"], tmp_path, 120)
    _check_fits(lines, 120)
    _check_every_value_whole(lines, json.loads((tmp_path / "presets" / "jazz.json").read_text()))
    for header in ("repetition ↓", "held-out repetition", "optimism CLAP", "temperature"):
        assert any(header in line for line in lines), header


@pytest.mark.parametrize("width", [40, 60, 80, 120, 250])
def test_the_front_fits_any_width_as_a_table_or_blocks(width):
    from rich.console import Console

    from objectives import DecodingParams
    from optimizer import build_presets
    from optimizer.run._console import FrontView
    from tests.optimizer.synthetic import make_study

    nucleus = DecodingParams(temperature=0.8, top_k=0, top_p=0.92, cfg_coef=2.5)
    study = make_study([(0.30, 0.10, {"baseline": "musicgen_default", "params": DecodingParams()}),
                        (0.50, 0.40), (0.45, 0.15, {"params": nucleus})])
    document = build_presets(study, genre="jazz")
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(FrontView(document))
    lines = console.export_text().splitlines()
    _check_fits(lines, width)
    text = "\n".join(lines)
    for name, entry in [*document["presets"].items(), *document["baselines"].items()]:
        clap = entry["scores"]["clap"]
        assert name in text and f"{clap['mean']:.3f} ± {clap['stderr']:.3f}" in text
    assert ("┃ name" in text) == (width >= 120)  # the table where it fits whole (114 columns), blocks elsewhere


@pytest.mark.parametrize("columns", [60, 80, 132])
def test_list_genres_wraps_whole_descriptions_at_words(tmp_path, columns):
    from optimizer.search._genre import list_genres, load_genre

    lines = [line for line in _in_terminal(["--list-genres"], tmp_path, columns) if line.strip()]
    _check_fits(lines, columns)
    entries = re.split(r"\n(?=\S)", "\n".join(lines))  # a genre's first line starts at column 0, the rest indent
    assert [entry.split()[0] for entry in entries] == list_genres()
    for entry in entries:
        name, count, _, *words = entry.split()
        assert " ".join(words) == " ".join(load_genre(name).description.split())  # every word, none cut
        assert int(count) == len(load_genre(name).prompts)
