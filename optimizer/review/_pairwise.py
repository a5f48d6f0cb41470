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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import optuna
from optuna.artifacts import FileSystemArtifactStore

from objectives import DecodingParams, Evaluation, Evaluator
from optimizer import _keys
from optimizer._errors import IncompatibleStudyError, MissingExtraError
from optimizer._payloads import has, read, require, write
from optimizer._study_payloads import PairwiseSetup, StoredSpec
from optimizer._trial_payloads import PairwiseClip
from optimizer.review._pairwise_sampler import ResettingPreferentialSampler
from optimizer.search import (
    Batcher,
    RunTally,
    SearchSpace,
    StudySpec,
    TrialLoop,
    check_same_setup,
    fail_trial,
    record_evaluation,
    upload_trial_artifacts,
)

if TYPE_CHECKING:
    from optuna_dashboard.preferential import PreferentialStudy

__all__ = [
    "DEFAULT_COMPARE",
    "INSTALL_HINT",
    "PairwisePolicy",
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


def check_preferential_installed() -> None:
    """Raise :class:`~optimizer._errors.MissingExtraError` (with the install command) unless BoTorch, which the
    preferential sampler needs, imports."""
    try:
        import optuna_dashboard.preferential.samplers.gp  # noqa: F401
    except ImportError:
        raise MissingExtraError("pairwise mode", f"pairwise mode needs BoTorch for its preferential sampler; "
                                                 f"install it with {INSTALL_HINT}.") from None


def pairwise_study_name(genre: str, model: str) -> str:
    """``<genre>/<model>/pairwise``: apart from the study of the same genre and model scored by CLAP."""
    from optimizer.search import default_study_name

    return f"{default_study_name(genre, model)}/pairwise"


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
        IncompatibleStudyError: ``name`` is not a pairwise study, or it was made with another setup or ``compare``.
    """
    from optuna_dashboard import register_preference_feedback_component
    from optuna_dashboard.preferential import create_study

    existing = _find(storage, name)
    n_generate = compare or DEFAULT_COMPARE
    if existing is not None and (setup := read(existing, PairwiseSetup)):
        stored = setup.compare
        if compare is not None and compare != stored:
            raise IncompatibleStudyError(name, "compare", stored, compare,
                                         f"pairwise study {name!r} shows {stored} clips at a time but this run asks "
                                         f"for {compare}; keep its number or start a separate study under another "
                                         "name.")
        n_generate = stored
    try:
        study = create_study(n_generate=n_generate, storage=storage, study_name=name, load_if_exists=True,
                             sampler=ResettingPreferentialSampler(seed=seed))
    except ValueError as exc:  # load_study: "The study is not a PreferentialStudy."
        raise IncompatibleStudyError(name, "kind", "multi-objective", "pairwise",
                                     f"study {name!r} exists and is not a pairwise study ({exc}); a pairwise study "
                                     "needs another name.") from None
    created = not has(study, StoredSpec)
    if created:
        write(study, StoredSpec(spec.to_dict()))
        write(study, PairwiseSetup(n_generate, CLIP["prompt"], CLIP["replicate"]))
        register_preference_feedback_component(study, "artifact", artifact_key=_keys.PAIRWISE_CLIP)
    else:
        check_same_setup(name, require(study, StoredSpec).values, spec)
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
class PairwiseSummary(RunTally):
    """What one pairwise run did (``failed``, ``failures`` and ``stopped_reason`` as in every mode)."""

    generated: int = 0
    unready_failed: int = 0
    """RUNNING trials without a clip, left by an interrupted run, failed at start."""
    progress: PairwiseProgress | None = None


def progress(study: PreferentialStudy, target: int) -> PairwiseProgress:
    """The current :class:`PairwiseProgress` of ``study``."""
    preferences = study.get_preferences(deepcopy=False)
    worse = {w.number for _, w in preferences}
    trials = study.get_trials(deepcopy=False)
    compared = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    waiting = sum(t.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.COMPLETE)
                  and has(t, PairwiseClip) and t.number not in worse for t in trials)
    return PairwiseProgress(compared=compared, target=target, waiting=waiting, preferences=len(preferences))


def fail_unready_trials(study: PreferentialStudy, storage: optuna.storages.BaseStorage) -> list[int]:
    """Fail the RUNNING trials that have no clip: a previous run stopped while generating them, and the
    dashboard would keep them among the clips to compare. Only one pairwise run may use a study at a time.

    Returns:
        The numbers of the trials failed.
    """
    plain = optuna.load_study(study_name=study.study_name, storage=storage, sampler=optuna.samplers.RandomSampler())
    failed = []
    for t in plain.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not has(t, PairwiseClip):
            fail_trial(plain, t, "interrupted: the run stopped before its clip was ready")
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
    its reason; after :data:`~optimizer.search._loop.MAX_CONSECUTIVE_FAILURES` in a row the run stops. Ctrl-C
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
    summary = PairwiseSummary()
    policy = PairwisePolicy(study, n_trials=n_trials, artifact_store=artifact_store,
                            clip_index=_clip_index(evaluator), summary=summary, batch_trials=batch_trials,
                            poll_interval=poll_interval, on_generated=on_generated, on_wait=on_wait)
    TrialLoop(study, space, Batcher(evaluator, batch_trials=batch_trials), policy).run(summary)
    return summary


@dataclass
class PairwisePolicy:
    """:class:`~optimizer.search._loop.TrialPolicy` of ``--pairwise``: generate while the listener has fewer than
    ``compare`` clips waiting (``PreferentialStudy.should_generate``), until ``n_trials`` are compared; settle an
    evaluation by uploading its clip (see :func:`run_pairwise` for the arguments)."""

    study: PreferentialStudy
    n_trials: int
    artifact_store: FileSystemArtifactStore
    clip_index: int
    summary: PairwiseSummary
    batch_trials: int = 1
    poll_interval: float = 1.0
    on_generated: Callable[[optuna.Trial, DecodingParams], None] = lambda trial, params: None
    on_wait: Callable[[PairwiseProgress], None] = lambda progress: None
    _last_seen: PairwiseProgress | None = None

    def capacity(self, tally: RunTally) -> int | None:
        now = progress(self.study, self.n_trials)
        self.summary.progress = now
        if now.compared >= self.n_trials:
            return None
        # a full batch, cut short by keep_asking once the listener has ``compare`` clips waiting
        return self.batch_trials if self.study.should_generate() else 0

    def keep_asking(self) -> bool:
        return self.study.should_generate()

    def wait(self, tally: RunTally) -> None:
        if self.summary.progress is not None and self.summary.progress != self._last_seen:
            self.on_wait(self.summary.progress)
            self._last_seen = self.summary.progress
        time.sleep(self.poll_interval)

    def record(self, trial: optuna.Trial, evaluation: Evaluation) -> None:
        record_evaluation(trial, evaluation)
        clip_id = upload_trial_artifacts(trial, evaluation, self.artifact_store, clip_indices=[self.clip_index])[0]
        write(trial, PairwiseClip(clip_id))  # last: the trial is now ready
        return None  # the listener's comparisons complete it

    def settled(self, trial: optuna.Trial, evaluation: Evaluation, frozen: optuna.trial.FrozenTrial | None) -> None:
        self.summary.generated += 1
        self.on_generated(trial, evaluation.params)

    def handed_over(self, trials: Sequence[optuna.Trial]) -> set[int]:
        return {t.number for t in trials if has(t, PairwiseClip)}


def _clip_index(evaluator: Evaluator) -> int:
    # Clips are prompt-major: prompt 0, replicate 0 is the first row.
    return CLIP["prompt"] * evaluator.replicates + CLIP["replicate"]
