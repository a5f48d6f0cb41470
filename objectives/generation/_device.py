"""Choosing the torch device and dtype."""

from __future__ import annotations

import torch

from objectives._errors import DeviceError

__all__ = ["default_dtype", "resolve_device"]


def resolve_device(requested: str = "auto") -> torch.device:
    """The device to run on: ``"auto"`` picks cuda, then mps, then cpu.

    Raises:
        DeviceError: the requested device is malformed or not available on this machine (a ``ValueError``).
    """
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as exc:
        raise DeviceError(requested, f"the device must be auto, cpu, cuda, cuda:N or mps but got {requested!r}.") \
            from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(requested, f"the device {requested!r} was asked for but this torch build sees no CUDA GPU; "
                                     "use the CPU.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(requested, "the device 'mps' was asked for but MPS is not available; use the CPU.")
    return device


def default_dtype(device: torch.device) -> torch.dtype:
    """Half precision (float16) on CUDA, float32 elsewhere (MPS and CPU half kernels are slow or missing)."""
    return torch.float16 if device.type == "cuda" else torch.float32
