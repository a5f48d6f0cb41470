"""The preset service: apps GET the preset to use for a genre (Thompson sampling over its Pareto presets)
and POST listener feedback, stored beside the study so ``optimize`` can fold it in."""

from optimizer.service._app import create_app
from optimizer.service._bandit import ArmStats, feedback_reward, thompson_choice
from optimizer.service._store import FeedbackStore

__all__ = ["ArmStats", "FeedbackStore", "create_app", "feedback_reward", "thompson_choice"]
