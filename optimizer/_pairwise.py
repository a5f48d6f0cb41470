"""Pairwise mode: a listener compares clips side by side in optuna-dashboard and a preferential GP proposes.

Built on ``optuna_dashboard.preferential``: the study keeps ``compare`` clips waiting for the listener
(``PreferentialStudy.should_generate``); each generated trial stays RUNNING with one representative clip
uploaded as an audio artifact, and the dashboard's feedback page shows that clip (the artifact named by the
``mgopt:pairwise_clip:v1`` user attr). The listener's choice is stored by the dashboard as preferences, which
complete the compared trials; ``PreferentialGPSampler`` (BoTorch) fits a GP to the preferences and proposes
the next configuration. Needs the ``preferential`` extra (botorch).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import optuna
from optuna.artifacts import FileSystemArtifactStore

from objectives._evaluation import Evaluator
from objectives._params import DecodingParams
from optimizer import _keys
from optimizer._artifacts import upload_trial_artifacts
from optimizer._errors import UsageError
from optimizer._interrupts import shielded
from optimizer._runner import (
    MAX_CONSECUTIVE_FAILURES,
    Batcher,
    failure_reason,
    record_evaluation,
    suggest_and_evaluate,
)
from optimizer._space import SearchSpace
from optimizer._study import StudySpec, check_same_setup

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = [
    "DEFAULT_COMPARE",
    "INSTALL_HINT",
    "PairwiseProgress",
    "PairwiseSummary",
    "ResettingPreferentialSampler",
    "check_preferential_installed",
    "fail_unready_trials",
    "load_or_create_pairwise_study",
    "pairwise_study_name",
    "run_pairwise",
]

DEFAULT_COMPARE = 4
"""Clips the dashboard shows side by side when ``--compare`` is not given."""
CLIP = {"prompt": 0, "replicate": 0}
"""The clip the listener hears of every trial: the first prompt's first seed. Every trial decodes it from the same
prompt and seed (common random numbers), so two clips differ only by their decoding parameters."""
INSTALL_HINT = """pip install ".[preferential]" (in the project's checkout)"""
_SAMPLER_NOISE = ("Dynamic search space detected", "The objective function has categorical parameters")


def check_preferential_installed() -> None:
    """Raise :class:`UsageError` (with the install command) unless BoTorch, which the sampler needs, imports."""
    try:
        import optuna_dashboard.preferential.samplers.gp  # noqa: F401
    except ImportError:
        raise UsageError(f"--pairwise needs BoTorch for its preferential sampler; install it with "
                         f"{INSTALL_HINT}.") from None


def pairwise_study_name(genre: str, model: str) -> str:
    """``<genre>/<model>/pairwise``: apart from the study of the same genre and model scored by CLAP."""
    from optimizer._study import default_study_name

    return f"{default_study_name(genre, model)}/pairwise"


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


def load_or_create_pairwise_study(storage: optuna.storages.BaseStorage, name: str, spec: StudySpec, *,
                                  compare: int | None, seed: int | None = None
                                  ) -> tuple[PreferentialStudy, bool]:
    """Resume the pairwise study ``name`` or create it, with the feedback page showing each trial's clip.

    Args:
        storage: the Optuna storage.
        name: study name.
        spec: what every trial shares (model, prompts, seeds, ...).
        compare: clips shown side by side, in [2, 16]; None: :data:`DEFAULT_COMPARE` for a new study, the
            stored value for an existing one. Fixed when the study is created.
        seed: sampler seed.

    Returns:
        ``(study, created)``.

    Raises:
        UsageError: ``name`` is not a pairwise study, or it was made with another setup or ``compare``.
    """
    from optuna_dashboard import register_preference_feedback_component
    from optuna_dashboard.preferential import create_study

    existing = _find(storage, name)
    n_generate = compare or DEFAULT_COMPARE
    if existing is not None and _keys.PAIRWISE in existing.user_attrs:
        stored = existing.user_attrs[_keys.PAIRWISE]["compare"]
        if compare is not None and compare != stored:
            raise UsageError(f"pairwise study {name!r} shows {stored} clips at a time (--compare {stored}) but got "
                             f"--compare {compare}; drop --compare or pass --study-name NEW.")
        n_generate = stored
    try:
        study = create_study(n_generate=n_generate, storage=storage, study_name=name, load_if_exists=True,
                             sampler=ResettingPreferentialSampler(seed=seed))
    except ValueError as exc:  # load_study: "The study is not a PreferentialStudy."
        raise UsageError(f"study {name!r} exists and is not a pairwise study ({exc}); pass --study-name NEW.") from None
    created = _keys.STUDY_SPEC not in study.user_attrs
    if created:
        study.set_user_attr(_keys.STUDY_SPEC, spec.to_dict())
        study.set_user_attr(_keys.PAIRWISE, {"compare": n_generate, "clip": CLIP})
        register_preference_feedback_component(study, "artifact", artifact_key=_keys.PAIRWISE_CLIP)
    else:
        check_same_setup(name, study.user_attrs[_keys.STUDY_SPEC], spec)
    return study, created


def _find(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler())
    except KeyError:
        return None


@dataclass(frozen=True)
class PairwiseProgress:
    """Where a pairwise study stands.

    Attributes:
        compared: trials the listener has compared (COMPLETE: the dashboard completes a trial the first time
            it appears in a comparison).
        target: the ``--trials`` target for ``compared``.
        waiting: generated trials whose clip awaits comparison (RUNNING, clip uploaded, never ranked worse).
        preferences: recorded ``(better, worse)`` pairs.
    """

    compared: int
    target: int
    waiting: int
    preferences: int


@dataclass
class PairwiseSummary:
    """What one pairwise run did."""

    generated: int = 0
    failed: int = 0
    unready_failed: int = 0
    """RUNNING trials without a clip, left by an interrupted run, failed at start."""
    stopped_reason: str | None = None
    progress: PairwiseProgress | None = None
    failures: list[str] = field(default_factory=list)


def progress(study: PreferentialStudy, target: int) -> PairwiseProgress:
    """The current :class:`PairwiseProgress` of ``study``."""
    preferences = study.get_preferences(deepcopy=False)
    worse = {w.number for _, w in preferences}
    trials = study.get_trials(deepcopy=False)
    compared = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    waiting = sum(t.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.COMPLETE)
                  and _keys.PAIRWISE_CLIP in t.user_attrs and t.number not in worse for t in trials)
    return PairwiseProgress(compared=compared, target=target, waiting=waiting, preferences=len(preferences))


def fail_unready_trials(study: PreferentialStudy, storage: optuna.storages.BaseStorage) -> list[int]:
    """Fail the RUNNING trials that have no clip: a previous run stopped while generating them, and the
    dashboard would keep them among the clips to compare. Only one pairwise run may use a study at a time.

    Returns:
        The numbers of the trials failed.
    """
    plain = optuna.load_study(study_name=study.study_name, storage=storage, sampler=optuna.samplers.RandomSampler())
    failed = []
    study_id = storage.get_study_id_from_name(study.study_name)
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if _keys.PAIRWISE_CLIP not in t.user_attrs:
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
            storage.set_trial_user_attr(trial_id, _keys.FAILURE,
                                        "interrupted: the run stopped before its clip was ready")
            plain.tell(t.number, state=optuna.trial.TrialState.FAIL)
            failed.append(t.number)
    return failed


def run_pairwise(
    study: PreferentialStudy,
    *,
    evaluator: Evaluator,
    space: SearchSpace,
    n_trials: int,
    artifact_store: FileSystemArtifactStore,
    batch_trials: int = 1,
    poll_interval: float = 1.0,
    on_generated: Callable[[optuna.Trial, DecodingParams], None] = lambda trial, params: None,
    on_wait: Callable[[PairwiseProgress], None] = lambda progress: None,
) -> PairwiseSummary:
    """Generate clips for the listener until ``n_trials`` trials have been compared.

    While ``study.should_generate()`` (fewer than ``compare`` clips wait for the listener), asks up to
    ``batch_trials`` trials, evaluates them in one decoding pass (scores, constraints and timing go to the
    same user attrs as in the regular study), uploads the clip of :data:`CLIP` with the note and spectrogram
    sheet, and then sets ``mgopt:pairwise_clip:v1``, which makes the trial ready on the dashboard's feedback
    page. Trials stay RUNNING until the listener compares them. Otherwise waits ``poll_interval`` seconds and
    looks again, calling ``on_wait`` when the progress changes. A trial whose evaluation fails is failed with
    its reason; after :data:`~optimizer._runner.MAX_CONSECUTIVE_FAILURES` in a row the run stops. Ctrl-C
    fails the trials not yet ready and re-raises ``KeyboardInterrupt``; re-running resumes.

    Args:
        study: a study from :func:`load_or_create_pairwise_study`.
        evaluator: the composite objective.
        space: the search space.
        n_trials: stop once this many trials are compared (COMPLETE), >= 1.
        artifact_store: where clips, sheets go (the listener hears them there).
        batch_trials: most trials evaluated together, >= 1.
        poll_interval: seconds between looks while the listener has clips to compare.
        on_generated: called with each trial made ready and its configuration.
        on_wait: called with the progress whenever it changes while waiting.

    Raises:
        ValueError: ``n_trials`` or ``batch_trials`` < 1.
    """
    if n_trials < 1 or batch_trials < 1:
        raise ValueError(f"n_trials and batch_trials must be >= 1 but got {n_trials} and {batch_trials}.")
    clip_index = _clip_index(evaluator)
    summary = PairwiseSummary()
    batch = Batcher(evaluator, limit=batch_trials)
    consecutive = 0
    last_seen: PairwiseProgress | None = None
    while True:
        now = progress(study, n_trials)
        summary.progress = now
        if now.compared >= n_trials:
            break
        trials: list[optuna.Trial] = []
        try:
            with shielded():  # an interrupt is raised once the trials are asked, and fails them below
                while len(trials) < batch.limit and study.should_generate():
                    trials.append(study.ask())
        except KeyboardInterrupt:
            _fail_all(trials, "interrupted")
            raise
        if not trials:
            if now != last_seen:
                on_wait(now)
                last_seen = now
            time.sleep(poll_interval)
            continue
        ready: set[int] = set()
        try:
            for trial, outcome in suggest_and_evaluate(trials, space, batch, on_step=lambda done, total: None):
                if not isinstance(outcome, BaseException):
                    try:
                        record_evaluation(trial, outcome)
                        clip_id = upload_trial_artifacts(trial, outcome, artifact_store, clip_indices=[clip_index])[0]
                        trial.set_user_attr(_keys.PAIRWISE_CLIP, clip_id)  # last: the trial is now ready
                    except Exception as exc:  # e.g. NaN scores, a full disk
                        outcome = exc
                if isinstance(outcome, BaseException):
                    reason = failure_reason(outcome)
                    fail_trial(trial, reason)
                    summary.failed += 1
                    summary.failures.append(reason)
                    consecutive += 1
                else:
                    consecutive = 0
                    summary.generated += 1
                    on_generated(trial, outcome.params)
                ready.add(trial.number)
        except KeyboardInterrupt:
            _fail_all([t for t in trials if t.number not in ready], "interrupted")
            raise
        if consecutive >= MAX_CONSECUTIVE_FAILURES:
            summary.stopped_reason = f"{consecutive} trials failed in a row (last: {summary.failures[-1]})"
            break
    return summary


def _clip_index(evaluator: Evaluator) -> int:
    # Clips are prompt-major: prompt 0, replicate 0 is the first row.
    return CLIP["prompt"] * evaluator.replicates + CLIP["replicate"]


def _fail_all(trials: list[optuna.Trial], reason: str) -> None:
    for trial in trials:
        try:
            fail_trial(trial, reason)
        except (ValueError, RuntimeError):  # already finished
            continue


def fail_trial(trial: optuna.Trial, reason: str) -> None:
    trial.set_user_attr(_keys.FAILURE, reason)
    trial.study.tell(trial, state=optuna.trial.TrialState.FAIL)
