"""Every console script answers --version and --help in plain text, without importing torch."""

import re
import subprocess
import sys
from importlib.metadata import entry_points, version

import pytest

_SCRIPTS = {ep.name: ep.value for ep in entry_points(group="console_scripts")
            if ep.value.startswith(("optimizer.", "objectives."))}
# An import of torch fails in these processes: --help and --version must not need it.
_RUN = ("import sys; sys.modules['torch'] = None; import importlib; module, _, func = sys.argv[1].partition(':'); "
        "sys.argv = sys.argv[2:]; raise SystemExit(getattr(importlib.import_module(module), func)())")
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
