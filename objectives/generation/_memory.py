"""Out-of-memory detection and the memory a decoding row needs, for sizing batches."""

from __future__ import annotations

import gc
from pathlib import Path

import torch

__all__ = ["configs_per_pass", "free_memory_bytes", "is_out_of_memory", "release_memory"]

MEMINFO = Path("/proc/meminfo")
CPU_CLIPS = 96
"""Most clips per pass on CPU (and MPS, not measured): four trials of the default 24 clips per pass instead of two
decode in 11 % less time, and the pipeline/practice ratio was 1.44 against 1.33 (two runs of
``benchmarks/time_to_presets.py``, ``--batch-trials 4`` and ``auto`` at 64, one after the other on a 2-core AVX2
EPYC; the pipeline alone 5.2 % shorter; benchmarks/README.md). What four trials per pass cost TPE's sample efficiency
against two is not measured."""


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA's ``torch.OutOfMemoryError`` and the "out of memory" RuntimeErrors of MPS and the CPU
    allocator."""
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def release_memory() -> None:
    """Return cached blocks to the device after an out-of-memory error, so a smaller batch can fit."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def free_memory_bytes(device: torch.device) -> int | None:
    """Memory a decoding pass may still take, in bytes: CUDA's free memory (``torch.cuda.mem_get_info``); on
    CPU, Linux's ``MemAvailable`` (``/proc/meminfo``: free memory plus the page cache the kernel can drop);
    None where neither can be read (MPS, a CPU elsewhere)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type == "cpu":
        return _meminfo_available()
    return None


def _meminfo_available(path: Path = MEMINFO) -> int | None:
    # psutil is not a dependency; /proc/meminfo's "MemAvailable:  <n> kB" line is what it reads (man 5 proc).
    try:
        for line in path.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def configs_per_pass(*, row_bytes: int | None, clips_per_config: int, device: torch.device,
                     most: int = 16, cpu_clips: int = CPU_CLIPS, memory_share: float = 0.6) -> int:
    """How many configurations to decode together (the automatic ``--batch-trials``).

    As many as fit ``memory_share`` of :func:`free_memory_bytes` at ``row_bytes`` per clip; on CPU and MPS
    also at most about ``cpu_clips`` clips per pass (:data:`CPU_CLIPS`), where more rows stop paying. Always
    in ``[1, most]``; 1 when ``row_bytes`` is unknown (a backend that does not batch).
    """
    if row_bytes is None:
        return 1
    free = free_memory_bytes(device)
    limits = [int(memory_share * free / max(row_bytes, 1))] if free is not None else []
    if device.type != "cuda":
        limits.append(cpu_clips)
    return max(1, min(most, min(limits) // max(clips_per_config, 1)))
