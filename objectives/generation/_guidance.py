"""Classifier-free guidance rows: a null-condition copy only for the rows whose ``cfg_coef`` needs one."""

from __future__ import annotations

import torch

__all__ = ["NullCopies"]


class NullCopies:
    """The decoder's rows of a pass: B conditional rows, then a null-condition copy of each guided row only.

    A row with ``cfg_coef == 1`` has guided logits ``uncond + (cond - uncond) * 1``, the conditional logits
    themselves, so its null copy would be computed and thrown away: a pass where half the rows are unguided
    decodes 1.5 B rows instead of 2 B. Such a row's unconditional logits are given as its conditional ones, so
    the guided logits are exactly ``cond`` (``uncond + 0 * 1``), the logits transformers' ``generate`` samples
    from at ``guidance_scale = 1``.

    Args:
        guided: ``[G]`` indices of the rows with ``cfg_coef != 1``, ascending.
        rows: B.
        codebooks: K.
    """

    def __init__(self, guided: torch.Tensor, rows: int, codebooks: int) -> None:
        self.guided, self.rows, self.codebooks = guided, rows, codebooks
        self.every_row = len(guided) == rows

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, K, n]`` tokens to the decoder's ``[(B + G) * K, n]`` input ids."""
        n = tokens.shape[-1]
        null = tokens if self.every_row else tokens[self.guided]
        return torch.cat([tokens.reshape(-1, n), null.reshape(-1, n)])

    def split(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[(B + G) * K, V]`` logits to conditional and unconditional ``[B, K, V]`` (unguided rows: conditional)."""
        b, k = self.rows, self.codebooks
        cond = logits[:b * k].reshape(b, k, -1)
        null = logits[b * k:].reshape(-1, k, logits.shape[-1])
        if self.every_row:
            return cond, null
        return cond, cond.index_copy(0, self.guided, null)
