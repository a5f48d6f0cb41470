"""Choosing the torch device and dtype."""

from __future__ import annotations

from typing import TypeVar

import torch

from objectives._dtypes import DTYPE_NAMES
from objectives._errors import DeviceError, DeviceUnavailableError

__all__ = ["DTYPES", "default_dtype", "place_model", "resolve_device", "resolve_dtype"]


ModelT = TypeVar("ModelT", bound=torch.nn.Module)

RUNNABLE = ("cpu", "cuda", "mps")
"""Device types the models run on: torch names more (``meta`` holds no data, ``xla``/``ipu``/``hpu`` need
plug-ins this project does not load), and a model moved there fails mid-load with a traceback."""


def resolve_device(requested: str = "auto") -> torch.device:
    """The device to run on: ``"auto"`` picks cuda, then mps, then cpu.

    Args:
        requested: ``auto``, ``cpu`` (or ``cpu:0``), ``cuda``, ``cuda:N`` (N below the GPU count) or ``mps``.

    Raises:
        DeviceError: the requested device is malformed, of a type the models cannot run on (``meta``,
            ``xla``...), or not available on this machine (a ``ValueError``).
    """
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(requested, f"the device must be auto, cpu, cuda, cuda:N or mps but got {requested!r}.") \
            from exc
    if device.type not in RUNNABLE:
        raise DeviceError(requested, f"the device must be auto, cpu, cuda, cuda:N or mps (the models cannot run on "
                                     f"{device.type!r}) but got {requested!r}.")
    if device.type == "cpu" and device.index not in (None, 0):
        raise DeviceError(requested, f"the device must be auto, cpu, cuda, cuda:N or mps (there is one CPU device) "
                                     f"but got {requested!r}.")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(requested, f"the device {requested!r} was asked for but this torch build sees no "
                                                "CUDA GPU; use the CPU.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(requested, f"the device {requested!r} was asked for but this machine has "
                                     f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0.")
    if device.type == "mps" and (device.index not in (None, 0) or not torch.backends.mps.is_available()):
        raise DeviceUnavailableError(requested, f"the device {requested!r} was asked for but MPS is not available; "
                                                "use the CPU.")
    return device


DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPE_NAMES}
"""The number formats the language model (text encoder and decoder) can run in, by name; ``auto`` is
:func:`default_dtype`."""


def default_dtype(device: torch.device) -> torch.dtype:
    """Half precision (float16) on CUDA, float32 elsewhere: the tokens then equal the float32 reference on CPU.

    bfloat16 on a CPU with AMX or AVX512-BF16 runs the decoding step about 2x faster
    (``benchmarks/decode_throughput.py --dtype bfloat16``) but changes the logits, so it is asked for, not
    chosen (:func:`resolve_dtype`).
    """
    return torch.float16 if device.type == "cuda" else torch.float32


def resolve_dtype(requested: str, device: torch.device) -> torch.dtype:
    """The language model's dtype: ``auto`` is :func:`default_dtype` of ``device``, else the named format.

    Args:
        requested: ``auto``, ``float32``, ``bfloat16`` or ``float16``.
        device: where the model runs.

    Raises:
        ValueError: any other name.
    """
    if requested == "auto":
        return default_dtype(device)
    if requested not in DTYPES:
        raise ValueError(f"the dtype must be auto, {', '.join(DTYPES)} but got {requested!r}.")
    return DTYPES[requested]


def place_model(model: ModelT, device: torch.device, dtype: torch.dtype | None = None) -> ModelT:
    """``model`` (a MusicGen of any variant) on ``device``: its text encoder and decoder in ``dtype`` (None:
    :func:`default_dtype`), its EnCodec always in float32.

    EnCodec stays float32 because its waveform is written as 16-bit PCM (96 dB of range) and float16's 11-bit or
    bfloat16's 8-bit mantissa would add noise at -66 or -48 dB; the tokens come from the decoder, so where EnCodec
    runs changes none of them, and it is a few percent of a trial (``benchmarks/time_to_presets.py``).
    """
    model = model.to(device=device, dtype=dtype or default_dtype(device))
    audio_encoder = getattr(model, "audio_encoder", None)
    if audio_encoder is not None:
        audio_encoder.float()
    return model
