"""Uploaded clips are FLAC: lossless at 16 bits, smaller than WAV on tonal audio, and the sheet stays cheap."""

import io
from dataclasses import replace

import numpy as np
import optuna
import pytest
import soundfile
from optuna_dashboard import get_note

from objectives import DecodingParams, Evaluator
from objectives.generation import GeneratedAudio, TransformersMusicGen
from objectives.scoring import ClapScorer
from optimizer.search._artifacts import CLIP_MIMETYPE, open_artifact_store, spectrogram_sheet, upload_trial_artifacts

RATE = 32_000


def _tonal(rows: int, seconds: float) -> np.ndarray:
    """Chords with a decaying envelope and a little noise: compressible like music, not a constant."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(0)
    out = []
    for r in range(rows):
        f = 110.0 * (1 + r)
        wave = sum(np.sin(2 * np.pi * f * m * t) / m for m in (1, 1.25, 1.5, 2))
        envelope = np.exp(-3 * (t % 0.5))
        out.append((0.2 * wave * envelope + 0.003 * rng.standard_normal(t.size)).astype(np.float32))
    return np.stack(out)


@pytest.fixture(scope="module")
def evaluation(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    evaluator = Evaluator(generator=TransformersMusicGen(model, processor, name="debug"),
                          clap=ClapScorer(*build_debug_clap(), name="debug"),
                          prompts=["smooth jazz trio, 92 BPM"], replicates=2, duration=0.5)
    generated = evaluator.evaluate(DecodingParams())
    # Keep the real scores and clip layout, swap in audio whose samples the test knows (with a value beyond
    # full scale, which the upload clips to +-1 like the WAV writer did).
    audio = _tonal(2, 2.0)
    audio[0, 100] = 1.7
    return replace(generated, audio=GeneratedAudio(audio=audio, sample_rate=RATE, codes=None))


def test_uploaded_clips_are_flac_and_decode_to_the_16_bit_samples(tmp_path, evaluation):
    store = open_artifact_store(tmp_path / "artifacts")
    study = optuna.create_study(directions=["maximize", "minimize"])
    trial = study.ask()
    ids = upload_trial_artifacts(trial, evaluation, store)
    assert len(ids) == 2
    meta = {a["artifact_id"]: a for a in _artifacts(study, trial)}
    for index, artifact_id in enumerate(ids):
        assert meta[artifact_id]["mimetype"] == CLIP_MIMETYPE == "audio/flac"
        data = (tmp_path / "artifacts" / artifact_id).read_bytes()
        assert data[:4] == b"fLaC"
        decoded, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        expected = evaluation.audio.audio[index].clip(-1.0, 1.0)
        assert rate == RATE and decoded.shape == expected.shape
        # Lossless up to the 16-bit quantisation a WAV would also apply: half a step at most.
        assert np.max(np.abs(decoded - expected)) <= 1.0 / 32768 + 1e-7
        wav = io.BytesIO()
        soundfile.write(wav, expected, RATE, subtype="PCM_16", format="WAV")
        assert len(data) < 0.8 * len(wav.getvalue())


def test_the_spectrogram_sheet_has_one_row_per_prompt_and_one_column_per_seed(evaluation):
    """Its cost is measured by benchmarks/time_to_presets.py (the "spectrogram sheet" share), not timed here."""
    from PIL import Image

    clips = tuple(replace(evaluation.clips[0], prompt_index=p, replicate=r) for p in range(12) for r in range(2))
    many = replace(evaluation, prompts=tuple(f"prompt {p}" for p in range(12)), clips=clips,
                   audio=GeneratedAudio(audio=_tonal(24, 5.0), sample_rate=RATE, codes=None))
    png = spectrogram_sheet(many)
    width, height = Image.open(io.BytesIO(png)).size
    few = replace(evaluation, prompts=("prompt 0",), clips=clips[:2],
                  audio=GeneratedAudio(audio=_tonal(2, 5.0), sample_rate=RATE, codes=None))
    one_row = Image.open(io.BytesIO(spectrogram_sheet(few))).size
    assert width == one_row[0] and height == 12 * one_row[1]


def _artifacts(study, trial):
    from optuna.artifacts import get_all_artifact_meta

    return [{"artifact_id": m.artifact_id, "mimetype": m.mimetype} for m in get_all_artifact_meta(trial)]


LONG_PROMPT = ("Slow romantic jazz ballad with solo tenor saxophone over lush piano chords and soft brushed drums, "
               "intimate late-night mood, 60 BPM, in E-flat major")


@pytest.mark.parametrize("params", [DecodingParams(), DecodingParams(top_k=0, top_p=0.9),
                                    DecodingParams(use_sampling=False)], ids=["top_k", "top_p", "greedy"])
def test_the_note_fits_the_dashboard_page_and_names_only_the_parameters_in_use(tmp_path, evaluation, params):
    """optuna-dashboard does not wrap table cells: a full prompt in the score table pushed the note past the right
    edge at 1280 px (seen in a screenshot). Table rows stay short; prompts are cut at a word boundary."""
    store = open_artifact_store(tmp_path / "artifacts")
    study = optuna.create_study(directions=["maximize", "minimize"])
    trial = study.ask()
    upload_trial_artifacts(trial, replace(evaluation, prompts=[LONG_PROMPT], params=params), store)
    note = get_note(trial)
    rows = [line for line in note.splitlines() if line.startswith("|")]
    assert rows and all(len(line) <= 80 for line in rows), rows
    assert "| Slow romantic jazz ballad with solo tenor…" in note  # cut at a word, not mid-word
    assert ("**top_k**" in note) == (params.strategy == "top_k")
    assert ("**top_p**" in note) == (params.strategy == "top_p")
    assert ("**temperature**" in note) == (params.strategy != "greedy")
