"""The ask/tell loop: suggest a configuration, evaluate it, record everything, tell Optuna."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import soundfile

from objectives._evaluation import Evaluation, Evaluator
from objectives._params import DecodingParams
from optimizer import _keys
from optimizer._space import SearchSpace

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "RunSummary",
    "TrialHooks",
    "complete_trials",
    "enqueue_references",
    "record_evaluation",
    "run_trials",
]

MAX_CONSECUTIVE_FAILURES = 3
"""Stop after this many failed trials in a row: something is wrong with the setup, not the parameters."""


@dataclass
class RunSummary:
    """What one run did: trials completed and failed now, failures by reason, and the study's total."""

    completed: int = 0
    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    total_complete: int = 0
    stopped_reason: str | None = None


@dataclass
class TrialHooks:
    """Progress callbacks (the CLI wires rich progress bars to these)."""

    on_trial_start: Callable[[int], None] = lambda number: None
    on_step: Callable[[int, int], None] = lambda done, total: None
    on_trial_end: Callable[[optuna.trial.FrozenTrial], None] = lambda trial: None


def complete_trials(study: optuna.Study) -> int:
    """Number of COMPLETE trials (feasible or not)."""
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


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
        study.enqueue_trial(fixed, user_attrs={_keys.BASELINE: label}, skip_if_exists=True)
        enqueued.append(label)
    return enqueued


def record_evaluation(trial: optuna.Trial, evaluation: Evaluation) -> list[float]:
    """Store an evaluation on ``trial`` (user attrs and constraints); return the objective values.

    Raises:
        ValueError: an objective is NaN or infinite (the trial must then be failed, not told).
    """
    values = [evaluation.clap.mean, evaluation.repetition.mean]
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"non-finite objective values {values}")
    trial.set_user_attr(_keys.PARAMS, evaluation.params.to_dict())
    scores = {"clap": evaluation.clap.to_dict(), "repetition": evaluation.repetition.to_dict(),
              "diversity": evaluation.diversity}
    if evaluation.token_repetition is not None:
        scores["token_repetition"] = evaluation.token_repetition.to_dict()
    trial.set_user_attr(_keys.SCORES, scores)
    trial.set_user_attr(_keys.PER_PROMPT, evaluation.per_prompt())
    trial.set_user_attr(_keys.DEGENERACY, {"constraints": evaluation.constraints, "feasible": evaluation.feasible})
    trial.set_user_attr(_keys.TIMING, {"generation_s": evaluation.generation_seconds,
                                       "scoring_s": evaluation.scoring_seconds})
    for name, value in evaluation.constraints.items():
        trial.set_constraint(name, value)
    return values


def run_trials(
    study: optuna.Study,
    *,
    evaluator: Evaluator,
    space: SearchSpace,
    n_trials: int,
    hooks: TrialHooks | None = None,
    save_audio: Path | None = None,
) -> RunSummary:
    """Run trials until the study holds ``n_trials`` COMPLETE trials (a total, so re-running resumes).

    A trial whose generation or scoring raises (NaN scores, out of memory, a backend error) is told
    FAIL with the reason in the ``mgopt:failure:v1`` user attr and the run goes on; after
    :data:`MAX_CONSECUTIVE_FAILURES` failures in a row it stops. Ctrl-C fails the running trial (so none
    is left RUNNING) and re-raises ``KeyboardInterrupt``.

    Args:
        study: the study (objectives: CLAP, repetition).
        evaluator: the composite objective.
        space: the search space.
        n_trials: target number of COMPLETE trials in the study, >= 1.
        hooks: progress callbacks.
        save_audio: folder for the clips as ``trial_0007_p02_r01.wav``, or None.
    """
    hooks = hooks or TrialHooks()
    summary = RunSummary(total_complete=complete_trials(study))
    consecutive = 0
    while summary.total_complete < n_trials:
        trial = study.ask()
        hooks.on_trial_start(trial.number)
        try:
            params = space.suggest(trial)
            evaluation = evaluator.evaluate(params, on_step=hooks.on_step)
            values = record_evaluation(trial, evaluation)
            if save_audio is not None:
                _save_clips(save_audio, trial.number, evaluation)
        except KeyboardInterrupt:
            _fail(study, trial, "interrupted")
            raise
        except Exception as exc:
            reason = _reason(exc)
            _fail(study, trial, reason)
            summary.failed += 1
            summary.failures[reason.split(":")[0]] += 1
            consecutive += 1
            if consecutive >= MAX_CONSECUTIVE_FAILURES:
                summary.stopped_reason = f"{consecutive} trials failed in a row (last: {reason})"
                break
            continue
        frozen = study.tell(trial, values)
        consecutive = 0
        summary.completed += 1
        summary.total_complete += 1
        hooks.on_trial_end(frozen)
    return summary


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    kind = "out_of_memory" if "out of memory" in text.lower() else type(exc).__name__
    return f"{kind}: {text[:300]}" if text else kind


def _fail(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    trial.set_user_attr(_keys.FAILURE, reason)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)


def _save_clips(folder: Path, number: int, evaluation: Evaluation) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for clip, wave in zip(evaluation.clips, evaluation.audio.audio, strict=True):
        name = f"trial_{number:04d}_p{clip.prompt_index:02d}_r{clip.replicate:02d}.wav"
        soundfile.write(folder / name, wave.clip(-1.0, 1.0), evaluation.audio.sample_rate, subtype="PCM_16")
