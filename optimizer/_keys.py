"""Namespaced, versioned keys for everything this project stores in an Optuna study."""

from __future__ import annotations

from typing import Literal

from objectives import fixed_objectives, get_objective, selectable_objectives

__all__ = [
    "AWAITING_RATING",
    "BASELINE",
    "BASE_OBJECTIVES",
    "DEGENERACY",
    "DIRECTIONS",
    "EXPORT",
    "EXTRA_OBJECTIVES",
    "FAILURE",
    "HEARTBEAT",
    "LISTENER_FEEDBACK",
    "PAIRWISE",
    "PAIRWISE_CLIP",
    "PARAMS",
    "PER_PROMPT",
    "RACING",
    "RATING",
    "RATING_RANGE",
    "RETRY_OF",
    "SCORES",
    "STUDY_SPEC",
    "TIMING",
    "VALIDATION",
    "WORKER",
    "objective_attr",
]

STUDY_SPEC = "mgopt:study:v1"
"""Study user attr: what must stay the same for trials to be comparable (model, prompts, seeds, ...)."""
PARAMS = "mgopt:params:v1"
"""Trial user attr: the :class:`DecodingParams` as a dict (the single source for presets)."""
SCORES = "mgopt:scores:v1"
"""Trial user attr: ``{name: {mean, stderr, n}}`` for clap, repetition (the objective: excess over the genre's
reference), raw_repetition, token_repetition (n = clips) and diversity (n = prompts; a bare number, the mean, in
trials recorded before 2026-11-21); fad as a number."""
PER_PROMPT = "mgopt:per_prompt:v1"
"""Trial user attr: per-prompt mean CLAP and repetition."""
DEGENERACY = "mgopt:degeneracy:v1"
"""Trial user attr: constraint values (worst clip's measurement minus its limit) and feasibility."""
BASELINE = "mgopt:baseline:v1"
"""Trial user attr of enqueued reference trials: ``musicgen_default`` or ``genre_baseline``."""
TIMING = "mgopt:timing:v1"
"""Trial user attr: generation and scoring seconds."""
LISTENER_FEEDBACK = "mgopt:listener_feedback:v1"
"""Study user attr: ``{trial number: {mean, stderr, n}}`` of listener rewards from the preset service."""
WORKER = "mgopt:worker:v1"
"""Trial user attr: ``host:pid`` of the worker that asked the trial."""
HEARTBEAT = "mgopt:heartbeat:v1"
"""Trial user attr: Unix time of the worker's last heartbeat while the trial runs."""
RETRY_OF = "mgopt:retry_of:v1"
"""Trial user attr of a re-enqueued trial: ``{trial, reason}`` of the stale trial it repeats."""
FAILURE = "mgopt:failure:v1"
"""Trial user attr of failed trials: the reason."""
EXPORT = "mgopt:export:v1"
"""Study user attr: the claim of the worker writing the presets
(:class:`optimizer.export._export_claim.ExportClaim`)."""
VALIDATION = "mgopt:validation:v1"
"""Study user attr: ``{key, setup, trials: {number: scores}}`` of candidates re-generated on held-out prompts."""
PAIRWISE = "mgopt:pairwise:v1"
"""Study user attr of a pairwise study: ``{"compare": n, "clip": {"prompt": 0, "replicate": 0}}``."""
PAIRWISE_CLIP = "mgopt:pairwise_clip:v1"
"""Trial user attr of a pairwise study: artifact id of the clip the listener compares (set last: its presence
makes the trial ready for comparison in optuna-dashboard)."""
PRESET_MARKS = "mgopt:presets:v1"
"""Study user attr set by the last export: ``{"file": path, "generated_at": ISO time, "presets": {name: trial
number}}``. Trials are marked in their dashboard notes, since a finished trial's user attrs cannot change."""
RACING = "mgopt:racing:v1"
"""Trial user attr of a trial that racing stopped before its full evaluation (``optimize --racing``): the stage,
the verdict and the partial scores (:class:`optimizer._trial_payloads.RacingStop`). Such a trial is PRUNED."""
AWAITING_RATING = "mgopt:awaiting_rating:v1"
"""Trial user attr of a ``--human`` trial that is evaluated, has its artifacts, and waits (RUNNING) for a listener's
rating in the dashboard: Unix time it was offered. Such trials are exempt from stale-trial recovery."""


def objective_attr(name: str) -> str:
    """Trial user attr holding one automatic objective's value as a plain float (``mgopt:objective:clap:v1``),
    for the dashboard's ``ObjectiveUserAttrRef``, which reads numbers, not the nested ``mgopt:scores:v1``."""
    return f"mgopt:objective:{name}:v1"


SCORING_VERSION = 2
"""Definition of the repetition objective and degeneracy checks a study's values were computed with, recorded in
its spec. 1 (no record): raw repetition share, clipping as any sample at full scale, silence below -60 dBFS.
2: repetition beyond the genre's reference, hard-clip runs, silence relative to the clip's loudest frame."""

BASE_OBJECTIVES: tuple[str, ...] = fixed_objectives()
"""The objectives every study has, in the order of ``trial.values`` (from :mod:`objectives._registry`)."""
DIRECTIONS: tuple[Literal["maximize", "minimize"], ...] = tuple(get_objective(o).direction
                                                                  for o in BASE_OBJECTIVES)
"""Their directions: more prompt adherence, less repetition."""
RATING = "rating"
"""The human objective: told by the dashboard, never computed (see :mod:`optimizer.review._human`)."""
RATING_RANGE = (1, 10)
"""Lowest and highest rating the dashboard's slider offers."""
EXTRA_OBJECTIVES: tuple[str, ...] = selectable_objectives()
"""Objectives a study may add after the fixed ones (``fad`` comes with reference audio)."""
