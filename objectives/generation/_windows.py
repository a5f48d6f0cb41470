"""Generation past MusicGen's 30 s window, the way audiocraft does it (``extend_stride``).

audiocraft's ``MusicGen._generate_tokens`` (``audiocraft/models/musicgen.py``; ``genmodel.py`` in later
versions), for ``duration > max_duration``: the first window generates ``max_duration`` seconds; every next
window starts ``extend_stride`` seconds later and is prompted with the previous window's tokens after its first
``extend_stride`` seconds (``prompt_tokens = gen_tokens[:, :, stride_tokens:]``, i.e. the last
``max_duration - extend_stride`` seconds), generating up to ``max_duration`` seconds in all (prompt included)
or what is left of the clip. **The context is kept as tokens**, not re-encoded from audio: the codes are fed
back through the delay pattern and the model recomputes its attention over them (no cache is carried across
windows). The windows' new tokens are concatenated and the whole clip is EnCodec-decoded at once. The
conditioning (text) is the same in every window.

Each row keeps one random generator for all its windows, so its tokens depend only on its prompt, parameters
and seed, as for a single window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["MAX_CLIP_SECONDS", "MAX_WINDOW_SECONDS", "Window", "audiocraft_windows", "clip_frames", "generate_windows",
           "stride_frames", "window_plan"]

MAX_CLIP_SECONDS = 300.0
"""Longest clip the optimizer generates: ten windows' worth past 30 s (longer clips make a search impractical)."""

MAX_WINDOW_SECONDS = 30.0
"""MusicGen's training length, audiocraft's ``max_duration`` for every published checkpoint."""


def clip_frames(duration: float, frame_rate: int, max_duration: float = MAX_WINDOW_SECONDS) -> int:
    """Codec frames of a ``duration``-second clip.

    Past ``max_duration`` audiocraft's ``total_gen_len = int(duration * frame_rate)``: whole frames, the
    fraction dropped (``_generate_tokens``), so a preset's long clips have audiocraft's length. Within one window
    the nearest whole frame, at least 1 (transformers takes a frame count, not seconds).

    Args:
        duration: seconds, > 0.
        frame_rate: codec frames per second (50 for MusicGen).
        max_duration: the window, seconds.
    """
    if duration > max_duration:
        return int(duration * frame_rate)
    return max(1, round(duration * frame_rate))


def stride_frames(extend_stride: float, frame_rate: int) -> int:
    """audiocraft's ``stride_tokens = int(frame_rate * extend_stride)``: the frames each window advances."""
    return int(frame_rate * extend_stride)


@dataclass(frozen=True)
class Window:
    """One decoding window, in codec frames (50 per second for MusicGen).

    Attributes:
        offset: frame of the whole clip where this window's sequence starts.
        context: frames at its start taken from the previous window (0 for the first).
        frames: frames in the window's sequence, context included (at most the window length).
    """

    offset: int
    context: int
    frames: int


def window_plan(total: int, window: int, stride: int) -> list[Window]:
    """The windows audiocraft decodes for a clip of ``total`` frames.

    Args:
        total: frames of the whole clip, >= 1.
        window: longest sequence the model decodes (``max_duration * frame_rate``), >= 2.
        stride: frames each window advances (``extend_stride * frame_rate``), in [1, window).

    Returns:
        The windows in order; one window when ``total <= window``. Their new frames
        (``frames - context``) add up to ``total``.

    Raises:
        ValueError: a stride not in [1, window), or sizes below 1.
    """
    if total < 1 or window < 2:
        raise ValueError(f"total and window must be >= 1 and >= 2 frames but got {total} and {window}.")
    if not 1 <= stride < window:
        raise ValueError(f"extend_stride must be shorter than the {window}-frame window but got {stride} frames.")
    plan, offset, context = [], 0, 0
    while offset + context < total:
        frames = min(total - offset, window)
        plan.append(Window(offset=offset, context=context, frames=frames))
        context = frames - stride  # the previous window without its first `stride` frames
        offset += stride
    return plan


def audiocraft_windows(duration: float, extend_stride: float, frame_rate: int,
                       max_duration: float = MAX_WINDOW_SECONDS) -> list[Window]:
    """The windows audiocraft's ``_generate_tokens`` decodes for a ``duration``-second clip, with its arithmetic.

    Like :func:`window_plan` on :func:`clip_frames` and :func:`stride_frames`, except that each window's length is
    audiocraft's ``int(min(duration - offset / frame_rate, max_duration) * frame_rate)`` computed in seconds: where
    floating point puts that one frame short (60 s at stride 12.34 s), audiocraft ends that window a frame early
    and adds a window for the frame, and so does this. One difference, at float edges: audiocraft's last window can
    end a frame before or after its own ``total_gen_len`` (31 s at stride 16.6 s gives it 1549 frames, 32.48 s at
    5.4 s 1624), or stop on ``assert start_offset < max_gen_len`` when a length rounds down onto its context; here
    the last window always ends at :func:`clip_frames`, so every clip of a batch has the same length.

    Args:
        duration: clip length, seconds (> ``max_duration`` for more than one window).
        extend_stride: seconds each window advances, in (0, ``max_duration``).
        frame_rate: codec frames per second.
        max_duration: the window, seconds.

    Returns:
        The windows in order; their new frames add up to :func:`clip_frames`.

    Raises:
        ValueError: a stride of less than one frame or not shorter than the window.
    """
    total = clip_frames(duration, frame_rate, max_duration)
    stride = stride_frames(extend_stride, frame_rate)
    if not 1 <= stride < round(max_duration * frame_rate):
        raise ValueError(f"extend_stride must be at least one frame and shorter than the {max_duration:g} s window "
                         f"but got {extend_stride:g} s.")
    plan, offset, context = [], 0, 0
    while offset + context < total:
        frames = int(min(duration - offset / frame_rate, max_duration) * frame_rate)
        frames = min(max(frames, context + 1), total - offset)
        if offset + max(frames, stride) >= total:  # the last window: the clip ends at total_gen_len
            frames = total - offset
        plan.append(Window(offset=offset, context=context, frames=frames))
        context = max(0, frames - stride)
        offset += stride
    return plan


Decode = Callable[[torch.Tensor | None, int, Callable[[int, int], None]], torch.Tensor]
"""``decode(prefix [B, K, P] or None, frames, on_step) -> codes [B, K, frames]`` whose first P frames are
``prefix``; one call per window, same rows, same random generators."""


def generate_windows(decode: Decode, plan: list[Window], on_step: Callable[[int, int], None]) -> torch.Tensor:
    """Decode ``plan``'s windows in turn, each prompted with the previous one's tail; returns ``[B, K, total]``.

    Args:
        decode: the one-window decoder (see :data:`Decode`).
        plan: from :func:`window_plan`.
        on_step: ``(done, total)`` over all windows, in window frames (each window's steps scaled to its frames).
    """
    parts: list[torch.Tensor] = []
    previous: torch.Tensor | None = None
    grand_total = sum(w.frames for w in plan)
    done = 0
    for w in plan:
        prefix = None if previous is None or w.context == 0 else previous[:, :, previous.shape[-1] - w.context:]

        def step(s: int, total: int, offset: int = done, size: int = w.frames) -> None:
            on_step(offset + round(size * s / max(total, 1)), grand_total)

        codes = decode(prefix, w.frames, step)
        parts.append(codes[:, :, w.context:])
        previous = codes
        done += w.frames
    return torch.cat(parts, dim=-1)
