"""Library warnings a user of the commands cannot act on, filtered at the commands' entry points only.

Optuna marks features this tool relies on on purpose as experimental (``TPESampler(group=True)``,
``Study.set_metric_names``) and warns that ``warn_independent_sampling`` (passed to keep TPE's own log quiet)
is deprecated; every run printed those lines. The filters name Optuna's ``ExperimentalWarning`` category and
FutureWarnings raised inside ``optuna`` modules, so any other warning still reaches the user; a program that
imports this package as a library keeps its own warning settings.
"""

from __future__ import annotations

import warnings

__all__ = ["quiet_library_warnings"]


def quiet_library_warnings() -> None:
    """Ignore Optuna's ExperimentalWarning and the FutureWarnings Optuna's own modules raise (call from ``main``)."""
    from optuna.exceptions import ExperimentalWarning

    warnings.filterwarnings("ignore", category=ExperimentalWarning)
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"optuna(\.|$)")
