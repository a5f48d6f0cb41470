"""Rows of an evaluation: each clip's seed, which rows a staged evaluation decodes, and joining its stages.

A clip is one ``(prompt, replicate)`` row; its seed is :func:`replicate_seed` of that row alone, so decoding some
rows of a configuration now and the rest later (racing's stages, ``optimize --racing``) gives the same clips as
decoding them all at once, and joining the stages' evaluations (:meth:`objectives.Evaluator.combine`) gives the
full evaluation clip by clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from objectives.generation import GeneratedAudio

__all__ = ["check_rows", "join_rows", "replicate_seed"]

Row = tuple[int, int]


def replicate_seed(base_seed: int, prompt_index: int, replicate: int) -> int:
    """The seed of (prompt, replicate): the same in every trial (common random numbers).

    Derived with ``numpy.random.SeedSequence([base_seed, prompt_index, replicate])`` so seeds of
    neighbouring indices are independent streams. Returns a value in [0, 2**63).
    """
    state = np.random.SeedSequence([base_seed, prompt_index, replicate]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def check_rows(rows: Sequence[Row] | None, full: Sequence[Row]) -> list[Row]:
    """``rows`` sorted prompt-major (all of ``full`` when None).

    Raises:
        ValueError: no rows, a repeated row, or one outside ``full``.
    """
    if rows is None:
        return list(full)
    chosen = sorted({(int(p), int(r)) for p, r in rows})
    if not chosen or len(chosen) != len(rows) or not set(chosen) <= set(full):
        raise ValueError(f"rows must be distinct (prompt, replicate) pairs of this evaluator but got {list(rows)}.")
    return chosen


def join_rows(parts: Sequence[Any]) -> tuple[list[Any], GeneratedAudio, np.ndarray]:
    """The clips, audio and CLAP embeddings of evaluations of one configuration on disjoint rows, in row order.

    ``parts`` are :class:`~objectives.Evaluation` objects (typed loosely: that module imports this one).

    Raises:
        ValueError: no parts, different configurations, a row in two parts, or a part without embeddings.
    """
    from objectives.generation import GeneratedAudio

    if not parts:
        raise ValueError("nothing to join.")
    if any(p.params != parts[0].params for p in parts) or any(p.embeddings is None for p in parts):
        raise ValueError("only evaluations of one configuration, with their embeddings, can be joined.")
    clips = [c for p in parts for c in p.clips]
    order = sorted(range(len(clips)), key=lambda i: (clips[i].prompt_index, clips[i].replicate))
    if len({(c.prompt_index, c.replicate) for c in clips}) != len(clips):
        raise ValueError("the evaluations to join share a row.")

    def stack(arrays: list[np.ndarray | None]) -> np.ndarray | None:
        return None if arrays[0] is None else np.concatenate(arrays)[order]  # type: ignore[arg-type]

    audio = [p.audio for p in parts]
    prompt_audio = None if audio[0].prompt_audio is None else [x for a in audio for x in a.prompt_audio or ()]
    joined = GeneratedAudio(audio=stack([a.audio for a in audio]),  # type: ignore[arg-type]
                            sample_rate=audio[0].sample_rate, codes=stack([a.codes for a in audio]),
                            channels=stack([a.channels for a in audio]),
                            prompt_audio=None if prompt_audio is None else tuple(prompt_audio[i] for i in order))
    embeddings = np.concatenate([p.embeddings for p in parts])[order]
    return [clips[i] for i in order], joined, embeddings
