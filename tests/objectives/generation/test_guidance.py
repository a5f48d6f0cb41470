"""Rows with ``cfg_coef = 1`` get no null-condition copy: fewer decoder rows, the same tokens."""

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives.generation import TransformersMusicGen
from objectives.generation import _transformers as transformers_backend
from objectives.generation._guidance import NullCopies

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)

PROMPTS = ["smooth jazz trio", "rock riff", "ambient pad", "lo-fi beat", "brass fanfare", "solo piano"]


def _mixed(cfgs):
    """One sampled, one top-p and one greedy configuration per cfg value, cycled over the prompts."""
    kinds = [{"temperature": 1.0, "top_k": 50}, {"temperature": 0.8, "top_k": 0, "top_p": 0.9},
             {"use_sampling": False}]
    return [DecodingParams(cfg_coef=cfgs[i % len(cfgs)], **kinds[i % len(kinds)]) for i in range(len(PROMPTS))]


def _decoder_rows(generator, params, preallocated=True, duration=0.1):
    """Rows the first decoder layer's self-attention projects at each step of one pass."""
    generator.preallocated_cache = preallocated
    seen = []
    layer = generator.model.decoder.model.decoder.layers[0].self_attn.k_proj
    handle = layer.register_forward_hook(lambda _m, args, _out: seen.append(args[0].shape[0]))
    try:
        out = generator.generate(PROMPTS, params, list(range(len(params))), duration=duration)
    finally:
        handle.remove()
    return seen, out


@pytest.mark.parametrize("preallocated", [True, False])
def test_the_decoder_sees_a_null_copy_of_guided_rows_only(debug_musicgen, preallocated):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")
    for cfgs, null_rows in (((1.0,), 0), ((3.0,), 6), ((1.0, 3.0), 3), ((1.0, 1.0, 2.0), 2)):
        seen, _ = _decoder_rows(generator, _mixed(cfgs), preallocated)
        assert set(seen) == {len(PROMPTS) + null_rows}, cfgs  # codebooks are summed into one row


def test_mixed_guidance_gives_the_tokens_of_a_null_copy_for_every_row(debug_musicgen, monkeypatch):
    model, processor = debug_musicgen
    params = _mixed((1.0, 3.0))
    skipping = TransformersMusicGen(model, processor, name="debug").generate(PROMPTS, params, list(range(6)),
                                                                            duration=0.4)

    class EveryRow(NullCopies):  # the decode before this change: every row had a null copy
        def __init__(self, guided, rows, codebooks):
            super().__init__(torch.arange(rows), rows, codebooks)

    every = TransformersMusicGen(model, processor, name="debug")
    conditioning = every._conditioning
    monkeypatch.setattr(every, "_conditioning", lambda prompts, melodies, guided: conditioning(prompts, melodies))
    monkeypatch.setattr(transformers_backend, "NullCopies", EveryRow)
    seen, reference = _decoder_rows(every, params, duration=0.4)
    assert set(seen) == {2 * len(PROMPTS)}  # the patch really decodes every null copy
    np.testing.assert_array_equal(skipping.codes, reference.codes)


def test_an_unguided_row_decodes_alike_alone_or_beside_guided_rows(debug_musicgen):
    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug")
    params = _mixed((1.0, 3.0))
    batched = generator.generate(PROMPTS, params, list(range(6)), duration=0.4)
    for i in (0, 1):  # cfg 1 (sampled) and cfg 3 (top-p)
        alone = generator.generate([PROMPTS[i]], [params[i]], [i], duration=0.4)
        np.testing.assert_array_equal(alone.codes[0], batched.codes[i])
