"""audiocraft's next-token rule, vectorised so every row of a batch has its own decoding parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from objectives._params import DecodingParams

__all__ = ["RowParams", "next_token_probs", "sample_next_token"]


@dataclass(frozen=True)
class RowParams:
    """Per-row decoding parameters as tensors, built once per batch by :meth:`from_params`.

    Attributes:
        cfg_coef: ``[B]`` float32, >= 1.
        temperature: ``[B]`` float32; 0 marks a greedy row.
        top_k: ``[B]`` int64; 0 disables top-k.
        top_p: ``[B]`` float32 in [0, 1); 0 disables nucleus sampling.
    """

    cfg_coef: torch.Tensor
    temperature: torch.Tensor
    top_k: torch.Tensor
    top_p: torch.Tensor

    @classmethod
    def from_params(cls, params: Sequence[DecodingParams], device: torch.device | str = "cpu") -> RowParams:
        """Stack one :class:`DecodingParams` per row (greedy rows get ``temperature = 0``)."""
        rows = [p.canonical() for p in params]
        return cls(
            cfg_coef=torch.tensor([p.cfg_coef for p in rows], dtype=torch.float32, device=device),
            temperature=torch.tensor([0.0 if p.is_greedy else p.temperature for p in rows],
                                     dtype=torch.float32, device=device),
            top_k=torch.tensor([p.top_k for p in rows], dtype=torch.int64, device=device),
            top_p=torch.tensor([p.top_p for p in rows], dtype=torch.float32, device=device),
        )


def next_token_probs(cond_logits: torch.Tensor, uncond_logits: torch.Tensor, rows: RowParams) -> torch.Tensor:
    """The distribution audiocraft samples the next token from, row by row.

    Follows ``LMModel._sample_next_token`` and ``audiocraft.utils.utils.sample_top_k/sample_top_p``:
    CFG on raw logits, then greedy rows become one-hot at the argmax; other rows take
    ``softmax(logits / temperature)`` and keep the nucleus (tokens whose preceding cumulative mass is at
    most ``top_p``) when ``top_p > 0``, else the tokens at least as likely as the k-th when ``top_k > 0``
    (ties kept), else everything; kept mass is renormalised.

    Args:
        cond_logits: ``[B, K, V]`` logits with the text condition (K codebooks, V codebook entries).
        uncond_logits: ``[B, K, V]`` logits with the null condition.
        rows: per-row parameters, ``B`` entries each.

    Returns:
        ``[B, K, V]`` float32 probabilities; each ``[b, k]`` row sums to 1.
    """
    cond = cond_logits.float()
    uncond = uncond_logits.float()
    logits = uncond + (cond - uncond) * rows.cfg_coef[:, None, None]
    greedy = rows.temperature == 0.0
    safe_temperature = torch.where(greedy, torch.ones_like(rows.temperature), rows.temperature)
    probs = torch.softmax(logits / safe_temperature[:, None, None], dim=-1)

    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    preceding_mass = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    keep_nucleus = preceding_mass <= rows.top_p[:, None, None]
    kth_index = (rows.top_k.clamp(min=1) - 1).clamp(max=probs.shape[-1] - 1)
    kth_value = sorted_probs.gather(-1, kth_index[:, None, None].expand(-1, probs.shape[1], 1))
    keep_top_k = sorted_probs >= kth_value
    use_nucleus = (rows.top_p > 0.0)[:, None, None]
    use_top_k = ((rows.top_p == 0.0) & (rows.top_k > 0))[:, None, None]
    keep = torch.where(use_nucleus, keep_nucleus, torch.where(use_top_k, keep_top_k, torch.ones_like(keep_top_k)))
    kept = sorted_probs * keep
    kept = kept / kept.sum(dim=-1, keepdim=True)
    sampled = torch.zeros_like(probs).scatter_(-1, order, kept)

    one_hot = torch.nn.functional.one_hot(logits.argmax(dim=-1), probs.shape[-1]).to(probs.dtype)
    return torch.where(greedy[:, None, None], one_hot, sampled)


def sample_next_token(
    cond_logits: torch.Tensor,
    uncond_logits: torch.Tensor,
    rows: RowParams,
    generators: Sequence[torch.Generator],
) -> torch.Tensor:
    """Draw the next token of every row from :func:`next_token_probs`, each row from its own generator.

    Sampling uses the exponential race: ``argmax(probs / E)`` with ``E ~ Exp(1)`` drawn from the row's
    generator is an exact draw from ``probs`` (zero-probability tokens are never chosen). Because each
    row's noise comes only from its own generator, a row's tokens do not depend on the other rows in the
    batch: the same seed gives the same tokens alone or batched.

    Args:
        cond_logits: ``[B, K, V]`` conditional logits.
        uncond_logits: ``[B, K, V]`` unconditional logits.
        rows: per-row parameters.
        generators: ``B`` generators on the logits' device, advanced by ``K * V`` draws each per call.

    Returns:
        ``[B, K]`` int64 token ids.
    """
    probs = next_token_probs(cond_logits, uncond_logits, rows)
    noise = torch.stack([
        torch.empty(probs.shape[1:], dtype=torch.float32, device=probs.device).exponential_(generator=g)
        for g in generators
    ])
    return (probs / noise).argmax(dim=-1)
