"""Failing a trial with its reason, and counting: one way for every mode and for recovery.

The trial loop (search, ``--human``, ``--pairwise``), stale-trial recovery and the pairwise restart all fail
trials through :func:`fail_trial`, so a failed trial always carries its reason in ``mgopt:failure:v1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import optuna

from optimizer._payloads import write, write_by_id
from optimizer._trial_payloads import Failure

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = ["count_complete", "fail_interrupted", "fail_trial", "failure_reason"]


def count_complete(study: optuna.Study | PreferentialStudy) -> int:
    """Number of COMPLETE trials of ``study`` (feasible or not)."""
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def failure_reason(exc: BaseException) -> str:
    """``"<kind>: <first line>"`` (kind ``out_of_memory`` or the exception's type), at most ~300 characters:
    what a failed trial's ``mgopt:failure:v1`` says."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = "out_of_memory" if "out of memory" in text.lower() else type(exc).__name__
    return f"{kind}: {text[:300]}" if text else kind


def fail_trial(study: optuna.Study | PreferentialStudy, trial: optuna.Trial | optuna.trial.FrozenTrial,
               reason: str) -> None:
    """Record ``reason`` in ``mgopt:failure:v1`` and tell ``trial`` FAIL.

    Args:
        study: the study ``trial`` belongs to. An ``optuna.Trial`` is told through its own ``trial.study``, the
            plain ``optuna.Study`` (a ``PreferentialStudy`` has no ``tell``), which is ``study`` for a regular
            study; a ``FrozenTrial`` (another worker's, or one an earlier run left RUNNING: this process holds
            no ``optuna.Trial`` for it, and building one would run the sampler's ``before_trial``) is told
            through ``study``, which must then be a plain ``optuna.Study``.
        trial: a RUNNING trial.
        reason: what failed, e.g. from :func:`failure_reason`.

    Raises:
        RuntimeError: the trial is already finished (Optuna's ``UpdateFinishedTrialError``).
    """
    if isinstance(trial, optuna.Trial):
        write(trial, Failure(reason))
        trial.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return
    write_by_id(study._storage, trial._trial_id, Failure(reason))
    study.tell(trial.number, state=optuna.trial.TrialState.FAIL)


def fail_interrupted(study: optuna.Study | PreferentialStudy, trials: Sequence[optuna.Trial],
                     reason: str = "interrupted") -> list[int]:
    """Fail each of ``trials`` with ``reason`` after an interrupt, skipping any another worker (or a tell the
    interrupt cut short) already finished, so one such trial never stops the others from being failed.

    Returns:
        Numbers of the trials this call failed.
    """
    failed = []
    for trial in trials:
        try:
            fail_trial(study, trial, reason)
        except (ValueError, RuntimeError):  # already finished (UpdateFinishedTrialError is a RuntimeError)
            continue
        failed.append(trial.number)
    return failed
