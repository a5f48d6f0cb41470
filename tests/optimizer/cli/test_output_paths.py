"""The output rule, enumerated: every writer of every command x every hostile target, with the real console scripts.

A command may replace only a file it wrote itself for the same study; anything else (the storage database, the
journal, another study's preset file, a user's file, a folder, a link, a FIFO, ``/dev/null``) is refused with
one sentence and exit 2 before any model loads, and the folder is byte-identical afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import optuna
import pytest

from optimizer import build_presets, write_presets
from optimizer._outputs import clip_folder, report_study, study_slug
from tests.optimizer.synthetic import make_study

pytestmark = pytest.mark.slow  # one console-script process per case

TARGETS = ("storage", "journal", "other_preset", "user_file", "folder", "symlink", "fifo", "devnull")
USER_BYTES = b"my own notes, not a preset\n"


def _script(name: str) -> list[str]:
    exe = shutil.which(name)
    modules = {"optimize": "optimizer.cli._optimize", "report": "optimizer.cli._report",
               "generate": "optimizer.cli._generate"}
    return [exe] if exe else [sys.executable, "-m", modules[name]]


def _run(name: str, args: list[str], cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "300"}
    return subprocess.run(_script(name) + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def workspace(tmp_path):
    """A folder with a study in a SQLite file and in a journal, its preset file, another study's preset file and
    a user's file."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    points = [(0.30, 0.10), (0.50, 0.40), (0.40, 0.20)]
    study = make_study(points, storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    make_study(points, storage=JournalStorage(JournalFileBackend(str(tmp_path / "j.log"))))
    write_presets(build_presets(study, genre="jazz"), tmp_path / "presets" / "jazz.json")
    other = make_study([(0.35, 0.15)], name="somebody-else")
    write_presets(build_presets(other, genre="jazz"), tmp_path / "presets" / "other.json")
    (tmp_path / "notes.txt").write_bytes(USER_BYTES)
    return tmp_path


def _place(kind: str, path, ws) -> str:
    """Put the hostile ``kind`` at ``path`` (when ``path`` is not that thing already); the path to pass."""
    if kind == "devnull" and path is None:
        return "/dev/null"
    if path is None:  # the writer takes any path: give it the thing itself
        return {"storage": "optuna.db", "journal": "j.log", "other_preset": "presets/other.json",
                "user_file": "notes.txt", "folder": "presets", "symlink": "link", "fifo": "fifo"}[kind] \
            if kind not in ("symlink", "fifo") else _make(kind, ws / kind, ws)
    return _make(kind, path, ws)


def _make(kind: str, path, ws) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        path.unlink()
    make = {"storage": lambda: os.link(ws / "optuna.db", path), "journal": lambda: os.link(ws / "j.log", path),
            "other_preset": lambda: os.link(ws / "presets" / "other.json", path),
            "user_file": lambda: path.write_bytes(USER_BYTES), "folder": lambda: path.mkdir(),
            "symlink": lambda: path.symlink_to(ws / "notes.txt"), "fifo": lambda: os.mkfifo(path),
            "devnull": lambda: path.symlink_to("/dev/null")}
    make[kind]()
    return str(path.relative_to(ws))


def _snapshot(ws) -> dict:
    """Every entry under ``ws``: what it is, and its bytes (files) or target (links); plus ``/dev/null``'s kind."""
    seen = {"/dev/null": stat.S_ISCHR(os.stat("/dev/null").st_mode)}
    for root, dirs, files in os.walk(ws):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                seen[path] = ("link", os.readlink(path))
            elif stat.S_ISREG(mode):
                with open(path, "rb") as fh:
                    seen[path] = ("file", fh.read())
            else:
                seen[path] = ("dir" if stat.S_ISDIR(mode) else "special", None)
    return seen


def _refused(result: subprocess.CompletedProcess, before: dict, ws, names: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert f"{names}'" in lines[0], lines[0]  # refused for the output path, not for another reason
    assert _snapshot(ws) == before, "something was written or replaced"


OPTIMIZE = ["--genre", "jazz", "--model", "debug", "--storage", "sqlite:///runs.db", "--trials", "1",
            "--duration", "0.5", "--prompts", "1", "--replicates", "1", "--validate-seeds", "0"]
"""A new run (its storage does not exist yet: a refusal must not create it)."""
EXPORT = ["--genre", "jazz", "--model", "debug", "--storage", "sqlite:///optuna.db", "--export-only",
          "--validate-seeds", "0"]
"""Re-export the workspace's study."""


def _case(writer: str, kind: str, ws) -> tuple[str, list[str], str]:
    """The command of ``writer`` with the hostile ``kind`` at its output path, and the path the refusal names."""
    if writer == "report":
        target = _place(kind, None, ws)
        storage = "j.log" if kind == "journal" else "sqlite:///optuna.db"
        return "report", ["--genre", "jazz", "--model", "debug", "--storage", storage, "--out", target], target
    if writer in ("save_audio", "artifact_dir"):
        flag = "--save-audio" if writer == "save_audio" else "--artifact-dir"
        target = _place(kind, None, ws)
        return "optimize", [*OPTIMIZE, flag, target], target
    if writer == "generate":
        target = ws / "clip.wav" if kind != "other_preset" else ws / "presets" / "other.wav"  # its sidecar
        if kind != "other_preset":
            _make(kind, target, ws)
        named = "clip.wav" if kind != "other_preset" else "other.json"
        return "generate", ["--preset", "presets/jazz.json", "x", "-o", str(target.relative_to(ws)),
                            "--model", "debug", "--duration", "0.5", "--device", "cpu"], named
    mode = {"presets_search": OPTIMIZE, "presets_export": EXPORT, "presets_human": [*OPTIMIZE, "--human"],
            "presets_pairwise": [*EXPORT[:6], "--pairwise", "--export-only"]}[writer]
    stem = {"presets_human": "jazz.human", "presets_pairwise": "jazz.pairwise"}.get(writer, "jazz")
    target = ws / "presets" / f"{stem}.json"
    if kind == "other_preset":  # another program's JSON, as another study's file moves this one aside
        _make("user_file", target, ws)
    else:
        _make(kind, target, ws)
    return "optimize", mode, f"{stem}.json"


WRITERS = ("report", "generate", "save_audio", "artifact_dir", "presets_search", "presets_export", "presets_human",
           "presets_pairwise")


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_refuses_every_hostile_target(workspace, writer, kind):
    if writer in ("save_audio", "artifact_dir") and kind == "folder":
        pytest.skip("a folder is what these options name; test_clips_of_studies_never_meet covers them")
    command, args, names = _case(writer, kind, workspace)
    before = _snapshot(workspace)
    _refused(_run(command, args, workspace), before, workspace, names)


@pytest.mark.parametrize("kind", ("folder", "symlink", "fifo", "devnull"))
def test_generate_overwrite_never_replaces_a_link_or_special_file(workspace, kind):
    _make(kind, workspace / "clip.wav", workspace)
    before = _snapshot(workspace)
    result = _run("generate", ["--preset", "presets/jazz.json", "x", "-o", "clip.wav", "--overwrite", "--model",
                               "debug", "--duration", "0.5", "--device", "cpu"], workspace)
    _refused(result, before, workspace, "clip.wav")


def test_rerunning_a_command_replaces_its_own_files(workspace):
    report = ["--genre", "jazz", "--model", "debug", "--out", "reports/jazz.html"]
    for _ in range(2):
        result = _run("report", report, workspace)
        assert result.returncode == 0, result.stderr
    assert report_study(workspace / "reports" / "jazz.html") == "jazz/debug"
    export = EXPORT
    first = (workspace / "presets" / "jazz.json").stat().st_ino
    result = _run("optimize", export, workspace)
    assert result.returncode == 0, result.stderr
    assert (workspace / "presets" / "jazz.json").stat().st_ino != first  # replaced atomically (a new file)
    assert json.loads((workspace / "presets" / "other.json").read_bytes())["provenance"]["study"] == "somebody-else"


def test_two_studies_of_one_genre_keep_two_preset_files_and_reports_find_theirs(workspace):
    storage = f"sqlite:///{workspace / 'optuna.db'}"
    make_study([(0.6, 0.5), (0.2, 0.05)], storage=storage, name="jazz/other-model", model="other-model")
    make_study([(0.45, 0.3)], storage=storage, name="my run")
    (workspace / "presets" / "other.json").unlink()
    own = (workspace / "presets" / "jazz.json").read_bytes()
    # Another model's default study, and a study named by the user: neither touches jazz.json.
    for extra in (["--model", "other-model"], ["--study-name", "my run"]):
        result = _run("optimize", [*EXPORT, *extra], workspace)
        assert result.returncode == 0, result.stderr
    assert (workspace / "presets" / "jazz.json").read_bytes() == own
    files = sorted(p.name for p in (workspace / "presets").iterdir())
    assert files == sorted(["jazz.json", f"jazz.{study_slug('jazz/other-model')}.json",
                            f"jazz.{study_slug('my run')}.json"])
    assert f"Presets written to presets/jazz.{study_slug('my run')}.json" in result.stderr
    for name in ("jazz/debug", "my run"):
        result = _run("report", ["--genre", "jazz", "--model", "debug", "--study-name", name], workspace)
        assert result.returncode == 0, result.stderr
    pages = {report_study(p): p.read_text() for p in (workspace / "reports").iterdir()}
    assert set(pages) == {"jazz/debug", "my run"}  # two reports: the second did not replace the first
    assert "presets/jazz.json" in pages["jazz/debug"]
    assert f"presets/jazz.{study_slug('my run')}.json" in pages["my run"]
    from optimizer.service._app import genre_files

    assert genre_files(workspace / "presets") == {"jazz": workspace / "presets" / "jazz.json"}  # the genre's file
    result = _run("generate", ["--preset", "jazz", "x", "-o", "g.wav", "--model", "debug", "--duration", "0.5",
                               "--device", "cpu"], workspace)
    assert result.returncode == 0, result.stderr
    sidecar = json.loads((workspace / "g.json").read_text())
    assert sidecar["preset"]["file"] == "presets/jazz.json" and sidecar["preset"]["study"] == "jazz/debug"


def test_clips_of_studies_never_meet(workspace, tmp_path_factory):
    args = ["--model", "debug", "--storage", "sqlite:///runs.db", "--trials", "2", "--duration", "0.5",
            "--prompts", "1", "--replicates", "1", "--validate-seeds", "0", "--no-artifacts", "--save-audio", "clips",
            "--presets-dir", "out"]
    storage = str((workspace / "runs.db").resolve())
    # A link planted where rock's first clip goes is never followed: that trial fails, the target is untouched.
    rock = clip_folder(workspace / "clips", study="rock/debug", storage=storage)
    rock.mkdir(parents=True)
    (rock / "trial_0000_p00_r00.wav").symlink_to(workspace / "notes.txt")
    for genre in ("jazz", "rock"):
        result = _run("optimize", ["--genre", genre, "--study-name", f"{genre}/debug", *args], workspace)
        assert result.returncode == 0, result.stderr
    jazz = clip_folder(workspace / "clips", study="jazz/debug", storage=storage)
    assert sorted(p.name for p in jazz.iterdir()) == ["trial_0000_p00_r00.wav", "trial_0001_p00_r00.wav"]
    assert (workspace / "notes.txt").read_bytes() == USER_BYTES
    assert os.path.islink(rock / "trial_0000_p00_r00.wav")
    assert any(p.name.startswith("trial_0001") for p in rock.iterdir())


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("script", ("validate_scores", "sampler_efficiency"))
def test_benchmark_outputs_refuse_every_hostile_target(workspace, script, kind):
    import numpy as np
    import soundfile

    (workspace / "music").mkdir()
    soundfile.write(workspace / "music" / "t.wav", np.zeros(32_000, dtype=np.float32), 32_000)
    target = _place(kind, None, workspace)
    args = (["music:electronic", "--json", target] if script == "validate_scores" else ["--plot", target])
    benchmark = os.path.join(os.path.dirname(__file__), "..", "..", "..", "benchmarks", f"{script}.py")
    before = _snapshot(workspace)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, benchmark, *args], cwd=workspace, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2 and f"{target}'" in result.stderr.strip().splitlines()[-1], result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(workspace) == before


def test_human_has_its_own_study_and_preset_file_beside_a_search_study(workspace):
    """``--human`` on a genre whose search study exists is not refused as "other objectives": like ``--pairwise`` it
    gets its own study (``jazz/debug/human``) and file (``jazz.human.json``); here the run stops at that file."""
    os.mkfifo(workspace / "presets" / "jazz.human.json")
    before = _snapshot(workspace)
    result = _run("optimize", [*EXPORT[:6], "--human", "--trials", "1", "--duration", "0.5"], workspace)
    _refused(result, before, workspace, "jazz.human.json")
