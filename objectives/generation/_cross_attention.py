"""Cross-attention over each distinct text condition once, instead of over one copy of it per row.

A pass of K configurations repeats the same P prompts, and every null row of classifier-free guidance is the same
zeros: 96 clips of the default trial are 192 decoder rows but 13 distinct conditions. transformers' MusicGen
attends each row to its own copy of the conditioning's keys and values, so every step reads all 192 copies
(98 text tokens x 1024 x 2 x 4 bytes x 24 layers: 3.7 GB per step in float32) and the pass holds them. Here the
cache keeps one copy per distinct condition and each group of rows attends to its copy through an expanded view
(no copy is made), with transformers' own SDPA call per group, so the arithmetic per row is the kernel's, on the
same values. The attention is reached through transformers' public ``AttentionInterface`` registry, which is how
a model's attention is replaced without touching its modules.

Measured (musicgen-small architecture, random weights, 96 clips of the 12 jazz prompts, 12 frames, one process,
2-core AMD EPYC, float32, 2 threads): 21.3 s against 30.2 s for the pass (a third of the rows unguided), 24.2 s
against 30.8-34.5 s (all guided), every greedy token equal (4608 of 4608); in ``benchmarks/time_to_presets.py``
the decode steps took 20 % less (``benchmarks/README.md``).

Same tokens on one thread: tested (the debug architecture, sampled and greedy). On several threads torch's CPU
SDPA gives a row's output to the last bit only for the same batch: at 16 heads of 64 over 60-129 text tokens, 2
threads, the first 96 or 160 of 192 rows computed alone differed from the same rows computed with the rest at 53
of 70 lengths (up to 6e-8; equal at 98, the jazz prompts' padded length). Grouping changes the cross-attention's
batches as batching configurations already does (``generate`` of one configuration against K in one pass, B + G
rows against generate's 2B), so it brings no new kind of difference, but on several threads a near-tie in the
logits can turn either way.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

__all__ = ["GROUPED_SDPA", "GROUPS_ARGUMENT", "grouped_sdpa", "use_grouped_sdpa"]

GROUPED_SDPA = "musicgen_grouped_sdpa"
"""The attention implementation's name in transformers' registries."""

GROUPS_ARGUMENT = "cross_attention_groups"
"""The decoder forward's keyword that carries the groups: ``tuple`` of ``[m_g]`` long tensors, the rows of each
distinct condition in the order of the cross-attention cache's keys."""


def grouped_sdpa(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 attention_mask: torch.Tensor | None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """transformers' SDPA attention, with a cross-attention of ``G`` distinct keys and values computed per group.

    Args:
        query: ``[B, H, n, D]``.
        key, value: ``[B, H, S, D]`` (self-attention, or cross-attention without groups: plain SDPA) or ``[G, H, T,
            D]`` with G < B, one per distinct condition, when ``cross_attention_groups`` (G row-index tensors
            covering the B rows) is given.
        attention_mask: ``[B, 1, n, S or T]`` boolean (``sdpa_mask``) or None.

    Returns:
        ``([B, n, H, D], None)``, as ``sdpa_attention_forward``.

    Raises:
        ValueError: groups that do not cover the B rows once or do not match the G cached conditions.
    """
    groups: tuple[torch.Tensor, ...] | None = kwargs.pop(GROUPS_ARGUMENT, None)
    if groups is None or key.shape[0] == query.shape[0]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    b, h, n, d = query.shape
    if len(groups) != key.shape[0] or sum(rows.numel() for rows in groups) != b:
        raise ValueError(f"{len(groups)} groups of {sum(rows.numel() for rows in groups)} rows do not match "
                         f"{key.shape[0]} cached conditions and {b} rows.")
    out = query.new_empty((b, n, h, d))
    for index, rows in enumerate(groups):
        m = rows.numel()
        mask = None if attention_mask is None else attention_mask[rows]
        out[rows] = sdpa_attention_forward(module, query[rows], key[index:index + 1].expand(m, -1, -1, -1),
                                           value[index:index + 1].expand(m, -1, -1, -1), mask, **kwargs)[0]
    return out, None


def use_grouped_sdpa(decoder: Any) -> bool:
    """Switch a MusicGen ``decoder`` (``MusicgenForCausalLM``) that runs transformers' SDPA to
    :func:`grouped_sdpa`; without groups it computes what SDPA does, so ``generate`` is unchanged. Returns whether it
    did (False for another implementation, e.g. ``eager``, whose arithmetic would change)."""
    if decoder.config._attn_implementation == GROUPED_SDPA:
        return True
    if decoder.config._attn_implementation != "sdpa":
        return False
    AttentionInterface.register(GROUPED_SDPA, grouped_sdpa)
    AttentionMaskInterface.register(GROUPED_SDPA, sdpa_mask)
    decoder.set_attn_implementation(GROUPED_SDPA)  # only warns where a model cannot switch
    return decoder.config._attn_implementation == GROUPED_SDPA
