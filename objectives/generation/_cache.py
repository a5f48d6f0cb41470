"""A self-attention KV cache allocated once per decoding pass instead of grown by concatenation.

transformers' ``DynamicLayer`` concatenates each step's keys and values onto the cache, so every step copies the
whole cache (3-30 % of operator time in a 48-clip musicgen-small step on CPU: ``decode_profile.py``), and its
``StaticLayer`` preallocates but attends over all of its positions behind a mask (other sums, so other tokens
than ``generate``'s). :class:`PreallocatedLayer` keeps ``DynamicLayer``'s view (the keys and values written so
far) over buffers allocated once, so the attention sees the very tensors ``DynamicLayer`` would give it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch
from transformers import MusicgenForCausalLM
from transformers.cache_utils import Cache, DynamicLayer, EncoderDecoderCache

__all__ = ["CACHE_ARGUMENT", "GroupedCache", "PreallocatedLayer", "filled_layer", "preallocated_cache",
           "text_conditioned_cache", "with_cross_attention"]

CACHE_ARGUMENT = "cache" if "cache" in inspect.signature(MusicgenForCausalLM.forward).parameters else "past_key_values"
"""The MusicGen models' name for the KV cache, as ``forward`` argument and output field: recent transformers 5.x
releases renamed ``past_key_values`` to ``cache`` (and warn on every call that uses the old name), earlier 5.x
releases know only the old name (where ``cache=`` would be silently ignored and nothing cached)."""


class PreallocatedLayer(DynamicLayer):
    """One layer's keys and values ``[B, H, length, D]``, written into ``[B, H, capacity, D]`` buffers.

    Args:
        capacity: positions to allocate at the first update (the pass's decoder inputs); a longer sequence
            reallocates to twice the size, so a wrong estimate costs one copy, never an error.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = max(1, int(capacity))
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.dtype, self.device = key_states.dtype, key_states.device
        self._keys = key_states.new_empty((*key_states.shape[:2], self.capacity, key_states.shape[-1]))
        self._values = value_states.new_empty((*value_states.shape[:2], self.capacity, value_states.shape[-1]))
        self.keys, self.values = self._keys[:, :, :0], self._values[:, :, :0]
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``[B, H, n, D]`` keys and values; return all written so far, ``[B, H, length + n, D]`` views."""
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self._keys.shape[2]:
            self._grow(max(end, 2 * self._keys.shape[2]))
        self._keys[:, :, self.length:end] = key_states
        self._values[:, :, self.length:end] = value_states
        self.length = end
        self.keys, self.values = self._keys[:, :, :end], self._values[:, :, :end]
        return self.keys, self.values

    def _grow(self, capacity: int) -> None:
        keys = self._keys.new_empty((*self._keys.shape[:2], capacity, self._keys.shape[-1]))
        values = self._values.new_empty((*self._values.shape[:2], capacity, self._values.shape[-1]))
        keys[:, :, :self.length] = self._keys[:, :, :self.length]
        values[:, :, :self.length] = self._values[:, :, :self.length]
        self._keys, self._values = keys, values


def filled_layer(keys: torch.Tensor, values: torch.Tensor) -> DynamicLayer:
    """A ``DynamicLayer`` that already holds ``keys`` and ``values`` ``[B, H, T, D]``, without the copy its
    ``update`` makes (a cross-attention cache written once: 1.8 GB for 96 musicgen-small rows of 98 text tokens)."""
    layer = DynamicLayer()
    layer.lazy_initialization(keys, values)
    layer.keys, layer.values = keys, values
    return layer


def preallocated_cache(layers: int, capacity: int) -> Cache:
    """A self-attention cache for ``layers`` decoder layers holding up to ``capacity`` positions without
    reallocating."""
    return Cache(layers=[PreallocatedLayer(capacity) for _ in range(layers)])


class GroupedCache(EncoderDecoderCache):
    """An :class:`EncoderDecoderCache` whose cross-attention holds one copy of keys and values per distinct
    condition; ``groups`` (``tuple`` of ``[m_g]`` long tensors) are the rows of each, in the cache's order, for
    :func:`objectives.generation._cross_attention.grouped_sdpa`."""

    groups: tuple[torch.Tensor, ...] = ()


def with_cross_attention(own: Cache, cross: list[tuple[torch.Tensor, torch.Tensor]],
                         groups: tuple[torch.Tensor, ...] | None = None) -> EncoderDecoderCache:
    """``own`` (self-attention) with a cross-attention cache already holding each layer's ``(keys, values)``
    ``[B, H, T, D]`` (or ``[G, H, T, D]`` with the rows of each of the G in ``groups``: a :class:`GroupedCache`),
    marked as computed so the model never projects the conditioning again."""
    kind = EncoderDecoderCache if groups is None else GroupedCache
    cache = kind(own, Cache(layers=[filled_layer(k, v) for k, v in cross]))
    for index in range(len(cross)):
        cache.is_updated[index] = True
    if isinstance(cache, GroupedCache) and groups is not None:
        cache.groups = groups
    return cache


def text_conditioned_cache(layers: Sequence[Any], hidden: torch.Tensor, steps: int, *, grouped: bool = False
                           ) -> EncoderDecoderCache:
    """The cache of a MusicGen decoding pass over ``hidden`` ``[B + G, T, hidden]`` (projected, masked text states:
    B conditional rows, then the null copies of the G guided rows): self-attention for ``steps`` positions,
    cross-attention keys and values computed once per distinct row of ``hidden`` and gathered to every row (the
    null rows are all zeros, so they are one distinct row, or none when no row is guided), or with ``grouped`` kept
    once per distinct row (a :class:`GroupedCache`, for :func:`~objectives.generation._cross_attention.grouped_sdpa`;
    when every row is distinct there is nothing to share and the rows get their own, as without it).

    K configurations repeat the same P prompts and every null row is the same zeros, so a 48-clip pass of 12
    prompts has 13 distinct rows of its 96: the model's first step would project all 96 in every layer (with
    98 text tokens, 12.5-13.6 s of a 0.4 s-clip musicgen-small pass on CPU; 4.2-5.2 s this way, text encoder
    included: ``benchmarks/README.md``). ``layers`` are ``MusicgenDecoderLayer`` modules; the projection is the
    one their ``encoder_attn`` applies (``k_proj``/``v_proj``, heads split by ``head_dim``), so greedy decoding
    still equals ``generate`` (tested).
    """
    distinct, inverse = torch.unique(hidden.flatten(1), dim=0, return_inverse=True)
    distinct = distinct.view(-1, *hidden.shape[1:])
    shared = grouped and len(distinct) < len(hidden)
    cross = []
    for layer in layers:
        attention = layer.encoder_attn
        shape = (*distinct.shape[:-1], -1, attention.head_dim)
        keys = attention.k_proj(distinct).view(shape).transpose(1, 2)
        values = attention.v_proj(distinct).view(shape).transpose(1, 2)
        cross.append((keys, values) if shared else (keys[inverse], values[inverse]))
    groups = tuple((inverse == index).nonzero().flatten() for index in range(len(distinct))) if shared else None
    return with_cross_attention(preallocated_cache(len(cross), steps), cross, groups)
