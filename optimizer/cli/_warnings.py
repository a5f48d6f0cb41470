"""Library warnings a user of the commands cannot act on, filtered at the commands' entry points only.

Optuna marks features this tool relies on on purpose as experimental (``TPESampler(group=True)``,
``Study.set_metric_names``) and warns that ``warn_independent_sampling`` (passed to keep TPE's own log quiet)
is deprecated; every run printed those lines. optuna-dashboard imports botorch, whose ``linear_operator`` decorates
functions with ``torch.jit.script``, which torch 2.13 deprecates (shown under ``-W default``). The filters name
Optuna's ``ExperimentalWarning`` category, FutureWarnings raised inside ``optuna`` modules and that one torch
message, so any other warning still reaches the user; a program that imports this package as a library keeps its
own warning settings. (transformers' ``past_key_values`` FutureWarning is not filtered: the decoder is called
with the current name, :data:`objectives.generation._cache.CACHE_ARGUMENT`.)
"""

from __future__ import annotations

import warnings

__all__ = ["quiet_library_warnings"]


def quiet_library_warnings() -> None:
    """Ignore Optuna's ExperimentalWarning, the FutureWarnings Optuna's own modules raise and torch's
    ``torch.jit.script`` deprecation that importing optuna-dashboard triggers (call from ``main``)."""
    from optuna.exceptions import ExperimentalWarning

    warnings.filterwarnings("ignore", category=ExperimentalWarning)
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"optuna(\.|$)")
    warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=DeprecationWarning,
                            module=r"torch\.jit(\.|$)")
