"""What a reviewer sees of a trial in optuna-dashboard: its clips, a spectrogram sheet and a note."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import soundfile
from optuna.artifacts import FileSystemArtifactStore, upload_artifact
from optuna_dashboard import save_note
from optuna_dashboard.artifact import get_artifact_path

from objectives import Evaluation, registered
from optimizer.search._racing import Stopped

__all__ = ["CLIP_MIMETYPE", "default_artifact_dir", "open_artifact_store", "spectrogram_sheet",
           "upload_trial_artifacts"]

CLIP_MIMETYPE = "audio/flac"
"""The media type of uploaded clips."""


def default_artifact_dir(storage: str) -> Path:
    """``artifacts/`` beside a SQLite or journal file; ``./artifacts`` for a database server."""
    from optimizer.search._study import storage_file

    path = storage_file(storage)
    return (path.parent if path is not None else Path(".")) / "artifacts"


def open_artifact_store(folder: Path) -> FileSystemArtifactStore:
    """Optuna's file-system artifact store in ``folder`` (created if missing).

    Raises:
        OSError: the folder cannot be created.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(folder))


SHEET_MELS = 64
"""Mel bands per spectrogram in the sheet (librosa's mel filter bank; 2048-sample window, hop 512)."""


def spectrogram_sheet(evaluation: Evaluation) -> bytes:
    """A PNG of the log-mel spectrograms of a trial's clips, one row per prompt, one column per seed: 3.2 x 1.8
    inches per clip at 80 dpi, dB relative to each clip's peak (at most 80 dB down; the colours span each clip's
    own range, as ``specshow`` did), mel bands labelled in kHz.

    Drawn as images on a fixed grid (``imshow``, margins in inches) rather than ``librosa.display.specshow`` with
    ``tight_layout``: the layout solver and the mesh drawing were most of the sheet's cost, about 2 s per trial of
    24 clips (``benchmarks/waste_costs.py``'s "spectrogram sheet").
    """
    import librosa
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prompts = len(evaluation.prompts)
    replicates = max(c.replicate for c in evaluation.clips) + 1
    rate = evaluation.audio.sample_rate
    width, height = 3.2 * replicates, 1.8 * prompts
    fig, axes = plt.subplots(prompts, replicates, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=0.55 / width, right=1 - 0.1 / width, bottom=0.4 / height, top=1 - 0.22 / height,
                        wspace=0.12, hspace=0.45)
    centres = librosa.mel_frequencies(SHEET_MELS + 2, fmax=rate / 2)[1:-1]  # each band's centre, Hz
    ticks = list(range(0, SHEET_MELS + 1, SHEET_MELS // 4))
    for ax in axes.flat:
        ax.set_axis_off()
    for clip, wave in zip(evaluation.clips, evaluation.audio.audio, strict=True):
        ax = axes[clip.prompt_index][clip.replicate]
        ax.set_axis_on()
        mel = librosa.feature.melspectrogram(y=wave, sr=rate, n_mels=SHEET_MELS)
        db = librosa.power_to_db(mel, ref=np.max, top_db=80.0)
        ax.imshow(db, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                  extent=(0.0, len(wave) / rate, 0.0, float(SHEET_MELS)))
        ax.set_yticks(ticks, [f"{centres[min(t, SHEET_MELS - 1)] / 1000:.1f}k" for t in ticks], fontsize=6)
        ax.tick_params(axis="x", labelsize=6)
        ax.set_title(f"prompt {clip.prompt_index}, seed {clip.replicate}: CLAP {clip.clap:.2f}, "
                     f"rep {clip.repetition:.2f}", fontsize=7)
        if clip.replicate:
            ax.tick_params(axis="y", labelleft=False)
        if clip.prompt_index < prompts - 1:
            ax.tick_params(axis="x", labelbottom=False)
        else:
            ax.set_xlabel("time (s)", fontsize=6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


def upload_trial_artifacts(trial: optuna.Trial, evaluation: Evaluation, store: FileSystemArtifactStore, *,
                           clip_indices: Sequence[int] | None = None, stopped: Stopped | None = None) -> list[str]:
    """Upload the clips (``audio/flac``, playable in the trial page) and a spectrogram sheet (``image/png``),
    and save a Markdown note with the configuration, the scores per prompt and the sheet.

    Clips are 16-bit FLAC: lossless for the 16-bit PCM a WAV would hold, about half its size on music (white
    noise does not compress), and every current browser plays it. ``--save-audio`` still writes WAV.

    Args:
        trial: the trial the artifacts belong to.
        evaluation: its evaluation (clips and scores).
        store: the artifact store.
        clip_indices: which clips to upload, as indices into ``evaluation.clips``; None (default) for all.
            The sheet and the note always cover every clip.
        stopped: racing stopped the trial (``evaluation`` then holds the clips so far): the note says so, at which
            stage and why, and that its scores are partial.

    Returns:
        The artifact ids of the uploaded clips, in the order of ``clip_indices``.

    Raises:
        OSError: the artifact folder is not writable or the disk is full (the trial then fails).
        IndexError: a clip index is out of range.
    """
    chosen = range(len(evaluation.clips)) if clip_indices is None else clip_indices
    with tempfile.TemporaryDirectory(prefix="mgopt-artifacts-") as tmp:
        clips = []
        for index in chosen:
            clip, wave = evaluation.clips[index], evaluation.audio.audio[index]
            path = Path(tmp) / f"trial{trial.number:04d}_p{clip.prompt_index:02d}_r{clip.replicate:02d}.flac"
            soundfile.write(path, wave.clip(-1.0, 1.0), evaluation.audio.sample_rate, format="FLAC", subtype="PCM_16")
            clips.append((clip, upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial,
                                                mimetype=CLIP_MIMETYPE)))
        sheet = Path(tmp) / f"trial{trial.number:04d}_spectrograms.png"
        sheet.write_bytes(spectrogram_sheet(evaluation))
        sheet_id = upload_artifact(artifact_store=store, file_path=str(sheet), study_or_trial=trial,
                                   mimetype="image/png")
    save_note(trial, _note(trial, evaluation, sheet_id, clips, stopped))
    return [artifact_id for _, artifact_id in clips]


def _measured(value: Any) -> str:
    """``mean ± stderr`` of a score summary, or a plain number, to 3 decimals."""
    return f"{value.mean:.3f} ± {value.stderr:.3f}" if hasattr(value, "mean") else f"{float(value):.3f}"


_NOTE_PROMPT_CHARS = 48
"""Longest prompt text in the note's score table: optuna-dashboard does not wrap table cells, so a full prompt
(often 120+ characters) pushed the table and the whole note past the right edge at 1280 px."""


def _short(text: str, limit: int = _NOTE_PROMPT_CHARS) -> str:
    """``text`` cut at the last word boundary within ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def _stop_line(stop: Stopped) -> list[str]:
    """The note's line for a trial racing stopped: stopped, not failed, with its stage and why."""
    why = ("a clip is degenerate (infeasible)" if stop.verdict == "infeasible" else
           f"dominated by a fully evaluated trial at one-sided level {stop.level:g}")
    return [f"**stopped by racing** at stage {stop.stage}/{stop.stages} after {len(stop.evaluation.clips)} clips: "
            f"{why}. The scores below are partial; a stopped trial is never a preset.", ""]


def _note(trial: optuna.Trial, evaluation: Evaluation, sheet_id: str, clips: list, stop: Stopped | None = None
          ) -> str:
    p = evaluation.params
    used = {"temperature": f"{p.temperature:.3f}", "top_k": str(p.top_k), "top_p": f"{p.top_p:.3f}",
            "cfg_coef": f"{p.cfg_coef:.2f}"}
    if p.strategy != "top_k":
        del used["top_k"]
    if p.strategy != "top_p":
        del used["top_p"]
    if p.strategy == "greedy":
        del used["temperature"]
    lines = [
        f"## Trial {trial.number}: {p.strategy}" + (" (stopped)" if stop is not None else ""),
        "",
        *(_stop_line(stop) if stop is not None else []),
        " · ".join(f"**{name}** {value}" for name, value in used.items())
        + (" · **two_step_cfg**" if p.two_step_cfg else ""),
        "",
        " · ".join(f"**{o.label}** {_measured(o.read(evaluation))}" for o in registered()
                   if o.read is not None and o.read(evaluation) is not None),
        "",
        f"**feasible** {'yes' if evaluation.feasible else 'no'} "
        f"({', '.join(f'{k} {v:+.3f}' for k, v in evaluation.constraints.items())})",
        "",
        "| prompt | CLAP | repetition |",
        "|---|---|---|",
        *[f"| {_short(str(row['prompt']))} | {row['clap']:.3f} | {row['repetition']:.3f} |"
          for row in evaluation.per_prompt()],
        "",
        f"![spectrograms]({get_artifact_path(trial, sheet_id)})",
        "",
        "Clips (also in the artifacts panel, with a player):",
        *[f"- [prompt {c.prompt_index}, seed {c.replicate}]({get_artifact_path(trial, artifact_id)})"
          for c, artifact_id in clips],
    ]
    return "\n".join(lines)
