"""MusicGen backends (transformers, audiocraft) and audiocraft's next-token rule."""

from objectives.generation._backend import GeneratedAudio, MusicGenBackend, StepCallback
from objectives.generation._device import default_dtype, resolve_device
from objectives.generation._memory import free_memory_bytes, is_out_of_memory, release_memory
from objectives.generation._sampling import RowParams, next_token_probs, sample_next_token
from objectives.generation._transformers import ModelLoadError, TransformersMusicGen

__all__ = [
    "GeneratedAudio",
    "ModelLoadError",
    "MusicGenBackend",
    "RowParams",
    "StepCallback",
    "TransformersMusicGen",
    "default_dtype",
    "free_memory_bytes",
    "is_out_of_memory",
    "next_token_probs",
    "release_memory",
    "resolve_device",
    "sample_next_token",
]
