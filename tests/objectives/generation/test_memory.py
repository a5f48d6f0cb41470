"""The automatic ``--batch-trials``: clips per pass bounded by the memory that is really there, on every device."""

import torch

from objectives.generation import _memory
from objectives.generation._memory import CPU_CLIPS, configs_per_pass, free_memory_bytes

CPU = torch.device("cpu")
GIB = 1024**3


def _meminfo(tmp_path, monkeypatch, available_kib: int | None) -> None:
    path = tmp_path / "meminfo"
    lines = ["MemTotal:       25165824 kB", "MemFree:          123456 kB"]
    if available_kib is not None:
        lines.append(f"MemAvailable:   {available_kib} kB")
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(_memory, "MEMINFO", path)
    monkeypatch.setattr(_memory._meminfo_available, "__defaults__", (path,))


def test_cpu_with_memory_to_spare_takes_the_cpu_clip_limit(tmp_path, monkeypatch):
    _meminfo(tmp_path, monkeypatch, available_kib=20 * 1024 * 1024)  # 20 GiB
    assert free_memory_bytes(CPU) == 20 * GIB
    assert configs_per_pass(row_bytes=10 * 1024**2, clips_per_config=24, device=CPU) == CPU_CLIPS // 24
    assert configs_per_pass(row_bytes=10 * 1024**2, clips_per_config=4, device=CPU) == min(16, CPU_CLIPS // 4)


def test_cpu_long_clips_are_bounded_by_available_memory_not_by_the_clip_limit(tmp_path, monkeypatch):
    # 30 s clips of musicgen-small need ~616 MB each (KV cache of both CFG copies); 4 GiB available holds
    # 0.6 * 4 GiB / 616 MB = 4 clips: one configuration of 2 clips per pass... and never zero.
    _meminfo(tmp_path, monkeypatch, available_kib=4 * 1024 * 1024)
    row = 616 * 1024**2
    fit = int(0.6 * 4 * GIB / row)
    assert fit < CPU_CLIPS
    assert configs_per_pass(row_bytes=row, clips_per_config=2, device=CPU) == fit // 2
    assert configs_per_pass(row_bytes=row, clips_per_config=24, device=CPU) == 1


def test_cpu_without_meminfo_keeps_the_clip_limit(tmp_path, monkeypatch):
    _meminfo(tmp_path, monkeypatch, available_kib=None)
    assert free_memory_bytes(CPU) is None
    assert configs_per_pass(row_bytes=10**9, clips_per_config=8, device=CPU) == CPU_CLIPS // 8
    monkeypatch.setattr(_memory._meminfo_available, "__defaults__", (tmp_path / "absent",))
    assert free_memory_bytes(CPU) is None


def test_a_backend_that_does_not_batch_gets_one_configuration():
    assert configs_per_pass(row_bytes=None, clips_per_config=24, device=CPU) == 1


def test_the_run_layer_sizes_its_passes_with_the_real_row_estimate(tmp_path, monkeypatch):
    """``optimize --batch-trials auto`` on CPU: 30 s clips of the debug model's real row estimate against room
    for 16 of them get what fits in 60 % of it, and the generator's rows per pass follow (before, CPU took 64
    clips whatever their length, and a long-clip search on a small machine met the kernel's OOM killer, not an
    error it could halve)."""
    from objectives._debug import build_random_musicgen
    from objectives.generation import TransformersMusicGen
    from optimizer.run import RunOptions
    from optimizer.run._models import trials_per_pass

    model, processor = build_random_musicgen("debug")
    generator = TransformersMusicGen(model, processor, name="debug")
    row = generator.row_bytes(30.0)
    available_kib = -(-16 * row // 1024)  # room for 16 such clips, of which auto may take 60 %
    _meminfo(tmp_path, monkeypatch, available_kib=available_kib)
    fit = int(0.6 * available_kib * 1024 / row)
    assert 2 <= fit < CPU_CLIPS  # the memory, not the clip limit, decides here
    options = RunOptions(genre="jazz", model="debug", duration=30.0)
    k = trials_per_pass(options, generator, CPU, clips_per_config=2)
    assert k == max(1, fit // 2)
    assert generator.max_batch == k * 2
