"""Durable record of served presets and listener feedback, in the study's database (SQLAlchemy)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from optimizer.service._bandit import ArmStats

__all__ = ["STUDY_NAME_MAX", "DuplicateFeedbackError", "FeedbackStore", "UnknownServeError"]

STUDY_NAME_MAX = 512
"""Longest study name the store keeps (Optuna's own limit)."""

_metadata = sa.MetaData()
serves = sa.Table(
    "mgopt_serves", _metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("study", sa.String(STUDY_NAME_MAX), nullable=False),
    sa.Column("genre", sa.String(64), nullable=False),
    sa.Column("trial", sa.Integer, nullable=False),
    sa.Column("preset", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_mgopt_serves_study_genre", "study", "genre"),
)
feedback = sa.Table(
    "mgopt_feedback", _metadata,
    sa.Column("serve_id", sa.String(32), sa.ForeignKey("mgopt_serves.id"), primary_key=True),
    sa.Column("reward", sa.Float, nullable=False),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("thumbs", sa.String(4), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class UnknownServeError(KeyError):
    """No preset was served under this id."""


class DuplicateFeedbackError(ValueError):
    """This serve already has feedback."""


class FeedbackStore:
    """Served presets and their feedback, in tables ``mgopt_serves`` and ``mgopt_feedback``.

    They live beside Optuna's tables in the same database (``sqlite:///optuna.db`` by default), so feedback
    survives restarts and ``optimize`` can fold it into the study.

    Args:
        url: SQLAlchemy URL (the Optuna storage URL).
    """

    def __init__(self, url: str) -> None:
        kwargs = {"connect_args": {"check_same_thread": False}} if url.startswith("sqlite") else {
            "pool_pre_ping": True}
        self.engine = sa.create_engine(url, **kwargs)
        _metadata.create_all(self.engine)

    def record_serve(self, *, study: str, genre: str, trial: int, preset: str) -> str:
        """Store that ``preset`` was served; returns the new serve id (32 hex characters)."""
        serve_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(serves.insert().values(id=serve_id, study=study, genre=genre, trial=trial, preset=preset,
                                                created_at=datetime.now(timezone.utc)))
        return serve_id

    def record_feedback(self, serve_id: str, *, reward: float, rating: int | None, thumbs: str | None) -> None:
        """Store feedback for a serve.

        Raises:
            UnknownServeError: no such serve id.
            DuplicateFeedbackError: feedback was already given for it.
        """
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(serves.c.id).where(serves.c.id == serve_id)).first() is None:
                    raise UnknownServeError(serve_id)
                if conn.execute(sa.select(feedback.c.serve_id).where(feedback.c.serve_id == serve_id)).first():
                    raise DuplicateFeedbackError(serve_id)
                conn.execute(feedback.insert().values(serve_id=serve_id, reward=reward, rating=rating,
                                                      thumbs=thumbs, created_at=datetime.now(timezone.utc)))
        except sa.exc.IntegrityError:  # a concurrent request for this serve inserted between check and insert
            raise DuplicateFeedbackError(serve_id) from None

    def arm_stats(self, *, study: str, genre: str) -> dict[int, ArmStats]:
        """Feedback per trial for one study and genre."""
        query = (
            sa.select(serves.c.trial, sa.func.count(serves.c.id), sa.func.count(feedback.c.serve_id),
                      sa.func.coalesce(sa.func.sum(feedback.c.reward), 0.0),
                      sa.func.coalesce(sa.func.sum(feedback.c.reward * feedback.c.reward), 0.0))
            .select_from(serves.outerjoin(feedback, feedback.c.serve_id == serves.c.id))
            .where(serves.c.study == study, serves.c.genre == genre)
            .group_by(serves.c.trial)
        )
        with self.engine.connect() as conn:
            return {int(t): ArmStats(trial=int(t), served=int(s), n=int(n), reward_sum=float(r), reward_sq_sum=float(q))
                    for t, s, n, r, q in conn.execute(query)}
