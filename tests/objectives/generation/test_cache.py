"""The preallocated KV cache gives the attention exactly what transformers' concatenating cache gives it."""

import numpy as np
import pytest
import torch
from transformers.cache_utils import DynamicLayer

from objectives import DecodingParams
from objectives._debug_melody import build_random_musicgen_melody
from objectives.generation import TransformersMusicGen
from objectives.generation._cache import PreallocatedLayer
from objectives.generation._melody import MelodyMusicGen

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)


@pytest.mark.parametrize("capacity", [1, 5, 64])  # grows twice, once, never
def test_views_equal_the_concatenated_cache_step_by_step(capacity):
    torch.manual_seed(0)
    ours, theirs = PreallocatedLayer(capacity), DynamicLayer()
    for length in (3, 1, 1, 4, 1, 1):  # a prefix pass, steps, a second chunk
        keys, values = torch.randn(2, 4, length, 8), torch.randn(2, 4, length, 8)
        got, want = ours.update(keys, values), theirs.update(keys, values)
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape and torch.equal(a, b)
        assert ours.get_seq_length() == theirs.get_seq_length()
        assert ours.get_mask_sizes(1) == theirs.get_mask_sizes(1)


def _codes(generator, prompts, params, seeds, duration, **kwargs):
    results = []
    for preallocated in (True, False):
        generator.preallocated_cache = preallocated
        results.append(generator.generate(prompts, params, seeds, duration=duration, **kwargs).codes)
    return results


def test_sampled_tokens_do_not_depend_on_the_cache(debug_musicgen):
    generator = TransformersMusicGen(*debug_musicgen, name="debug", max_batch=8)
    params = [DecodingParams(temperature=1.2, top_k=50), DecodingParams(top_k=0, top_p=0.8, cfg_coef=1.0),
              DecodingParams(use_sampling=False, cfg_coef=5.0)]
    fast, reference = _codes(generator, ["jazz trio", "rock riff", "ambient"], params, [3, 4, 5], 0.6)
    np.testing.assert_array_equal(fast, reference)


def test_windows_and_continuation_do_not_depend_on_the_cache(debug_musicgen):
    generator = TransformersMusicGen(*debug_musicgen, name="debug", max_batch=8, max_duration=0.4)
    params = [DecodingParams(temperature=0.9, extend_stride=0.2)] * 2
    fast, reference = _codes(generator, ["jazz trio", "rock riff"], params, [1, 2], 0.9)
    np.testing.assert_array_equal(fast, reference)
    generator.max_duration = 30.0
    prompt = np.random.default_rng(0).uniform(-0.3, 0.3, (1, generator.sample_rate // 2)).astype(np.float32)
    fast, reference = _codes(generator, ["jazz trio", "rock riff"], params, [1, 2], 0.3,
                             audio_prompts=[prompt, prompt])
    np.testing.assert_array_equal(fast, reference)


def test_melody_tokens_do_not_depend_on_the_cache(tmp_path):
    model, tokenizer = build_random_musicgen_melody()
    generator = MelodyMusicGen(model, tokenizer, name="debug-melody", max_batch=4)
    melody = np.sin(2 * np.pi * 440 * np.arange(generator.sample_rate) / generator.sample_rate).astype(np.float32)
    fast, reference = _codes(generator, ["jazz", "rock"], [DecodingParams(temperature=1.1)] * 2, [7, 8], 0.3,
                             melodies=[melody, melody])
    np.testing.assert_array_equal(fast, reference)


def test_cross_attention_projects_each_distinct_conditioning_row_once(debug_musicgen):
    """3 configurations x 2 prompts: 12 decoder rows (6 conditional, 6 null) but 3 distinct conditionings."""
    generator = TransformersMusicGen(*debug_musicgen, name="debug", max_batch=8)
    layer = generator.model.decoder.model.decoder.layers[0].encoder_attn
    rows_seen: list[int] = []
    hook = layer.k_proj.register_forward_hook(lambda module, args, output: rows_seen.append(args[0].shape[0]))
    try:
        prompts = ["jazz trio", "rock riff"] * 3
        params = [DecodingParams(temperature=t) for t in (0.8, 0.8, 1.0, 1.0, 1.2, 1.2)]
        generator.preallocated_cache = True
        generator.generate(prompts, params, list(range(6)), duration=0.2)
        assert rows_seen == [3]
        rows_seen.clear()
        generator.preallocated_cache = False  # transformers' own path projects every row at the first step
        generator.generate(prompts, params, list(range(6)), duration=0.2)
        assert rows_seen == [12]
    finally:
        hook.remove()
