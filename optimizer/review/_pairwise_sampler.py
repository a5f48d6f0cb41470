"""The pairwise mode's sampler: optuna-dashboard's preferential GP, restarted when the search space changes."""

from __future__ import annotations

import warnings
from typing import Any

import optuna

__all__ = ["ResettingPreferentialSampler"]

_SAMPLER_NOISE = ("Dynamic search space detected", "The objective function has categorical parameters")


class ResettingPreferentialSampler(optuna.samplers.BaseSampler):
    """``PreferentialGPSampler`` that starts afresh when the compared trials' search space changes.

    The search space is conditional (``top_k`` exists only in top-k trials, ``top_p`` only in nucleus
    trials); the GP models the parameters every compared trial has (Optuna's intersection search space), and
    the conditional ones are drawn at random. When the first comparisons hold one strategy only and a later one
    brings the other, that intersection shrinks and ``PreferentialGPSampler`` raises ``NotImplementedError``
    ("Dynamic search space is not supported"); this wrapper then builds a new ``PreferentialGPSampler``, which
    fits the GP to all preferences on the new space, as a restarted process would. The sampler's expected
    warnings about the conditional parameters are silenced.

    Args:
        seed: seeds the inner samplers (None: random).
    """

    def __init__(self, *, seed: int | None = None) -> None:
        import numpy as np

        self._rng = np.random.default_rng(seed)
        self._inner = self._new_inner()

    def _new_inner(self) -> optuna.samplers.BaseSampler:
        from optuna_dashboard.preferential.samplers.gp import PreferentialGPSampler

        return PreferentialGPSampler(seed=int(self._rng.integers(2**31)))

    def reseed_rng(self) -> None:
        self._inner.reseed_rng()

    def infer_relative_search_space(self, study: optuna.Study, trial: optuna.trial.FrozenTrial
                                    ) -> dict[str, optuna.distributions.BaseDistribution]:
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study: optuna.Study, trial: optuna.trial.FrozenTrial,
                        search_space: dict[str, optuna.distributions.BaseDistribution]) -> dict[str, Any]:
        with warnings.catch_warnings():
            for text in _SAMPLER_NOISE:
                warnings.filterwarnings("ignore", message=text)
            try:
                return self._inner.sample_relative(study, trial, search_space)
            except NotImplementedError:
                self._inner = self._new_inner()
                return self._inner.sample_relative(study, trial, self._inner.infer_relative_search_space(study,
                                                                                                         trial))

    def sample_independent(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, param_name: str,
                           param_distribution: optuna.distributions.BaseDistribution) -> Any:
        with warnings.catch_warnings():
            for text in _SAMPLER_NOISE:
                warnings.filterwarnings("ignore", message=text)
            return self._inner.sample_independent(study, trial, param_name, param_distribution)
