"""The text encoder run once per distinct prompt of a batch (K configurations repeat the same P prompts)."""

from __future__ import annotations

import torch

__all__ = ["encode_distinct"]


def encode_distinct(text_encoder: torch.nn.Module, input_ids: torch.Tensor,
                    attention_mask: torch.Tensor) -> torch.Tensor:
    """``text_encoder``'s last hidden state for every row, computing each distinct (ids, mask) row once.

    Args:
        text_encoder: MusicGen's T5 encoder (called as ``text_encoder(input_ids=..., attention_mask=...)``).
        input_ids: ``[B, L]`` int64 token ids, padded to one length.
        attention_mask: ``[B, L]`` 0/1 mask.

    Returns:
        ``[B, L, H]`` hidden states; rows with the same ids and mask share one encoder row.
    """
    rows = torch.cat([input_ids, attention_mask.to(input_ids.dtype)], dim=1)
    distinct, inverse = torch.unique(rows, dim=0, return_inverse=True)
    if len(distinct) == len(rows):
        return text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    length = input_ids.shape[1]
    hidden = text_encoder(input_ids=distinct[:, :length],
                          attention_mask=distinct[:, length:].to(attention_mask.dtype)).last_hidden_state
    return hidden[inverse]
