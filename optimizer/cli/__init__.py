"""The command line: one module per command or mode, one parent parser, one place that turns errors into sentences.

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.cli._entry import generate, optimize, report, serve_presets

__all__ = [
    "generate",
    "optimize",
    "report",
    "serve_presets",
]

_LAZY = {
    "generate": "optimizer.cli._entry",
    "optimize": "optimizer.cli._entry",
    "report": "optimizer.cli._entry",
    "serve_presets": "optimizer.cli._entry",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
