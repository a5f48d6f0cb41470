"""Choosing the torch device and dtype."""

from __future__ import annotations

import torch

from objectives._errors import DeviceError, DeviceUnavailableError

__all__ = ["default_dtype", "resolve_device"]


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


def default_dtype(device: torch.device) -> torch.dtype:
    """Half precision (float16) on CUDA, float32 elsewhere (MPS and CPU half kernels are slow or missing)."""
    return torch.float16 if device.type == "cuda" else torch.float32
