"""The preset service: apps GET the preset to use for a genre (Thompson sampling over its Pareto presets)
and POST listener feedback, stored beside the study so ``optimize`` can fold it in.

The app's names import eagerly; ``fold_feedback`` (Optuna) and the uvicorn protocol load on first use (PEP 562).
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr
from optimizer.service._app import create_app, genre_files, load_servable
from optimizer.service._bandit import ArmStats, feedback_reward, thompson_choice
from optimizer.service._store import FeedbackStore

if TYPE_CHECKING:
    from optimizer.service._fold import fold_feedback
    from optimizer.service._protocol import MAX_CONNECTIONS, MAX_HEADER_BYTES, GuardedH11Protocol

__all__ = [
    "MAX_CONNECTIONS",
    "MAX_HEADER_BYTES",
    "ArmStats",
    "FeedbackStore",
    "GuardedH11Protocol",
    "create_app",
    "feedback_reward",
    "fold_feedback",
    "genre_files",
    "load_servable",
    "thompson_choice",
]

_LAZY = {
    "fold_feedback": "optimizer.service._fold",
    "GuardedH11Protocol": "optimizer.service._protocol",
    "MAX_CONNECTIONS": "optimizer.service._protocol",
    "MAX_HEADER_BYTES": "optimizer.service._protocol",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
