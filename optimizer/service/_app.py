"""The preset service's HTTP API (FastAPI; OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import logging
import math
import re
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer._digits import is_decimal
from optimizer.presets import Preset, PresetFile, PresetFileError, PresetValidationError, load_genre_presets
from optimizer.service._bandit import ArmStats, feedback_reward, thompson_choice
from optimizer.service._store import STUDY_NAME_MAX, DuplicateFeedbackError, FeedbackStore, UnknownServeError

__all__ = ["MAX_BODY_BYTES", "create_app", "genre_files", "load_servable"]

_log = logging.getLogger("mgopt.service")

MAX_BODY_BYTES = 4096
"""Largest request body accepted; feedback is a few dozen bytes."""
_GENRE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
GenreName = Annotated[str, PathParam(pattern=_GENRE, description="genre name, e.g. jazz")]


class ServedPreset(BaseModel):
    """A preset chosen for this request; send feedback with its ``serve_id``."""

    serve_id: str = Field(description="id to send feedback for this serve")
    genre: str
    preset: str = Field(description="preset name in the genre's file, e.g. balanced")
    trial: int
    params: dict[str, Any]
    audiocraft: dict[str, Any] = Field(description="kwargs for MusicGen.set_generation_params")
    transformers: dict[str, Any] = Field(description="kwargs for generate")


class Feedback(BaseModel):
    """A listener's verdict on a served preset: a 1-10 rating or thumbs up/down, not both."""

    # strict: JSON true is not the rating 1 nor "7" the rating 7; an explicit null is refused (omit the field)
    model_config = ConfigDict(extra="forbid", strict=True)
    serve_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    rating: int | None = Field(default=None, ge=1, le=10)
    thumbs: Literal["up", "down"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(data.get(key, "") is None for key in ("rating", "thumbs")):
            raise ValueError("rating and thumbs cannot be null; leave out the one not given")
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Feedback:
        if (self.rating is None) == (self.thumbs is None):
            raise ValueError("give exactly one of rating (1-10) or thumbs ('up' or 'down')")
        return self


class FeedbackStored(BaseModel):
    serve_id: str
    reward: float = Field(description="the feedback as a reward in [0, 1]")


class ServiceIndex(BaseModel):
    """What ``/`` answers (the URL ``serve-presets`` prints): the genres served and where to go from here."""

    service: str
    genres: dict[str, dict[str, str]] = Field(description="per genre, the paths of its preset and its stats")
    feedback: str = Field(description="path to POST a listener's feedback to")
    docs: str
    openapi: str


class ArmReport(BaseModel):
    trial: int
    presets: list[str]
    served: int
    feedback: int
    mean_reward: float | None
    stderr: float | None
    alpha: float
    beta: float


def genre_files(presets_dir: Path) -> dict[str, Path]:
    """The ``<genre>.json`` files the service serves (names that are genre names), by genre."""
    return {p.stem: p for p in sorted(presets_dir.glob("*.json")) if re.match(_GENRE, p.stem)}


def load_servable(genre: str, presets_dir: Path) -> PresetFile:
    """Load ``presets_dir/<genre>.json`` and check the service can serve it.

    Raises:
        PresetFileError: unreadable, or a study name longer than the store's 512 characters.
        PresetValidationError: invalid (see :func:`optimizer.load_presets`, which also bounds trial numbers).
    """
    presets = load_genre_presets(genre, presets_dir)  # its schema requires a balanced (or preferred) preset
    if len(str(presets.provenance["study"])) > STUDY_NAME_MAX:
        raise PresetFileError(f"{presets.path}: field 'provenance/study' is longer than {STUDY_NAME_MAX} "
                              "characters.")
    return presets


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities written as strings: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def create_app(*, presets_dir: Path, store: FeedbackStore, seed: int | None = None) -> FastAPI:
    """Build the service.

    ``/docs`` (Swagger UI) and ``/redoc`` load their scripts from this server (fastapi-offline), not a CDN.

    Args:
        presets_dir: folder of ``<genre>.json`` preset files (re-read when they change; when a file turns
            unusable, the last good version is served and a warning logged).
        store: where serves and feedback are recorded.
        seed: seed of the Thompson-sampling RNG (None: fresh entropy).
    """
    app = FastAPIOffline(title="MusicGen preset service", version="1",
                         description="Serves a genre's Pareto decoding presets by Thompson sampling and learns "
                                     "from listener feedback.",
                         swagger_ui_parameters={"validatorUrl": None})  # no badge from validator.swagger.io
    rng = np.random.default_rng(seed)
    rng_lock = threading.Lock()
    cache: dict[str, tuple[int, PresetFile]] = {}

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, and a NaN or 1e400 in it made the 422 itself fail with a 500.
        return JSONResponse({"detail": _finite(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None:
                return JSONResponse({"detail": "a Content-Length header is required"}, status_code=411)
            if not is_decimal(length) or int(length) > MAX_BODY_BYTES:
                return JSONResponse({"detail": f"request body larger than {MAX_BODY_BYTES} bytes"}, status_code=413)
        return await call_next(request)

    def presets_for(genre: str) -> PresetFile:
        path = presets_dir / f"{genre}.json"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in presets_dir.glob("*.json"))) or "none"
            raise HTTPException(404, f"unknown genre {genre!r}; genres with presets: {known}")
        mtime = path.stat().st_mtime_ns
        if genre not in cache or cache[genre][0] != mtime:
            try:
                cache[genre] = (mtime, load_servable(genre, presets_dir))
            except (PresetFileError, PresetValidationError) as exc:
                if genre not in cache:
                    raise HTTPException(503, f"preset file for {genre!r} is unusable: {exc}") from None
                _log.warning("serve-presets: keeping the last good presets for %s: %s", genre, exc)
                cache[genre] = (mtime, cache[genre][1])  # warn once per change of the file
        return cache[genre][1]

    def arms(presets: PresetFile) -> dict[int, list[Preset]]:
        by_trial: dict[int, list[Preset]] = {}
        for preset in presets.presets.values():
            by_trial.setdefault(preset.trial, []).append(preset)
        return by_trial

    @app.get("/", response_model=ServiceIndex, summary="The genres served and links to everything else")
    def index() -> ServiceIndex:
        return ServiceIndex(service=app.title, feedback="/feedback", docs="/docs", openapi="/openapi.json",
                            genres={g: {"preset": f"/genres/{g}/preset", "stats": f"/genres/{g}/stats"}
                                    for g in genre_files(presets_dir)})

    @app.get("/genres", summary="Genres that have a preset file")
    def genres() -> list[str]:
        return list(genre_files(presets_dir))

    @app.get("/genres/{genre}/preset", response_model=ServedPreset, summary="The preset to use now",
             responses={404: {"description": "unknown genre"}})
    def serve(genre: GenreName) -> ServedPreset:
        presets = presets_for(genre)
        study = str(presets.provenance["study"])
        by_trial = arms(presets)
        stats = store.arm_stats(study=study, genre=genre)
        trials = sorted(by_trial)
        with rng_lock:
            chosen = trials[thompson_choice([stats.get(t, ArmStats(trial=t)) for t in trials], rng)]
        preset = by_trial[chosen][0]
        serve_id = store.record_serve(study=study, genre=genre, trial=chosen, preset=preset.name)
        return ServedPreset(serve_id=serve_id, genre=genre, preset=preset.name, trial=chosen,
                            params=preset.params.to_dict(), audiocraft=preset.to_audiocraft(),
                            transformers=preset.to_transformers())

    @app.post("/feedback", response_model=FeedbackStored, status_code=201, summary="Rate a served preset",
              responses={404: {"description": "unknown serve id"}, 409: {"description": "already rated"}})
    def give_feedback(body: Feedback) -> FeedbackStored:
        reward = feedback_reward(rating=body.rating, thumbs=body.thumbs)
        try:
            store.record_feedback(body.serve_id, reward=reward, rating=body.rating, thumbs=body.thumbs)
        except UnknownServeError:
            raise HTTPException(404, f"no preset was served with id {body.serve_id!r}") from None
        except DuplicateFeedbackError:
            raise HTTPException(409, f"serve {body.serve_id!r} already has feedback") from None
        return FeedbackStored(serve_id=body.serve_id, reward=reward)

    @app.get("/genres/{genre}/stats", response_model=list[ArmReport], summary="What the bandit has learned")
    def stats(genre: GenreName) -> list[ArmReport]:
        presets = presets_for(genre)
        learned = store.arm_stats(study=str(presets.provenance["study"]), genre=genre)
        out = []
        for trial, members in sorted(arms(presets).items()):
            s = learned.get(trial, ArmStats(trial=trial))
            out.append(ArmReport(trial=trial, presets=[p.name for p in members], served=s.served, feedback=s.n,
                                 mean_reward=s.mean, stderr=s.stderr, alpha=s.alpha, beta=s.beta))
        return out

    return app
