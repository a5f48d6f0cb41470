"""CLAP prompt adherence: cosine similarity of a prompt's text embedding and a clip's audio embedding."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import librosa
import numpy as np
import torch
from transformers import ClapModel, ClapProcessor

__all__ = ["CLAP_SAMPLE_RATE", "CLAP_WINDOW_SECONDS", "ClapScorer"]

CLAP_SAMPLE_RATE = 48_000
"""Hz; the rate LAION-CLAP was trained at."""
CLAP_WINDOW_SECONDS = 10.0
"""CLAP's input length (``ClapFeatureExtractor.max_length_s``)."""
_MIN_TAIL_SECONDS = 1.0
CPU_WINDOWS_PER_FORWARD = 4
"""Windows per forward pass on CPU: laion/larger_clap_music's architecture took 243.1 ms per window at 4, 301.1 at
16 and 310.2 at 1 on a 2-core AVX2 AMD EPYC (``python benchmarks/clap_batch.py``, benchmarks/README.md; the only
CPU measured: on another, run the script)."""
GPU_WINDOWS_PER_FORWARD = 16
"""Windows per forward pass elsewhere (not measured: a GPU gains from wide batches)."""


class ClapScorer:
    """Scores clips against prompts with a transformers ``ClapModel`` (default ``laion/larger_clap_music``).

    Deterministic: audio is resampled to 48 kHz mono with soxr, cut into fixed, non-overlapping 10 s
    windows (a tail shorter than 1 s is dropped unless it is the whole clip; short windows are
    repeat-padded by the feature extractor, which is deterministic), each window is embedded, and the
    clip's embedding is the renormalised mean of its window embeddings. Text embeddings are computed once
    per prompt and cached.

    Args:
        model: a loaded ``ClapModel``.
        processor: its ``ClapProcessor``.
        name: the checkpoint name to record.
        batch_size: windows embedded per forward pass; None (default): :data:`CPU_WINDOWS_PER_FORWARD` on CPU,
            :data:`GPU_WINDOWS_PER_FORWARD` elsewhere, by where ``model`` is now. The embeddings do not depend on
            it (to about 1e-7).

    Raises:
        ValueError: ``batch_size`` below 1.
    """

    def __init__(self, model: ClapModel, processor: ClapProcessor, *, name: str, batch_size: int | None = None) -> None:
        self.model = model.eval()
        self.processor = processor
        self.name = name
        if batch_size is None:
            batch_size = CPU_WINDOWS_PER_FORWARD if model.device.type == "cpu" else GPU_WINDOWS_PER_FORWARD
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1 but got {batch_size}.")
        self.batch_size = batch_size
        self._text_cache: dict[str, torch.Tensor] = {}

    @classmethod
    def from_pretrained(cls, name_or_path: str, *, device: torch.device, name: str | None = None) -> ClapScorer:
        """Load a CLAP checkpoint from a hub id or a local directory (float32; CLAP is small).

        ``name`` is recorded (default ``name_or_path``; the hub id when loading its cached snapshot).
        :func:`objectives.load_clap` checks the directory or the hub first.

        Raises:
            ModelLoadError: pickled weights that are not plain tensors, or a checkpoint transformers cannot load.
        """
        from objectives._errors import ModelLoadError, first_line

        try:
            processor = ClapProcessor.from_pretrained(name_or_path)
            model = ClapModel.from_pretrained(name_or_path)
        except pickle.UnpicklingError as exc:
            raise ModelLoadError(
                f"refused to unpickle the weights in {name_or_path!r}: they are not plain tensors (torch.load with "
                "weights_only=True); use a safetensors checkpoint from a source you trust."
            ) from exc
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load CLAP {name_or_path!r}: {first_line(exc)}; give a hub id (fetch it with "
                "`hf download <id>` where there is network) or /path/to/a/saved/directory.", option="clap") from exc
        return cls(model.to(device), processor, name=name or name_or_path)  # type: ignore[arg-type]

    @property
    def device(self) -> torch.device:
        return self.model.device

    @torch.inference_mode()
    def text_embeddings(self, prompts: Sequence[str]) -> torch.Tensor:
        """``[P, D]`` unit-norm text embeddings, computed once per distinct prompt."""
        missing = [p for p in dict.fromkeys(prompts) if p not in self._text_cache]
        if missing:
            inputs = self.processor(text=missing, padding=True, truncation=True, return_tensors="pt").to(self.device)
            features = self.model.get_text_features(**inputs).pooler_output
            for prompt, feature in zip(missing, features, strict=True):
                self._text_cache[prompt] = feature.float()
        return torch.stack([self._text_cache[p] for p in prompts])

    @torch.inference_mode()
    def audio_embeddings(self, audio: np.ndarray, sample_rate: int) -> torch.Tensor:
        """``[N, D]`` unit-norm clip embeddings of ``audio`` ``[N, T]`` float32 mono at ``sample_rate`` Hz."""
        audio48 = librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=sample_rate,
                                   target_sr=CLAP_SAMPLE_RATE, res_type="soxr_hq", axis=-1)
        windows, owner = [], []
        for i, clip in enumerate(audio48):
            for window in _windows(clip):
                windows.append(window)
                owner.append(i)
        embedded = []
        for start in range(0, len(windows), self.batch_size):
            inputs = self.processor(audio=windows[start:start + self.batch_size], sampling_rate=CLAP_SAMPLE_RATE,
                                    truncation="rand_trunc", padding="repeatpad", return_tensors="pt")
            embedded.append(self.model.get_audio_features(**inputs.to(self.device)).pooler_output.float())
        per_window = torch.cat(embedded)
        owner_t = torch.tensor(owner, device=per_window.device)
        sums = torch.zeros(len(audio48), per_window.shape[1], device=per_window.device)
        sums.index_add_(0, owner_t, per_window)
        return torch.nn.functional.normalize(sums, dim=-1)

    def adherence(self, audio: np.ndarray, sample_rate: int, prompts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """CLAP score of each clip against its own prompt.

        Args:
            audio: ``[N, T]`` float32 mono clips at ``sample_rate`` Hz.
            sample_rate: Hz.
            prompts: N prompts, ``prompts[i]`` is clip i's.

        Returns:
            ``(scores, embeddings)``: ``[N]`` cosine similarities in [-1, 1] and ``[N, D]`` audio embeddings.
        """
        audio_emb = self.audio_embeddings(audio, sample_rate)
        text_emb = self.text_embeddings(prompts).to(audio_emb.device)
        scores = (audio_emb * text_emb).sum(dim=-1)
        return scores.cpu().numpy().astype(np.float64), audio_emb.cpu().numpy()


def _windows(clip: np.ndarray) -> list[np.ndarray]:
    """Fixed non-overlapping CLAP windows of a 48 kHz clip."""
    size = int(CLAP_WINDOW_SECONDS * CLAP_SAMPLE_RATE)
    out = [clip[i:i + size] for i in range(0, len(clip), size)]
    if len(out) > 1 and len(out[-1]) < _MIN_TAIL_SECONDS * CLAP_SAMPLE_RATE:
        out.pop()
    return out
