"""Folding the service's listener feedback into the study it came from."""

from __future__ import annotations

import optuna
import sqlalchemy as sa

from optimizer._payloads import write
from optimizer._study_payloads import ListenerFeedback
from optimizer._trial_payloads import StoredScore
from optimizer.service._store import FeedbackStore, serves

__all__ = ["fold_feedback"]


def fold_feedback(study: optuna.Study, storage_url: str, *, genre: str) -> int:
    """Copy listener feedback for this study's presets into the study.

    Sets the study user attr ``mgopt:listener_feedback:v1`` to ``{trial number: {mean, stderr, n}}`` (mean
    reward in [0, 1]; ratings 1-10 map to (r - 1) / 9, thumbs to 1/0); the preset export then reports it
    beside each preset's automatic scores. Does nothing when the service never wrote to this database.

    Returns:
        Number of trials with feedback.
    """
    from optimizer.search import engine_options

    engine = sa.create_engine(storage_url, **engine_options(storage_url))
    try:
        if not sa.inspect(engine).has_table(serves.name):
            return 0
    finally:
        engine.dispose()
    store = FeedbackStore(storage_url)
    try:
        learned = ListenerFeedback({
            int(trial): StoredScore(mean=s.mean, stderr=s.stderr if s.stderr is not None else 0.0, n=s.n)
            for trial, s in store.arm_stats(study=study.study_name, genre=genre).items()
            if s.n > 0 and s.mean is not None
        })
    finally:
        store.engine.dispose()
    if learned.by_trial:
        write(study, learned)
    return len(learned.by_trial)
