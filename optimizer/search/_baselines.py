"""The two reference trials every study evaluates: MusicGen's default configuration and the genre's baseline.

They are enqueued when a study is created, and enqueued once more whenever an interrupt or a surplus ask failed
one that has no COMPLETE, waiting or running counterpart (a lost worker's trial is retried by stale-trial
recovery): a study ends with both evaluated, however it was stopped and resumed, and the preset file's
``baselines`` is never left empty by it.
"""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from objectives import DecodingParams
from optimizer._payloads import read, user_attrs_of
from optimizer._trial_payloads import BaselineLabel, Failure, RetryOf
from optimizer.search._space import SearchSpace

__all__ = ["RETRYABLE_FAILURES", "enqueue_references", "requeue_lost_baselines"]

RETRYABLE_FAILURES = ("interrupted", "surplus")
"""``mgopt:failure:v1`` prefixes that say nothing about the configuration, so a reference failed so is retried
(an evaluation error, e.g. NaN scores, would fail again on the same seeds and is not). A trial failed as stale
is retried by stale-trial recovery itself (:func:`~optimizer.search._workers.recover_stale_trials`), the one place that
does it, so two workers never both enqueue a retry of it."""


def enqueue_references(study: optuna.Study, space: SearchSpace, baseline: DecodingParams | None) -> list[str]:
    """Enqueue the MusicGen default configuration and the genre's baseline as the first trials.

    audiocraft's defaults (temperature 1, top_k 250, cfg_coef 3) are what users get without tuning; the
    genre baseline is the chapter's preset. Both become reference points on the exported front.

    Returns:
        Labels of the enqueued trials (``musicgen_default``, ``genre_baseline``).
    """
    references = [("musicgen_default", DecodingParams())]
    if baseline is not None and baseline.canonical() != DecodingParams().canonical():
        references.append(("genre_baseline", baseline))
    enqueued = []
    for label, params in references:
        try:
            fixed = space.trial_params(params)
        except ValueError:
            continue  # outside a genre's narrowed space: not a configuration this study can express
        study.enqueue_trial(fixed, user_attrs=user_attrs_of(BaselineLabel(label)), skip_if_exists=True)
        enqueued.append(label)
    return enqueued


def requeue_lost_baselines(study: optuna.Study) -> list[str]:
    """Enqueue again each reference trial lost to an interrupt, a dead worker or a surplus ask.

    A label (``mgopt:baseline:v1``) is re-enqueued, with the same fixed parameters and a ``mgopt:retry_of:v1``
    naming the failed trial, when it has no COMPLETE, WAITING or RUNNING trial, its latest trial FAILed for a
    reason in :data:`RETRYABLE_FAILURES`, and no trial retries that one yet (at most one retry per failed reference
    trial).

    Returns:
        The labels enqueued.
    """
    trials = study.get_trials(deepcopy=False)
    retried = {retry.trial for t in trials if (retry := read(t, RetryOf))}
    by_label: dict[str, list[optuna.trial.FrozenTrial]] = {}
    for t in trials:
        if (baseline := read(t, BaselineLabel)) is not None:
            by_label.setdefault(baseline.label, []).append(t)
    enqueued = []
    for label, own in by_label.items():
        if any(t.state in (TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING) for t in own):
            continue
        last = max(own, key=lambda t: t.number)
        failure = read(last, Failure)
        reason = failure.reason if failure else ""
        if last.state != TrialState.FAIL or last.number in retried or not reason.startswith(RETRYABLE_FAILURES):
            continue
        fixed = last.system_attrs.get("fixed_params") or last.params
        if not fixed:
            continue
        study.enqueue_trial(dict(fixed), user_attrs=user_attrs_of(BaselineLabel(label), RetryOf(last.number, reason)))
        enqueued.append(label)
    return enqueued
