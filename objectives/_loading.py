"""Building the generator and the CLAP scorer from what the user names."""

from __future__ import annotations

import torch

from objectives._debug import DEBUG_MODEL_NAME, DEBUG_MODELS, build_debug_clap, build_random_musicgen
from objectives._debug_melody import build_random_musicgen_melody
from objectives._dtypes import check_dtype_name
from objectives._errors import ModelLoadError
from objectives._hub import CLAP, MUSICGEN, resolve_checkpoint
from objectives.generation import AudiocraftMusicGen, MusicGenBackend, TransformersMusicGen
from objectives.scoring import ClapScorer

__all__ = ["BACKENDS", "check_backend", "load_clap", "load_generator"]

BACKENDS = ("transformers", "audiocraft")


def check_backend(name: str, backend: str, dtype: str = "auto") -> None:
    """Refuse a model or number format the backend cannot run, before anything loads (so a study never records a
    backend that did not decode).

    Raises:
        ValueError: unknown backend or dtype.
        ModelLoadError: the debug model (a tiny transformers MusicGen) with the audiocraft backend, or a dtype
            other than ``auto`` with it (audiocraft chooses its own).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} but got {backend!r}.")
    check_dtype_name(dtype)
    if dtype != "auto" and backend != "transformers":
        raise ModelLoadError(f"the {backend} backend chooses its own number format, so dtype {dtype!r} cannot be "
                             "honoured; leave it at auto or use the transformers backend", option="dtype")
    if name in DEBUG_MODELS and backend != "transformers":
        raise ModelLoadError(f"the debug model {name!r} is a tiny transformers MusicGen, which the {backend} "
                             "backend cannot run; use the transformers backend with it, or an audiocraft checkpoint",
                             option="backend")


def load_generator(name: str, *, backend: str = "transformers", device: torch.device,
                   max_batch: int = 32, dtype: str = "auto") -> MusicGenBackend:
    """The MusicGen to decode with.

    Args:
        name: ``debug``, ``debug-stereo`` or ``debug-melody`` (tiny random models of each variant, noise output:
            :data:`objectives._debug.DEBUG_MODELS`), a hub id, or a local directory.
        backend: ``transformers`` (default) or ``audiocraft``.
        device: torch device.
        max_batch: most rows per decoding pass (transformers backend).
        dtype: the text encoder's and decoder's number format (transformers backend): ``auto`` (float16 on
            CUDA, float32 elsewhere), ``float32``, ``bfloat16`` or ``float16``; EnCodec runs in float32
            (:func:`objectives.generation.place_model`).

    Raises:
        ModelLoadError: the model or the backend is unavailable (or cannot run the debug model or ``dtype``), the
            directory holds something else than a MusicGen or damaged weights, or the hub id is neither cached nor
            reachable (message says what to do; see :func:`objectives._hub.resolve_checkpoint`).
        ValueError: unknown backend or dtype.
    """
    check_backend(name, backend, dtype)
    from objectives.generation import MelodyMusicGen, is_melody_checkpoint, place_model, resolve_dtype

    number_format = resolve_dtype(dtype, device)
    if DEBUG_MODELS.get(name) == "melody":
        model, tokenizer = build_random_musicgen_melody()
        return MelodyMusicGen(place_model(model, device, number_format), tokenizer, name=name, max_batch=max_batch,
                              onednn_linears=True)
    if name in DEBUG_MODELS:
        model, processor = build_random_musicgen("debug", audio_channels=2 if DEBUG_MODELS[name] == "stereo" else 1)
        return TransformersMusicGen(place_model(model, device, number_format), processor, name=name,
                                    max_batch=max_batch, onednn_linears=True)
    if backend == "audiocraft":
        return AudiocraftMusicGen(name, device=device)
    path = resolve_checkpoint(name, MUSICGEN)

    loader = MelodyMusicGen if is_melody_checkpoint(path) else TransformersMusicGen
    return loader.from_pretrained(path, device=device, max_batch=max_batch, name=name, dtype=number_format)


def load_clap(name: str, *, device: torch.device) -> ClapScorer:
    """The CLAP scorer: ``debug`` (tiny random CLAP), a hub id, or a local directory.

    Raises:
        ModelLoadError: the checkpoint cannot be loaded: another architecture, damaged weights, or a hub id
            neither cached nor reachable (see :func:`objectives._hub.resolve_checkpoint`).
    """
    if name == DEBUG_MODEL_NAME:
        model, processor = build_debug_clap()
        return ClapScorer(model.to(device), processor, name=DEBUG_MODEL_NAME)
    return ClapScorer.from_pretrained(resolve_checkpoint(name, CLAP), device=device, name=name)
