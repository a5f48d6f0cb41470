"""The HTML study report: Pareto front, hypervolume history, parameter importances, preset comparison.

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.report._document import read_presets_document
    from optimizer.report._report import build_report, write_report

__all__ = [
    "build_report",
    "read_presets_document",
    "write_report",
]

_LAZY = {
    "read_presets_document": "optimizer.report._document",
    "build_report": "optimizer.report._report",
    "write_report": "optimizer.report._report",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
