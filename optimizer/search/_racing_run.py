"""Racing inside the batched pass: decode a batch's trials stage by stage and stop those out of the race.

:class:`RacingBatcher` is the trial loop's :class:`~optimizer.search._loop.Batcher` under ``optimize --racing``:
stage 1 decodes the first rows of :func:`~optimizer.search._racing.stage_plan` for every trial of the batch in
one pass, :func:`~optimizer.search._racing.decide` then tests each against the study's feasible front as stored
at that moment (:func:`~optimizer.search._racing_study.race_front`, so other workers' completed trials count),
and only the trials that continue decode the next stage's rows, again together. A trial that reaches the last
stage is fully evaluated (its stages joined, :meth:`objectives.Evaluator.combine`: the same clips as one pass)
and is settled like any other; a stopped one comes back as :class:`~optimizer.search._racing.Stopped`, which the
loop tells PRUNED. Out-of-memory halving and fault isolation are the base batcher's, per stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from objectives import DecodingParams, Evaluation, Evaluator, get_objective
from optimizer.search._loop import Batcher
from optimizer.search._racing import Samples, Stopped, Verdict, decide, stage_plan

__all__ = ["RacingBatcher", "racing_samples"]


def racing_samples(evaluation: Evaluation, objectives: Sequence[str]) -> dict[str, Samples]:
    """Per objective that has one value per clip (:attr:`objectives.Objective.per_clip`: CLAP, repetition,
    melody) and is measured, ``(values, prompt of each)`` over ``evaluation``'s clips: what racing tests."""
    out: dict[str, Samples] = {}
    for name in objectives:
        objective = get_objective(name)
        if objective.per_clip and objective.samples is not None and objective.value(evaluation) is not None:
            values, prompts = objective.samples(evaluation)
            out[name] = (list(values), list(prompts))
    return out


class RacingBatcher(Batcher):
    """A :class:`~optimizer.search._loop.Batcher` that evaluates in racing's stages and stops trials between them.

    Args:
        evaluator: the composite objective.
        batch_trials: most trials decoded together, >= 1.
        front: returns the ``[N, P, M]`` per-prompt means to race against, read anew after each stage (e.g.
            ``lambda: race_front(study, objectives, P)``).
        objectives: the study's objectives, in the order of its directions.
        level: one-sided level of the dominance test, in (0, 0.5).
    """

    def __init__(self, evaluator: Evaluator, *, batch_trials: int, front: Callable[[], np.ndarray],
                 objectives: Sequence[str], level: float) -> None:
        super().__init__(evaluator, batch_trials=batch_trials)
        self.front = front
        self.objectives = tuple(objectives)
        self.level = level
        self.plan = stage_plan(len(evaluator.prompts), evaluator.replicates)

    def evaluate(self, configs: list[DecodingParams], *, on_step: Callable[[int, int], None],
                 stoppable: Sequence[bool] | None = None) -> list[Evaluation | Stopped | BaseException]:
        """Per configuration, in order: its full evaluation, its :class:`Stopped` (only where ``stoppable``
        says so; all when None), or the exception that failed it (at any stage); ``KeyboardInterrupt``
        propagates."""
        raced = [i for i in range(len(configs)) if stoppable is None or stoppable[i]]
        outcomes: list[Evaluation | Stopped | BaseException | None] = [None] * len(configs)
        done: set[tuple[int, int]] = set()
        for stage, rows in enumerate(self.plan, start=1):
            live = [i for i, o in enumerate(outcomes) if o is None or isinstance(o, Evaluation)]
            if not live:
                break
            new = [row for row in rows if row not in done]
            parts = self.evaluate_rows([configs[i] for i in live], on_step=on_step, rows=new)
            for i, part in zip(live, parts, strict=True):
                before = outcomes[i]
                outcomes[i] = part if before is None or isinstance(part, BaseException) else self._join(before, part)
            done.update(new)
            if stage < len(self.plan):
                self._race(outcomes, [i for i in live if i in raced], stage)
        return [o for o in outcomes if o is not None]

    def _join(self, before: Evaluation | Stopped | BaseException, part: Evaluation) -> Evaluation | BaseException:
        try:
            return self.evaluator.combine([before, part])  # type: ignore[list-item]
        except Exception as exc:  # fails this trial only
            return exc

    def _race(self, outcomes: list, live: list[int], stage: int) -> None:
        """Replace the outcome of each live trial that is out of the race by its :class:`Stopped`."""
        front = self.front()
        directions = [get_objective(name).direction for name in self.objectives]
        for i in live:
            evaluation = outcomes[i]
            if not isinstance(evaluation, Evaluation):
                continue
            try:
                samples = racing_samples(evaluation, self.objectives)
                verdict = decide(constraints=evaluation.constraints, directions=directions, front=front,
                                 samples=[samples.get(name) for name in self.objectives], level=self.level)
            except Exception as exc:  # a non-finite score fails this trial, as a full evaluation's would
                outcomes[i] = exc
                continue
            if verdict is not Verdict.CONTINUE:
                outcomes[i] = Stopped(verdict=verdict, stage=stage, stages=len(self.plan), level=self.level,
                                      samples=samples, evaluation=evaluation)
