"""audiocraft's next-token rule: our vectorised version against an independent one, and against transformers."""

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from objectives import DecodingParams
from objectives.generation import RowParams, next_token_probs, sample_next_token

V = 64
CONFIGS = [
    DecodingParams(),  # audiocraft default: top_k 250 > V keeps everything
    DecodingParams(temperature=0.7, top_k=5, cfg_coef=3.0),
    DecodingParams(temperature=1.3, top_k=0, top_p=0.8, cfg_coef=2.0),
    DecodingParams(temperature=0.5, top_k=17, top_p=0.5, cfg_coef=1.0),  # top_p wins over top_k
    DecodingParams(temperature=1.0, top_k=0, top_p=0.0, cfg_coef=4.0),  # full multinomial
    DecodingParams(use_sampling=False, cfg_coef=3.0),
    DecodingParams(temperature=0.0, top_k=9, cfg_coef=1.5),  # temperature 0 = greedy
]


def reference_probs(cond: np.ndarray, uncond: np.ndarray, p: DecodingParams) -> np.ndarray:
    """Written from audiocraft's LMModel._sample_next_token and utils.sample_top_k/top_p, one row at a time."""
    logits = uncond + (cond - uncond) * p.cfg_coef
    out = np.zeros_like(logits)
    for k in range(logits.shape[0]):
        row = logits[k].astype(np.float64)
        if not p.use_sampling or p.temperature == 0:
            out[k, np.argmax(row)] = 1.0
            continue
        z = row / p.temperature
        probs = np.exp(z - z.max())
        probs /= probs.sum()
        if p.top_p > 0:
            order = np.argsort(-probs, kind="stable")
            sorted_p = probs[order]
            mask = np.cumsum(sorted_p) - sorted_p > p.top_p
            sorted_p[mask] = 0.0
            probs = np.zeros_like(probs)
            probs[order] = sorted_p / sorted_p.sum()
        elif p.top_k > 0:
            kth = np.sort(probs)[::-1][min(p.top_k, len(probs)) - 1]
            probs = np.where(probs >= kth, probs, 0.0)
            probs /= probs.sum()
        out[k] = probs
    return out


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(1)
    cond = torch.randn(len(CONFIGS), 4, V, generator=g) * 2
    uncond = torch.randn(len(CONFIGS), 4, V, generator=g) * 2
    return cond, uncond


def test_probabilities_match_an_independent_implementation(logits):
    cond, uncond = logits
    probs = next_token_probs(cond, uncond, RowParams.from_params(CONFIGS)).numpy()
    for i, p in enumerate(CONFIGS):
        expected = reference_probs(cond[i].numpy(), uncond[i].numpy(), p)
        np.testing.assert_allclose(probs[i], expected, atol=1e-5, err_msg=str(p))


def test_sampled_tokens_follow_the_distribution(logits):
    cond, uncond = logits
    draws = 6_000  # each config row repeated, every copy with its own seed
    index = torch.arange(len(CONFIGS)).repeat_interleave(draws)
    rows = RowParams.from_params([CONFIGS[i] for i in index.tolist()])
    generators = [torch.Generator().manual_seed(s) for s in range(len(index))]
    tokens = sample_next_token(cond[index], uncond[index], rows, generators).numpy().reshape(len(CONFIGS), draws, 4)
    for i, p in enumerate(CONFIGS):
        expected = reference_probs(cond[i].numpy(), uncond[i].numpy(), p)
        empirical = np.stack([np.bincount(tokens[i, :, k], minlength=V) for k in range(4)]) / draws
        assert np.all(empirical[expected == 0] == 0), f"a token outside the allowed set was drawn for {p}"
        # Chi-square goodness of fit per codebook (p-value floor 1e-4).
        for k in range(4):
            big = expected[k] * draws >= 5  # bins with enough expected counts; the rest lumped together
            observed = np.append(empirical[k, big], empirical[k, ~big].sum()) * draws
            wanted = np.append(expected[k, big], expected[k, ~big].sum()).astype(np.float64)
            wanted = wanted / wanted.sum() * draws
            keep = wanted > 0
            if keep.sum() > 1:
                scaled = wanted[keep] / wanted[keep].sum() * observed.sum()
                assert chisquare(observed[keep], scaled).pvalue > 1e-4, (p, k)


def test_a_rows_tokens_do_not_depend_on_the_rest_of_the_batch(logits):
    cond, uncond = logits
    alone = sample_next_token(cond[2:3], uncond[2:3], RowParams.from_params(CONFIGS[2:3]),
                              [torch.Generator().manual_seed(7)])
    gens = [torch.Generator().manual_seed(s) for s in range(len(CONFIGS))]
    gens[2] = torch.Generator().manual_seed(7)
    batched = sample_next_token(cond, uncond, RowParams.from_params(CONFIGS), gens)
    assert torch.equal(alone[0], batched[2])


def test_transformers_rendering_samples_the_same_distribution(logits, debug_musicgen):
    """Feed to_transformers() through transformers' own warper construction and compare distributions."""
    from transformers import GenerationConfig

    model, _ = debug_musicgen
    cond, uncond = logits
    for i, p in enumerate(CONFIGS):
        kwargs = p.to_transformers()
        guidance = kwargs.pop("guidance_scale")
        config = GenerationConfig(**{**model.generation_config.to_dict(), **kwargs})
        processors = model._get_logits_processor(generation_config=config, input_ids_seq_length=1,
                                                 encoder_input_ids=torch.zeros(1, 1, dtype=torch.long),
                                                 device="cpu")
        guided = uncond[i] + (cond[i] - uncond[i]) * guidance
        scores = processors(torch.zeros(4, 1, dtype=torch.long), guided.clone())
        expected = reference_probs(cond[i].numpy(), uncond[i].numpy(), p)
        if kwargs["do_sample"]:
            got = torch.softmax(scores, dim=-1).numpy()
        else:
            got = torch.nn.functional.one_hot(scores.argmax(-1), V).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=str(kwargs))
