"""From trials to presets: Pareto selection, re-validation on held-out prompts, preset building, the export claim.

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.export._export_claim import ClaimKeeper, take_export_turn
    from optimizer.export._pairwise_presets import build_pairwise_presets
    from optimizer.export._pareto import feasible_front, malformed_trials, name_front
    from optimizer.export._presets import NoFeasibleTrialError, build_presets, write_presets
    from optimizer.export._validation import DEFAULT_VALIDATE_SEEDS, ValidationSetup, candidates, validate_candidates

__all__ = [
    "DEFAULT_VALIDATE_SEEDS",
    "ClaimKeeper",
    "NoFeasibleTrialError",
    "ValidationSetup",
    "build_pairwise_presets",
    "build_presets",
    "candidates",
    "feasible_front",
    "malformed_trials",
    "name_front",
    "take_export_turn",
    "validate_candidates",
    "write_presets",
]

_LAZY = {
    "ClaimKeeper": "optimizer.export._export_claim",
    "take_export_turn": "optimizer.export._export_claim",
    "build_pairwise_presets": "optimizer.export._pairwise_presets",
    "feasible_front": "optimizer.export._pareto",
    "malformed_trials": "optimizer.export._pareto",
    "name_front": "optimizer.export._pareto",
    "NoFeasibleTrialError": "optimizer.export._presets",
    "build_presets": "optimizer.export._presets",
    "write_presets": "optimizer.export._presets",
    "DEFAULT_VALIDATE_SEEDS": "optimizer.export._validation",
    "ValidationSetup": "optimizer.export._validation",
    "candidates": "optimizer.export._validation",
    "validate_candidates": "optimizer.export._validation",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
