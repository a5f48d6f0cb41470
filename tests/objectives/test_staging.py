"""A staged evaluation (some rows now, the rest later, joined) equals a full one clip by clip (debug models)."""

from __future__ import annotations

import numpy as np
import pytest

from objectives import DecodingParams, Evaluator
from objectives.generation import TransformersMusicGen
from objectives.scoring import ClapScorer

PROMPTS = ["smooth jazz trio, 92 BPM", "lo-fi beat, 80 BPM", "bebop quartet, fast swing"]


@pytest.fixture(scope="module")
def evaluator(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    return Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                     clap=ClapScorer(*build_debug_clap(), name="debug"), prompts=PROMPTS, replicates=2, duration=0.4)


def _rows(evaluation):
    return [(c.prompt_index, c.replicate, c.seed) for c in evaluation.clips]


def _scores(evaluation):
    return [x for c in evaluation.clips for x in (c.clap, c.repetition, c.raw_repetition, c.token_repetition)]


def test_staged_rows_joined_equal_a_full_evaluation_clip_by_clip(evaluator, one_thread):
    configs = [DecodingParams(temperature=1.1, top_k=50), DecodingParams(top_p=0.9, cfg_coef=2.0)]
    full = evaluator.evaluate_many(configs)
    first = [(0, 0), (2, 0)]  # racing's stage 1: one seed of every other prompt, two configurations in one pass
    rest = [row for row in evaluator.rows if row not in first]
    staged_first = evaluator.evaluate_many(configs, rows=first)
    staged_rest = evaluator.evaluate_many(configs[1:], rows=rest)  # only the survivor goes on, alone in its pass
    joined = evaluator.combine([staged_first[1], staged_rest[0]])
    assert [c.prompt_index for c in staged_first[0].clips] == [0, 2]
    assert _rows(joined) == _rows(full[1])
    assert _scores(joined) == pytest.approx(_scores(full[1]), abs=1e-6)
    np.testing.assert_array_equal(joined.audio.codes, full[1].audio.codes)  # the same tokens per clip
    np.testing.assert_allclose(joined.audio.audio, full[1].audio.audio, atol=1e-6)
    assert joined.clap.mean == pytest.approx(full[1].clap.mean, abs=1e-6)
    assert joined.repetition.mean == pytest.approx(full[1].repetition.mean, abs=1e-6)
    assert joined.prompt_diversity == pytest.approx(full[1].prompt_diversity, abs=1e-6)
    assert joined.constraints == pytest.approx(full[1].constraints, abs=1e-6)


def test_a_partial_evaluation_has_only_its_rows_and_no_diversity_for_single_seeds(evaluator):
    part = evaluator.evaluate_many([DecodingParams()], rows=[(1, 0)])[0]
    assert [(c.prompt_index, c.replicate) for c in part.clips] == [(1, 0)]
    assert part.prompt_diversity == (0.0, 0.0, 0.0) and part.audio.audio.shape[0] == 1


@pytest.mark.parametrize("rows", [[], [(0, 0), (0, 0)], [(5, 0)], [(0, 2)]])
def test_rows_outside_the_evaluator_are_refused(evaluator, rows):
    with pytest.raises(ValueError, match="rows must be distinct"):
        evaluator.evaluate_many([DecodingParams()], rows=rows)


def test_joining_overlapping_or_foreign_parts_is_refused(evaluator):
    a = evaluator.evaluate_many([DecodingParams(), DecodingParams(temperature=0.7)], rows=[(0, 0)])
    with pytest.raises(ValueError, match="share a row"):
        evaluator.combine([a[0], a[0]])
    with pytest.raises(ValueError, match="one configuration"):
        evaluator.combine([a[0], a[1]])
