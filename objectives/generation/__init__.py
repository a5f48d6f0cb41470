"""MusicGen backends (transformers, audiocraft) and audiocraft's next-token rule."""

from objectives.generation._audiocraft import AudiocraftMusicGen
from objectives.generation._backend import GeneratedAudio, MusicGenBackend, StepCallback
from objectives.generation._continuation import MIN_PROMPT_SECONDS, read_audio_prompt
from objectives.generation._device import (
    DTYPES,
    decoder_dtype,
    default_dtype,
    dtype_name,
    number_format,
    place_model,
    resolve_device,
    resolve_dtype,
    slow_format,
)
from objectives.generation._melody import MelodyMusicGen, is_melody_checkpoint
from objectives.generation._memory import configs_per_pass, free_memory_bytes, is_out_of_memory, release_memory
from objectives.generation._onednn import can_convert, convert_linears, linear_layers, weight_bytes
from objectives.generation._sampling import RowParams, next_token_probs, sample_next_token
from objectives.generation._stereo import with_channels
from objectives.generation._transformers import ModelLoadError, TransformersMusicGen
from objectives.generation._windows import MAX_CLIP_SECONDS, MAX_WINDOW_SECONDS

__all__ = [
    "DTYPES",
    "MAX_CLIP_SECONDS",
    "MAX_WINDOW_SECONDS",
    "MIN_PROMPT_SECONDS",
    "AudiocraftMusicGen",
    "GeneratedAudio",
    "MelodyMusicGen",
    "ModelLoadError",
    "MusicGenBackend",
    "RowParams",
    "StepCallback",
    "TransformersMusicGen",
    "can_convert",
    "configs_per_pass",
    "convert_linears",
    "decoder_dtype",
    "default_dtype",
    "dtype_name",
    "free_memory_bytes",
    "is_melody_checkpoint",
    "is_out_of_memory",
    "linear_layers",
    "next_token_probs",
    "number_format",
    "place_model",
    "read_audio_prompt",
    "release_memory",
    "resolve_device",
    "resolve_dtype",
    "sample_next_token",
    "slow_format",
    "weight_bytes",
    "with_channels",
]
