"""MusicGen-Melody (``facebook/musicgen-melody``, ``-melody-large``) in the same per-row decode loop.

``MusicgenMelodyForConditionalGeneration`` does not cross-attend: the projected chroma (``chroma_length``
frames) and the projected, masked text embeddings are prepended to the decoder's input, once, on the first
pass; later cached steps pass no conditioning. The conditioning and its null half for classifier-free
guidance are built as transformers' ``_prepare_encoder_hidden_states_kwargs_for_generation`` builds them:
text embeddings zeroed with a zero mask, and the melody replaced by a chroma whose every frame is one-hot on
bin 0 (what a silent melody gives, since the argmax of an all-zero frame is 0: audiocraft drops the melody
for CFG by conditioning on a zero waveform). So both text and melody are dropped, as in training.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from objectives._chroma import conditioning_chroma
from objectives._errors import ModelLoadError, first_line
from objectives.generation._cache import CACHE_ARGUMENT, preallocated_cache
from objectives.generation._device import place_model
from objectives.generation._text import encode_distinct
from objectives.generation._transformers import TransformersMusicGen

__all__ = ["MelodyMusicGen", "is_melody_checkpoint"]


def is_melody_checkpoint(path: str) -> bool:
    """True when the checkpoint directory's ``config.json`` is a ``musicgen_melody`` model."""
    import json
    from pathlib import Path

    config = Path(path) / "config.json"
    try:
        return json.loads(config.read_text()).get("model_type") == "musicgen_melody"
    except (OSError, ValueError):
        return False


class MelodyMusicGen(TransformersMusicGen):
    """A MusicGen-Melody; :meth:`generate` takes ``melodies`` (one waveform per row) besides the text.

    Args:
        model: a loaded ``MusicgenMelodyForConditionalGeneration``.
        processor: its tokenizer (``AutoTokenizer``; the processor's feature extractor needs torchaudio and
            is replaced by :func:`~objectives._chroma.conditioning_chroma`).
        name, max_batch, max_duration: as for :class:`TransformersMusicGen`.
    """

    @classmethod
    def from_pretrained(cls, name_or_path: str, *, device: torch.device, max_batch: int = 32,
                        name: str | None = None, dtype: torch.dtype | None = None) -> MelodyMusicGen:
        """Load a melody checkpoint (hub snapshot or directory); see :meth:`TransformersMusicGen.from_pretrained`.

        Raises:
            ModelLoadError: the checkpoint cannot be loaded.
        """
        from transformers import AutoTokenizer, MusicgenMelodyForConditionalGeneration

        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            # float32 first, narrowed by place_model, so EnCodec keeps its exact weights (host memory: 4 bytes a
            # parameter while loading)
            model = MusicgenMelodyForConditionalGeneration.from_pretrained(name_or_path, dtype=torch.float32)
        except pickle.UnpicklingError as exc:
            raise ModelLoadError(f"refused to unpickle the weights in {name_or_path!r}: use a safetensors "
                                 "checkpoint from a source you trust.") from exc
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load MusicGen-Melody {name_or_path!r}: {first_line(exc)}.") from exc
        return cls(place_model(model, device, dtype), tokenizer,  # type: ignore[arg-type]
                   name=name or name_or_path, max_batch=max_batch, onednn_linears=True)

    def _conditioning(self, prompts, melodies, guided: torch.Tensor | None = None
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Prepended conditioning ``[B + G, chroma_length + text_tokens, hidden]``: conditional rows, then a null
        copy per row in ``guided`` (``[G]`` row indices; None: every row)."""
        model, config = self.model, self.model.config
        inputs = self.processor(text=list(prompts), padding=True, return_tensors="pt").to(self.device)
        text = encode_distinct(model.text_encoder, inputs["input_ids"], inputs["attention_mask"])
        if model.text_encoder.config.hidden_size != model.decoder.config.hidden_size:
            text = model.enc_to_dec_proj(text)
        nulls = len(prompts) if guided is None else len(guided)
        text = torch.cat([text, text.new_zeros((nulls, *text.shape[1:]))])
        mask = inputs["attention_mask"]
        mask = torch.cat([mask, mask.new_zeros((nulls, *mask.shape[1:]))])
        text = text * mask[..., None]
        chroma = self._chroma(melodies, len(prompts), int(config.chroma_length), int(config.num_chroma))
        null = chroma.new_zeros((nulls, *chroma.shape[1:]))
        null[:, :, 0] = 1
        audio = torch.cat([chroma, null]).to(text.dtype)
        if config.num_chroma != model.decoder.config.hidden_size:
            audio = model.audio_enc_to_dec_proj(audio)
        return {"encoder_hidden_states": torch.cat([audio, text], dim=1)}, {"encoder_hidden_states": None}

    def _forward(self, kwargs: dict[str, Any], input_ids: torch.Tensor, past: Any) -> Any:
        """One pass of the whole model: the first one prepends the conditioning, later ones pass ``None``."""
        return self.model(decoder_input_ids=input_ids, use_cache=True, **{CACHE_ARGUMENT: past}, **kwargs)

    def _new_cache(self, steps: int, first: dict[str, Any]) -> Any:
        """A self-attention cache for the prepended conditioning and the pass's ``steps`` decoder inputs."""
        return preallocated_cache(self.model.decoder.config.num_hidden_layers,
                                  first["encoder_hidden_states"].shape[1] + steps)

    def _chroma(self, melodies: Sequence[np.ndarray] | None, rows: int, length: int, bins: int) -> torch.Tensor:
        """``[B, length, bins]`` one-hot chroma per row: repeated to ``length`` frames and truncated, as the
        model does; the null chroma (bin 0) for rows without a melody."""
        if melodies is None:
            null = torch.zeros((rows, length, bins), device=self.device)
            null[:, :, 0] = 1
            return null
        out = []
        for wave in melodies:
            chroma = conditioning_chroma(wave, self.sample_rate, num_chroma=bins)
            chroma = np.tile(chroma, (math.ceil(length / len(chroma)), 1))[:length]
            out.append(torch.from_numpy(chroma))
        return torch.stack(out).to(self.device)
