"""The fast token draw: the reference's tokens with the reference's noise; counter noise batch-independent and
distributed like the rule says."""

import numpy as np
import pytest
import torch
from scipy.stats import chisquare, kstest

from objectives import DecodingParams
from objectives.generation import RowParams, TransformersMusicGen, sample_next_token
from objectives.generation._fast_sampling import TokenSampler, counter_exponential

pytestmark = pytest.mark.usefixtures("one_thread")

V = 2048  # MusicGen's codebook size: top-k of a few hundred is a small part of it, as in real runs
CONFIGS = [
    DecodingParams(),  # top_k 250
    DecodingParams(temperature=0.7, top_k=5, cfg_coef=3.0),
    DecodingParams(temperature=1.3, top_k=0, top_p=0.8, cfg_coef=2.0),
    DecodingParams(temperature=0.5, top_k=17, top_p=0.5, cfg_coef=1.0),
    DecodingParams(temperature=1.0, top_k=0, top_p=0.0, cfg_coef=4.0),
    DecodingParams(use_sampling=False, cfg_coef=3.0),
    DecodingParams(temperature=1.2, top_k=400, cfg_coef=2.5),
    DecodingParams(temperature=0.9, top_k=2048, cfg_coef=1.5),  # k = the vocabulary keeps everything
]


def _logits(seed: int, rows: int = len(CONFIGS), vocabulary: int = V):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, 4, vocabulary, generator=g) * 3, torch.randn(rows, 4, vocabulary, generator=g) * 3


def test_same_tokens_as_the_reference_with_the_same_generators():
    rows = RowParams.from_params(CONFIGS)
    seeds = [11 * i + 5 for i in range(len(CONFIGS))]
    fast = TokenSampler(rows, seeds, device="cpu")
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    for step in range(60):  # generators advance in step: every step must agree, not only the first
        cond, uncond = _logits(step)
        expected = sample_next_token(cond, uncond, rows, generators)
        assert torch.equal(fast(cond, uncond, step), expected), step


def test_ties_at_the_kth_probability_are_kept_like_the_reference():
    # Quantised logits: many tokens share the k-th probability, so top-k keeps more than k of them.
    configs = [DecodingParams(temperature=1.0, top_k=k, cfg_coef=1.0) for k in (2, 7, 30)]
    rows = RowParams.from_params(configs)
    fast = TokenSampler(rows, [1, 2, 3], device="cpu")
    generators = [torch.Generator().manual_seed(s) for s in (1, 2, 3)]
    for step in range(20):
        cond, uncond = (torch.round(x) for x in _logits(100 + step, rows=3, vocabulary=64))
        assert torch.equal(fast(cond, uncond, step), sample_next_token(cond, uncond, rows, generators))


def test_greedy_rows_take_the_argmax_of_the_guided_logits():
    rows = RowParams.from_params([DecodingParams(use_sampling=False, cfg_coef=c) for c in (1.0, 3.0)])
    cond, uncond = _logits(3, rows=2)
    for noise in ("generator", "counter"):
        tokens = TokenSampler(rows, [0, 1], device="cpu", noise=noise)(cond, uncond, 0)
        assert torch.equal(tokens[0], cond[0].argmax(-1))
        assert torch.equal(tokens[1], (uncond[1] + 3.0 * (cond[1] - uncond[1])).argmax(-1))


def test_counter_noise_is_a_function_of_seed_step_codebook_and_token_only():
    seeds = torch.tensor([7, 8, 7])
    a = counter_exponential(seeds, 5, (4, 16))
    assert torch.equal(a[0], a[2]) and not torch.equal(a[0], a[1])
    assert torch.equal(counter_exponential(seeds[1:2], 5, (4, 16))[0], a[1])  # alone = batched
    assert not torch.equal(counter_exponential(seeds, 6, (4, 16)), a)  # steps differ
    assert not torch.equal(a[0, 0], a[0, 1])  # codebooks differ
    big = counter_exponential(torch.arange(64), 0, (4, 2048)).flatten().double().numpy()
    assert np.all(np.isfinite(big)) and np.all(big > 0)
    assert kstest(big, "expon").pvalue > 1e-4  # Exp(1), so argmax(p / E) is an exact draw from p


def test_counter_noise_tokens_do_not_depend_on_the_batch():
    rows = RowParams.from_params(CONFIGS)
    cond, uncond = _logits(9)
    batched = TokenSampler(rows, list(range(len(CONFIGS))), device="cpu", noise="counter")(cond, uncond, 4)
    for i in range(len(CONFIGS)):
        alone = TokenSampler(RowParams.from_params(CONFIGS[i:i + 1]), [i], device="cpu", noise="counter")
        assert torch.equal(alone(cond[i:i + 1], uncond[i:i + 1], 4)[0], batched[i])


@pytest.mark.parametrize("config", [CONFIGS[1], CONFIGS[2]], ids=["top_k", "top_p"])
def test_counter_noise_samples_follow_the_distribution(config):
    vocabulary, draws = 32, 6000
    cond, uncond = (x / 3 for x in _logits(21, rows=1, vocabulary=vocabulary))  # several likely tokens
    rows = RowParams.from_params([config] * draws)
    tokens = TokenSampler(rows, list(range(draws)), device="cpu", noise="counter")(
        cond.expand(draws, -1, -1), uncond.expand(draws, -1, -1), 0).numpy()
    from objectives.generation import next_token_probs

    expected = next_token_probs(cond, uncond, RowParams.from_params([config]))[0].double().numpy()
    for k in range(4):
        observed = np.bincount(tokens[:, k], minlength=vocabulary)
        assert np.all(observed[expected[k] == 0] == 0)
        big = expected[k] * draws >= 5
        obs = np.append(observed[big], observed[~big].sum())
        want = np.append(expected[k, big], expected[k, ~big].sum()) * draws
        keep = want > 0
        assert keep.sum() > 1  # a real test of the spread, not one certain token
        assert chisquare(obs[keep], want[keep] / want[keep].sum() * obs[keep].sum()).pvalue > 1e-4


def test_decoding_with_the_fast_path_gives_the_reference_codes(debug_musicgen):
    model, processor = debug_musicgen
    prompts = ["smooth jazz trio", "rock guitar riff", "ambient pad", "lo-fi beat"]
    params = [CONFIGS[0], CONFIGS[2], CONFIGS[5], CONFIGS[6]]
    runs = []
    for fast in (False, True):
        generator = TransformersMusicGen(model, processor, name="debug")
        generator.fast_sampling = fast
        runs.append(generator.generate(prompts, params, [3, 4, 5, 6], duration=0.4).codes)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_unknown_noise_is_refused():
    with pytest.raises(ValueError, match="noise must be one of generator, counter"):
        TokenSampler(RowParams.from_params(CONFIGS[:1]), [0], device="cpu", noise="philox")


def test_each_distinct_prompt_is_encoded_once_and_repeats_decode_alike(debug_musicgen):
    model, processor = debug_musicgen
    seen = []
    hook = model.text_encoder.register_forward_hook(
        lambda _module, _args, kwargs, _out: seen.append(kwargs["input_ids"].shape[0]), with_kwargs=True)
    try:
        generator = TransformersMusicGen(model, processor, name="debug")
        prompts = ["smooth jazz trio", "rock guitar riff"] * 2  # two configurations x the same two prompts
        params = [CONFIGS[0], CONFIGS[0], CONFIGS[6], CONFIGS[6]]
        out = generator.generate(prompts, params, [1, 2, 1, 2], duration=0.3)
        alone = generator.generate(prompts[3:], params[3:], [2], duration=0.3)
    finally:
        hook.remove()
    assert seen == [2, 1]
    np.testing.assert_array_equal(out.codes[3], alone.codes[0])
