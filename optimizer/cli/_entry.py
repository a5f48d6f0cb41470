"""Console-script entry points: refuse with one sentence, not a traceback, where only the loader is installed.

``pip install .`` in the checkout brings the preset loader alone; the commands need
the ``search`` extra. Each entry point checks that extra's import names before importing its command, so a
loader-only install answers ``optimize`` with the install command and exit 2 instead of a ``ModuleNotFoundError``.
Ctrl-C before a command handles it itself (while torch imports or a model loads) is one line and exit 130; every
file a command writes is written atomically, so none is left half-written.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable

__all__ = ["SEARCH_STACK", "generate", "missing_search_stack", "optimize", "report", "serve_presets"]

SEARCH_STACK = ("optuna", "optuna_dashboard", "torch", "transformers", "tokenizers", "safetensors", "huggingface_hub",
                "librosa", "soxr", "soundfile", "scipy", "numpy", "rich", "matplotlib", "sqlalchemy", "fastapi",
                "uvicorn")
"""Import names of the ``search`` extra's distributions (pyproject.toml), checked before any command runs."""

INSTALL_HINT = 'pip install ".[search]"'
"""How to get the search stack (the project is installed from its checkout, not from an index)."""


def missing_search_stack() -> list[str]:
    """Import names of :data:`SEARCH_STACK` that cannot be found (without importing anything)."""
    return [name for name in SEARCH_STACK if importlib.util.find_spec(name) is None]


def _run(command: str, module: str) -> Callable[[], int]:
    def entry() -> int:
        missing = missing_search_stack()
        if missing:
            named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            verb = "is" if len(missing) == 1 else "are"
            sys.stderr.write(f"{command}: error: {command} needs the search extra, but {named} {verb} not installed "
                             f"(a loader-only install); install it with {INSTALL_HINT} in the project's checkout.\n")
            return 2
        try:
            return importlib.import_module(module).main()
        except KeyboardInterrupt:  # Ctrl-C while libraries import or a model loads: one line, not a traceback
            sys.stderr.write(f"{command}: interrupted by Ctrl-C; nothing was written.\n")
            return 130
        except BrokenPipeError:  # stdout closed by its reader (`optimize --list-genres | head -1`): stop quietly
            _silence_stdout()
            return 141  # 128 + SIGPIPE, what a shell reports for a command its pipe's reader left

    entry.__name__ = command.replace("-", "_")
    entry.__doc__ = f"The ``{command}`` console script: ``{module}.main`` once the search stack is importable."
    return entry


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of a closed pipe raises nothing more (the
    recipe of Python's documentation, "Note on SIGPIPE" in the signal module)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


optimize = _run("optimize", "optimizer.cli._optimize")
generate = _run("generate", "optimizer.cli._generate")
report = _run("report", "optimizer.cli._report")
serve_presets = _run("serve-presets", "optimizer.cli._serve")
