"""Cross-attention grouped per distinct condition: the same tokens as one copy per row, one copy per condition."""

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives._debug import build_debug_musicgen
from objectives.generation import TransformersMusicGen
from objectives.generation._cache import GroupedCache
from objectives.generation._cross_attention import GROUPED_SDPA

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)

PROMPTS = ["jazz trio", "rock riff", "ambient pads with a long tail"] * 3
"""3 configurations x 3 prompts of different lengths (so padded text tokens are masked differently per prompt)."""

PARAMS = [DecodingParams(temperature=t, top_k=k, cfg_coef=c)
          for t, k, c in ((0.8, 50, 3.0), (0.8, 50, 3.0), (0.8, 50, 3.0), (1.0, 0, 1.0), (1.0, 0, 1.0),
                          (1.0, 0, 1.0), (1.2, 250, 5.0), (1.2, 250, 5.0), (1.2, 250, 5.0))]
"""The middle configuration is unguided (cfg_coef 1: no null row), so the groups are unequal."""


class Recording(TransformersMusicGen):
    """Keeps every cache its passes start with."""

    caches: list

    def _new_cache(self, steps, first):
        cache = super()._new_cache(steps, first)
        self.caches.append(cache)
        return cache


def _generator(model_and_processor, **attributes) -> Recording:
    generator = Recording(*model_and_processor, name="debug", max_batch=16)
    generator.caches = []
    for name, value in attributes.items():
        setattr(generator, name, value)
    return generator


@pytest.mark.parametrize("sampling", [True, False], ids=["sampled", "greedy"])
def test_grouped_cross_attention_gives_the_tokens_of_a_copy_per_row(debug_musicgen, sampling):
    params = [DecodingParams(**{**p.__dict__, "use_sampling": sampling}) for p in PARAMS]
    seeds = list(range(len(PROMPTS)))
    grouped = _generator(debug_musicgen)
    codes = {"grouped": grouped.generate(PROMPTS, params, seeds, duration=0.6).codes}
    for name, attributes in (("copy per row", {"grouped_cross_attention": False}),
                             ("transformers' cache", {"preallocated_cache": False})):
        codes[name] = _generator(debug_musicgen, **attributes).generate(PROMPTS, params, seeds, duration=0.6).codes
    np.testing.assert_array_equal(codes["grouped"], codes["copy per row"])
    np.testing.assert_array_equal(codes["grouped"], codes["transformers' cache"])
    # 9 conditional rows and 6 null rows, 4 distinct conditions: each held once, each row in exactly one group.
    (cache,) = grouped.caches
    assert isinstance(cache, GroupedCache) and len(cache.groups) == 4
    assert sorted(torch.cat(cache.groups).tolist()) == list(range(15))
    assert sorted(len(g) for g in cache.groups) == [3, 3, 3, 6]
    for layer in cache.cross_attention_cache.layers:
        assert layer.keys.shape[0] == layer.values.shape[0] == 4


def test_rows_that_share_nothing_get_their_own_copy(debug_musicgen):
    """Distinct prompts, unguided: nothing to share, so no groups (and no per-group calls)."""
    generator = _generator(debug_musicgen)
    generator.generate(["jazz", "rock"], [DecodingParams(cfg_coef=1.0)] * 2, [0, 1], duration=0.2)
    (cache,) = generator.caches
    assert not isinstance(cache, GroupedCache)
    assert cache.cross_attention_cache.layers[0].keys.shape[0] == 2


def test_transformers_generate_is_unchanged_by_the_switch():
    model, processor = build_debug_musicgen()
    inputs = processor(text=["jazz trio", "rock riff"], padding=True, return_tensors="pt")

    def reference():
        return model.generate(**inputs, do_sample=False, guidance_scale=3.0, max_new_tokens=12)

    before = reference()
    _generator((model, processor)).generate(["jazz"] * 2, [DecodingParams()] * 2, [0, 1], duration=0.2)
    assert model.decoder.config._attn_implementation == GROUPED_SDPA
    assert torch.equal(reference(), before)


def test_a_decoder_on_eager_attention_is_left_alone():
    """Eager attention has other arithmetic than SDPA; the switch would change its tokens, so it is not made."""
    model, processor = build_debug_musicgen()
    model.decoder.set_attn_implementation("eager")
    generator = _generator((model, processor))
    generator.generate(["jazz"] * 2, [DecodingParams()] * 2, [0, 1], duration=0.2)
    assert model.decoder.config._attn_implementation == "eager"
    assert not isinstance(generator.caches[0], GroupedCache)


def test_groups_that_leave_a_row_out_are_refused():
    """A row in no group would keep uninitialised memory as its attention output; it is an error instead."""
    from objectives.generation._cross_attention import grouped_sdpa

    query, keys = torch.randn(3, 2, 1, 4), torch.randn(2, 2, 5, 4)
    attention = torch.nn.Module()
    with pytest.raises(ValueError, match="do not match"):
        grouped_sdpa(attention, query, keys, keys, None, cross_attention_groups=(torch.tensor([0]), torch.tensor([1])))
    output, _ = grouped_sdpa(attention, query, keys, keys, None,
                             cross_attention_groups=(torch.tensor([0, 2]), torch.tensor([1])))
    assert output.shape == (3, 1, 2, 4) and torch.isfinite(output).all()
