"""Choosing the torch device and dtype."""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import torch

from objectives._dtypes import DTYPE_NAMES, check_dtype_name
from objectives._errors import DeviceError, DeviceUnavailableError

__all__ = [
    "DTYPES",
    "decoder_dtype",
    "default_dtype",
    "dtype_name",
    "number_format",
    "place_model",
    "resolve_device",
    "resolve_dtype",
    "slow_format",
]


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

    bfloat16 on a CPU with AMX runs the decoding step of a 48-clip pass 1.8-2.1x faster (``benchmarks/dtype_speed.py``,
    two runs) but changes the logits, so it is asked for, not chosen (:func:`resolve_dtype`).
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
    check_dtype_name(requested)
    return default_dtype(device) if requested == "auto" else DTYPES[requested]


def place_model(model: ModelT, device: torch.device, dtype: torch.dtype | None = None) -> ModelT:
    """``model`` (a float32 MusicGen of any variant) on ``device``: every part but EnCodec in ``dtype`` (None:
    :func:`default_dtype`), EnCodec left in float32 with its weights untouched.

    EnCodec stays float32, as in audiocraft (whose float16 autocast covers the language model only): its waveform
    is written as 16-bit PCM (96 dB of range), and float16's 11-bit or bfloat16's 8-bit mantissa would add noise
    at about -66 or -48 dB. The tokens come from the decoder, so this changes none of them; EnCodec is 7-15 % of a
    trial on CPU (``benchmarks/time_to_presets.py``). The model must arrive in float32: weights already rounded to
    a narrower format cannot be widened back (loaders load float32, then place).
    """
    dtype = dtype or default_dtype(device)
    for name, part in model.named_children():
        if name != "audio_encoder":
            part.to(dtype=dtype)
    return model.to(device=device)


def decoder_dtype(generator: object) -> torch.dtype | None:
    """The dtype a loaded generator's decoder runs in, which its tokens depend on; None for a backend that chooses
    its own (audiocraft's has no ``model.decoder``)."""
    return getattr(getattr(getattr(generator, "model", None), "decoder", None), "dtype", None)


def number_format(generator: object) -> str | None:
    """The name of :func:`decoder_dtype` (``float32``, ``bfloat16``, ``float16``), or None where it is None."""
    dtype = decoder_dtype(generator)
    return None if dtype is None else dtype_name(dtype)


def dtype_name(dtype: torch.dtype) -> str:
    """The name ``--dtype`` and the study files use for ``dtype`` (``torch.bfloat16`` -> ``bfloat16``)."""
    return str(dtype).removeprefix("torch.")


class _Emulated(NamedTuple):
    instruction_sets: tuple[str, ...]
    """x86 instruction sets (``torch.cpu.get_capabilities()`` keys), any of which gives a CPU the format's
    arithmetic."""
    slower: float
    """How many times slower than float32 a 48-clip decoding step ran without them (AVX2-only EPYC)."""


NATIVE = {torch.bfloat16: _Emulated(("avx512_bf16", "amx_bf16"), 4.4),
          torch.float16: _Emulated(("avx512_fp16", "amx_fp16"), 3.8)}
"""Each narrow format's instruction sets and its measured slow-down without them (``benchmarks/dtype_speed.py``)."""


def slow_format(dtype: torch.dtype, device: torch.device) -> str | None:
    """Why ``dtype`` decodes slower than float32 on ``device`` (one sentence), or None where that is not known.

    An x86 CPU with none of the format's instruction sets (:data:`NATIVE`) emulates it: a musicgen-small decoding
    step of 48 clips took 3672.8 ms in bfloat16 against 835.2 ms in float32 (4.4x slower) on an AVX2-only AMD EPYC,
    where an AMX Xeon ran it 1.8-2.1x faster; float16 there took 3346.8 against 887.4 ms (3.8x slower;
    ``benchmarks/dtype_speed.py``, benchmarks/README.md). AVX512-BF16 alone is enough: on an AMD EPYC with it and
    no AMX, bfloat16 ran 1.82 / 1.59 / 1.34x faster than float32 at 8 / 48 / 96 clips (1.26 / 1.29 / 1.25x
    against float32 with its linear layers run by oneDNN, as the loaders now run it), while float16 (no
    AVX512-FP16 there) ran 0.58 / 0.29x as fast at 8 / 48. Other architectures (ARM), CUDA and float32: None (not
    measured, or not slow). A torch without ``torch.cpu.get_capabilities``: None.
    """
    if device.type != "cpu" or dtype not in NATIVE:
        return None
    capabilities: dict[str, object] = getattr(torch.cpu, "get_capabilities", lambda: {})()
    native = NATIVE[dtype]
    if capabilities.get("architecture") != "x86_64" or any(capabilities.get(isa) for isa in native.instruction_sets):
        return None
    name, sets = dtype_name(dtype), " or ".join(isa.upper() for isa in native.instruction_sets)
    return (f"this CPU has no {name} arithmetic ({sets}), so {name} decodes slower than float32 here "
            f"({native.slower}x slower at 48 clips on an AVX2 CPU); float32 (--dtype auto, in a study of its own) is "
            "faster on it.")
