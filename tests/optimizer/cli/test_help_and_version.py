"""Every console script answers --version and --help in plain text, without importing torch."""

import re
import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest

_SCRIPTS = {ep.name: ep.value for ep in entry_points(group="console_scripts")
            if ep.value.startswith(("optimizer.", "objectives."))}
# An import of torch fails in these processes: --help and --version must not need it. torch stays findable
# (importlib.util.find_spec answers), as the entry points check the search stack is installed before running.
_RUN = """
import importlib, importlib.abc, importlib.util, sys

class BlockTorch(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name.split(".")[0] == "torch" else None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        raise ImportError("torch is blocked: --help and --version must not import it")

sys.meta_path.insert(0, BlockTorch())
module, _, func = sys.argv[1].partition(":")
sys.argv = sys.argv[2:]
raise SystemExit(getattr(importlib.import_module(module), func)())
"""
_MARKUP = re.compile(r"``|:(func|class|meth|data|attr|mod|ref|exc):`")


def _run(name, *args):
    return subprocess.run([sys.executable, "-c", _RUN, _SCRIPTS[name], name, *args], capture_output=True,
                          text=True, timeout=120)


def test_all_four_commands_are_covered():
    assert set(_SCRIPTS) == {"optimize", "generate", "report", "serve-presets"}


@pytest.mark.parametrize("name", ["optimize", "generate", "report", "serve-presets"])
def test_version_prints_the_installed_distribution_version(name):
    result = _run(name, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{name} {version('musicgen-decoding-optimizer')}"


@pytest.mark.parametrize("name", ["optimize", "generate", "report", "serve-presets"])
def test_help_is_plain_text(name):
    result = _run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {name}") and "--version" in result.stdout
    assert not _MARKUP.search(result.stdout), result.stdout
