"""Packaging: the README's loader-only install in a real clean venv, and the Python versions pyproject admits.

The venv test is the proof that other programs can install and use the loader without the ML stack: it runs the
README's ``# loader only`` command (in a copy of the checkout, with the venv's pip; PyPI or a local wheel
mirror must be reachable) and then loads a preset file in a fresh interpreter outside the checkout.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "numpy", "optuna", "transformers", "scipy", "librosa")
_NETWORK_FAILURES = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
                     "ConnectTimeout", "Max retries exceeded")


def _readme_loader_only_command() -> str:
    """The line of a fenced code block in README.md that ends with ``# loader only``."""
    in_block, found = False, []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and re.search(r"#\s*loader only\s*$", line):
            found.append(line)
    assert len(found) == 1, f"README.md must show the loader-only install once in a code block, found {found}"
    return found[0]


def _clean_env(venv_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_dir)
    return env


@pytest.fixture(scope="module")
def loader_venv(tmp_path_factory) -> Path:
    """A fresh venv (no system site-packages) where the README's loader-only command was run in a copy of the
    checkout; returns the venv folder."""
    base = tmp_path_factory.mktemp("loader-only")
    checkout = base / "checkout"
    anywhere = shutil.ignore_patterns(".git", ".venv", "__pycache__", "build", "dist", "*.egg-info", ".*_cache")
    outputs = shutil.ignore_patterns("presets", "artifacts", "*.db")  # a run's outputs, not optimizer/presets/

    def ignore(folder: str, names: list[str]) -> set[str]:
        return anywhere(folder, names) | (outputs(folder, names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, checkout, ignore=ignore)
    venv_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(venv_dir)
    command = _readme_loader_only_command()
    result = subprocess.run(["bash", "-c", command], cwd=checkout, env=_clean_env(venv_dir), capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0 and any(s in result.stdout + result.stderr for s in _NETWORK_FAILURES):
        pytest.skip(f"no package index reachable for {command!r}: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, f"{command!r} failed:\n{result.stdout}\n{result.stderr}"
    return venv_dir


@pytest.mark.slow
def test_readme_loader_only_install_loads_presets_without_the_ml_stack(loader_venv, tmp_path):
    from objectives import DecodingParams
    from optimizer import build_presets, write_presets
    from tests.optimizer.synthetic import make_study

    nucleus = DecodingParams(temperature=0.8, top_k=0, top_p=0.92, cfg_coef=2.5)
    study = make_study([(0.30, 0.10, {"baseline": "musicgen_default", "params": DecodingParams()}),
                        (0.50, 0.40, {"params": DecodingParams(use_sampling=False)}),
                        (0.45, 0.15, {"params": nucleus})])
    write_presets(build_presets(study, genre="jazz"), tmp_path / "jazz.json")
    program = textwrap.dedent(f"""
        import importlib.util, json, sys
        from optimizer import load_genre_presets, load_presets
        presets = load_presets({str(tmp_path / "jazz.json")!r})
        assert load_genre_presets("jazz", {str(tmp_path)!r}).presets.keys() == presets.presets.keys()
        print(json.dumps({{
            "renderings": {{n: [p.to_audiocraft(), p.to_transformers()] for n, p in presets.presets.items()}},
            "importable": [m for m in {HEAVY!r} if importlib.util.find_spec(m) is not None],
            "imported": [m for m in {HEAVY!r} if m in sys.modules],
            "from": importlib.util.find_spec("optimizer").origin,
        }}))
    """)
    result = subprocess.run([str(loader_venv / "bin" / "python"), "-c", program], cwd=tmp_path,
                            env=_clean_env(loader_venv), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["importable"] == [] and out["imported"] == []
    assert out["from"].startswith(str(loader_venv)), out["from"]  # the installed package, not the checkout
    written = json.loads((tmp_path / "jazz.json").read_text())["presets"]
    assert out["renderings"] == {n: [e["audiocraft"], e["transformers"]] for n, e in written.items()}


@pytest.mark.slow
@pytest.mark.parametrize("command", ["optimize", "generate", "report", "serve-presets"])
def test_commands_of_a_loader_only_install_say_how_to_get_the_search_stack(loader_venv, tmp_path, command):
    result = subprocess.run([str(loader_venv / "bin" / command), "--genre", "jazz"], cwd=tmp_path,
                            env=_clean_env(loader_venv), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert 'pip install ".[search]"' in result.stderr and f"{command} needs the search extra" in result.stderr
    assert list(tmp_path.iterdir()) == []


# Standard-library modules and the Python version that added them, for the modules this code base may use.
_STDLIB_SINCE = {"tomllib": (3, 11), "wsgiref.types": (3, 11)}


def test_requires_python_admits_no_python_missing_syntax_or_stdlib_the_code_uses():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    match = re.fullmatch(r">=\s*3\.(\d+)", spec.split(",")[0].strip())
    assert match, f"requires-python {spec!r} should start with a lower bound >=3.N"
    oldest = (3, int(match.group(1)))
    too_new = []
    for path in sorted(p for d in ("optimizer", "objectives", "studies") for p in (ROOT / d).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), feature_version=oldest)  # raises on newer syntax
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            too_new += [f"{path.relative_to(ROOT)}: {n}" for n in names if _STDLIB_SINCE.get(n, oldest) > oldest]
    assert too_new == [], f"requires-python {spec!r} admits Pythons without {too_new}"
    assert sys.version_info[:2] >= oldest


def test_a_command_missing_one_library_names_it_and_runs_nothing(monkeypatch, capsys):
    import importlib.util

    from optimizer.cli import _entry

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "fastapi" else real_find_spec(name, *a))
    monkeypatch.setattr(importlib, "import_module", lambda name: pytest.fail(f"imported {name}"))
    assert _entry.serve_presets() == 2
    err = capsys.readouterr().err
    assert err.startswith("serve-presets: error: serve-presets needs the search extra, but fastapi is not installed")
