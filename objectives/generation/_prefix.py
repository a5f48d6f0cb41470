"""Known codes at the start of a sequence (a window's context, an audio prompt) placed in the delay pattern."""

from __future__ import annotations

import torch

__all__ = ["prefix_into_pattern"]


def prefix_into_pattern(sequence: torch.Tensor, prefix: torch.Tensor, delays: torch.Tensor) -> int:
    """Write ``prefix`` into a delay-pattern sequence in place; return its length P in frames.

    In MusicGen's delay pattern the row with delay ``d`` holds frame ``f`` at sequence index ``1 + f + d``
    (index 0 is the start token), as transformers' ``build_delay_pattern_mask`` and audiocraft's
    ``DelayedPatternProvider`` lay out a prompt.

    Args:
        sequence: ``[B, K, S]`` int64 pattern sequence, S >= P + max(delays) + 1, modified in place.
        prefix: ``[B, K, P]`` int64 codes, P >= 1.
        delays: ``[K]`` int64 delay of each row (:func:`~objectives.generation._stereo.codebook_delays`).

    Raises:
        ValueError: shapes that do not fit.
    """
    b, k, p = prefix.shape
    if sequence.shape[:2] != (b, k) or p < 1 or sequence.shape[2] < p + int(delays.max()) + 1:
        raise ValueError(f"a [{b}, {k}, {p}] prefix does not fit a sequence of shape {list(sequence.shape)}.")
    index = 1 + torch.arange(p, device=sequence.device)[None, :] + delays[:, None]
    sequence.scatter_(2, index[None].expand(b, -1, -1), prefix)
    return p
