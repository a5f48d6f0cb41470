"""MusicGen through audiocraft, for users who have it installed (it pins an old torch, so it is optional)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
import torch

from objectives._params import DecodingParams
from objectives.generation._backend import GeneratedAudio, StepCallback
from objectives.generation._transformers import ModelLoadError

__all__ = ["AudiocraftMusicGen", "audiocraft_available"]


def audiocraft_available() -> bool:
    """True when ``audiocraft`` can be imported in this environment."""
    return importlib.util.find_spec("audiocraft") is not None


class AudiocraftMusicGen:
    """audiocraft's ``MusicGen`` behind the same interface as :class:`TransformersMusicGen`.

    audiocraft samples a whole batch from the global RNG with one set of parameters, so this backend
    generates one row at a time after ``torch.manual_seed(seed)``: rows stay reproducible per seed, at
    the cost of batching. EnCodec tokens are not exposed (``codes`` is ``None``).

    Args:
        name_or_path: an audiocraft model name (``facebook/musicgen-small``) or a local checkpoint folder.
        device: torch device.

    Raises:
        ModelLoadError: audiocraft is not installed, or the model cannot be loaded.
    """

    backend = "audiocraft"

    def __init__(self, name_or_path: str, *, device: torch.device) -> None:
        if not audiocraft_available():
            raise ModelLoadError("the audiocraft backend needs the audiocraft package, which is not installed; "
                                 "install it (pip install audiocraft, in an environment with its torch pin) "
                                 "or use the transformers backend.", option="backend")
        from audiocraft.models import MusicGen

        try:
            self._model = MusicGen.get_pretrained(name_or_path, device=str(device))
        except Exception as exc:  # audiocraft raises plain exceptions of many kinds for a missing model
            raise ModelLoadError(f"audiocraft cannot load {name_or_path!r}: {exc}") from exc
        self.name = name_or_path
        self.sample_rate = int(self._model.sample_rate)
        self.max_batch = 1  # rows are generated one by one (see the class docstring); setting it changes nothing

    def row_bytes(self, duration: float) -> int | None:
        """None: rows are generated one at a time, so there is no batch to size."""
        return None

    def generate(
        self,
        prompts: Sequence[str],
        params: Sequence[DecodingParams],
        seeds: Sequence[int],
        *,
        duration: float,
        on_step: StepCallback | None = None,
        audio_prompts: Sequence[np.ndarray] | None = None,
        melodies: Sequence[np.ndarray] | None = None,
    ) -> GeneratedAudio:
        """One clip per row (see :meth:`TransformersMusicGen.generate`); rows are generated one by one.

        Raises:
            ValueError: audio prompts or melodies (this backend generates from text only).
        """
        if audio_prompts is not None or melodies is not None:
            raise ValueError("the audiocraft backend generates from text only; continuation and melodies need the "
                             "transformers backend.")
        clips = []
        for i, (prompt, p, seed) in enumerate(zip(prompts, params, seeds, strict=True)):
            self._model.set_generation_params(duration=duration, **p.to_audiocraft())
            torch.manual_seed(int(seed))
            wav = self._model.generate([prompt], progress=False)
            clips.append(wav[0, 0].float().cpu().numpy())
            if on_step is not None:
                on_step(i + 1, len(prompts))
        length = min(len(c) for c in clips)
        return GeneratedAudio(audio=np.stack([c[:length] for c in clips]), sample_rate=self.sample_rate, codes=None)
