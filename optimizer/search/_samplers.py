"""Optuna samplers offered by ``--sampler``."""

from __future__ import annotations

import optuna

__all__ = ["DEFAULT_SAMPLER", "SAMPLERS", "make_sampler"]

SAMPLERS = ("tpe", "gp", "nsga2", "random")
DEFAULT_SAMPLER = "tpe"
"""Multivariate TPE: handles the conditional space (top_k only for top-k trials, top_p only for nucleus)
natively with ``group=True``, reads the degeneracy constraints, runs multi-objective, costs milliseconds
per trial, and its ``constant_liar`` keeps parallel workers from proposing the same point. GP (LogEHVI)
models the objectives more sharply but does not model conditional parameters; NSGA-II needs far more
than 50 trials to leave its first generation."""


def make_sampler(name: str, *, seed: int | None) -> optuna.samplers.BaseSampler:
    """Build a sampler by name.

    Args:
        name: one of :data:`SAMPLERS`.
        seed: sampler seed, or None for a random one.

    Raises:
        ValueError: unknown name.
    """
    if name == "tpe":
        return optuna.samplers.TPESampler(multivariate=True, group=True, constant_liar=True, n_startup_trials=10,
                                          seed=seed, warn_independent_sampling=False)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=10, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=10)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"the sampler must be one of {', '.join(SAMPLERS)} but got {name!r}.")
