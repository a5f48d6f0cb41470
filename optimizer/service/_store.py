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

    The storage goes through the checks every command's does (:func:`~optimizer.search._storage_spec.parse_storage`,
    :func:`~optimizer.search._storage_check.check_rdb`) with the same time limits
    (:func:`~optimizer.search._storage.connect_args`), before any table or file is created.

    Args:
        url: SQLAlchemy URL (the Optuna storage URL).

    Raises:
        StorageError: a journal path (the store needs a database), an in-memory database (the feedback would be
            lost at exit), a malformed URL, a missing driver, a server that does not answer within the time
            limit, or a database that is not Optuna's, damaged, locked or read-only; the message masks the password.
    """

    def __init__(self, url: str) -> None:
        from optimizer._errors import StorageError
        from optimizer.search import check_rdb, connect_args, engine_options, open_error, parse_storage

        spec = parse_storage(url)
        if spec.kind == "journal":
            raise StorageError(spec.display, f"cannot keep served presets and feedback in {spec.display!r}: a journal "
                                             "file holds only Optuna studies; give a database URL such as "
                                             "sqlite:///optuna.db.")
        try:
            check_rdb(url, connect_args=connect_args(url, opening=True), write=True)
            kwargs = engine_options(url)
            if spec.kind == "sqlite":  # uvicorn's worker threads share the engine's connections
                kwargs["connect_args"]["check_same_thread"] = False
            self.engine = sa.create_engine(url, **kwargs)
            _metadata.create_all(self.engine)
        except Exception as exc:  # SQLAlchemy's, a driver's, a refused check's: one sentence, password masked
            raise open_error(spec, exc) from None

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
