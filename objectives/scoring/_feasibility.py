"""The one definition of a feasible configuration, shared by the evaluation, Pareto selection, export and report.

Kept free of numpy, librosa and Optuna so the report and the exporter can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["is_feasible"]


def is_feasible(constraints: Mapping[str, float]) -> bool:
    """True when no degeneracy constraint is violated: every value (measurement minus its limit, as
    :meth:`~objectives.scoring.DegeneracyReport.violations` gives and ``optuna.trial.FrozenTrial.constraints``
    stores) is <= 0. Optuna's convention for ``Trial.set_constraint``: a value <= 0 is satisfied.

    Args:
        constraints: ``{"silence", "noise", "clipping"}`` (or any names) -> constraint value; empty means no
            constraint was measured (feasible).

    Returns:
        Whether the configuration (or trial) is feasible; a NaN value counts as violated.
    """
    return all(value <= 0.0 for value in constraints.values())
