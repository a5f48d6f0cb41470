"""Review by ear: the dashboard server, rating (``--human``), pairwise comparisons, preset marks (the clips and
notes they show are uploaded by :mod:`optimizer.search`, which the search itself needs).

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.review._dashboard_server import BackgroundDashboard
    from optimizer.review._human import RatingHooks, awaiting_trials, register_rating_form, run_rated_trials
    from optimizer.review._pairwise import (
        check_preferential_installed,
        fail_unready_trials,
        load_or_create_pairwise_study,
        pairwise_study_name,
        run_pairwise,
    )
    from optimizer.review._pairwise_sampler import ResettingPreferentialSampler
    from optimizer.review._preset_marks import mark_presets
    from optimizer.review._review_command import dashboard_command

__all__ = [
    "BackgroundDashboard",
    "RatingHooks",
    "ResettingPreferentialSampler",
    "awaiting_trials",
    "check_preferential_installed",
    "dashboard_command",
    "fail_unready_trials",
    "load_or_create_pairwise_study",
    "mark_presets",
    "pairwise_study_name",
    "register_rating_form",
    "run_pairwise",
    "run_rated_trials",
]

_LAZY = {
    "BackgroundDashboard": "optimizer.review._dashboard_server",
    "RatingHooks": "optimizer.review._human",
    "awaiting_trials": "optimizer.review._human",
    "register_rating_form": "optimizer.review._human",
    "run_rated_trials": "optimizer.review._human",
    "check_preferential_installed": "optimizer.review._pairwise",
    "fail_unready_trials": "optimizer.review._pairwise",
    "load_or_create_pairwise_study": "optimizer.review._pairwise",
    "pairwise_study_name": "optimizer.review._pairwise",
    "run_pairwise": "optimizer.review._pairwise",
    "ResettingPreferentialSampler": "optimizer.review._pairwise_sampler",
    "mark_presets": "optimizer.review._preset_marks",
    "dashboard_command": "optimizer.review._review_command",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
