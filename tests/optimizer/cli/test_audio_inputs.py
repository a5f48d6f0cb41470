"""Every audio input (``optimize --melody``, ``--continuation``, ``--reference``, ``generate --melody`` and
``--continuation``) goes through one validator (objectives/_audio_input.py): each kind of bad file is one
sentence and exit 2 before any model loads, with no warning, no traceback and nothing
written; a long file costs only what is used."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest
import soundfile

from objectives._audio_input import AudioInputError, read_audio

ROOT = Path(__file__).resolve().parents[3]
SR = 32_000


def _tone(seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def _zero_channel_wav() -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 0, SR, 0, 0, 16)  # PCM, 0 channels
    data = b"\0" * 3200
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _bad_file(kind: str, path: Path) -> Path:
    """Write one bad audio file of ``kind`` at ``path`` (nothing for ``missing``)."""
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not audio\n")
    elif kind == "truncated":
        soundfile.write(path, _tone(2.0), SR)
        path.write_bytes(path.read_bytes()[:20])  # cut inside the fmt chunk
    elif kind == "rate_1hz":
        soundfile.write(path, np.zeros(12, dtype=np.float32), 1)  # 12 s at 1 Hz
    elif kind in ("nan", "inf"):
        wave = _tone(12.0)
        wave[1000] = np.nan if kind == "nan" else np.inf
        soundfile.write(path, wave, SR, subtype="FLOAT")
    elif kind == "short":
        soundfile.write(path, _tone(0.1), SR)
    elif kind == "zero_channels":
        path.write_bytes(_zero_channel_wav())
    return path


KINDS = ("missing", "empty", "text", "truncated", "rate_1hz", "nan", "inf", "short", "zero_channels")
WORDS = {"missing": "no such file", "empty": "cannot read audio file", "text": "cannot read audio file",
         "truncated": "cannot read audio file", "rate_1hz": "sample rate of 1 hz", "nan": "nan or infinite",
         "inf": "nan or infinite", "short": "lasts 0.10 s", "zero_channels": "audio file"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_validator_refuses_every_bad_kind_with_one_sentence(tmp_path, kind, recwarn):
    path = _bad_file(kind, tmp_path / "in.wav")
    with pytest.raises(AudioInputError) as caught:
        read_audio(path, SR, min_seconds=1.0)
    message = str(caught.value)
    assert WORDS[kind] in message.lower() and str(path) in message and len(message.splitlines()) == 1, message
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


def test_a_long_file_is_read_only_as_far_as_it_is_used(tmp_path, monkeypatch):
    from optimizer._errors import UsageError
    from optimizer.cli._conditioning import check_conditioning, read_melodies

    path = tmp_path / "long.wav"
    soundfile.write(path, np.tile(_tone(1.0, 8000), 20 * 60), 8000, subtype="PCM_16")  # 20 minutes at 8 kHz
    frames_read = []
    real_read = soundfile.SoundFile.read  # what soundfile.read and librosa.load both decode through

    def reading(self, frames=-1, *args, **kwargs):
        data = real_read(self, frames, *args, **kwargs)
        frames_read.append(len(data))
        return data

    monkeypatch.setattr(soundfile.SoundFile, "read", reading)
    (melody,) = read_melodies(Namespace(melody=[path]))
    assert 0 < sum(frames_read) <= 31 * 8000  # the 30 s the chroma uses (+1 s margin), not 20 minutes
    assert len(melody) <= 31 * SR
    frames_read.clear()
    args = Namespace(melody=None, continuation=[path], duration=5.0, model="debug")
    with pytest.raises(UsageError, match=r"lasts 1200\.0 s but at most 25 s fit"):
        check_conditioning(args)
    assert frames_read == []  # refused from the header: not one sample decoded


def test_the_part_read_gives_the_chroma_of_the_whole_file(tmp_path):
    import librosa

    from objectives._chroma import melody_chroma
    from optimizer.cli._conditioning import read_melodies

    sr = 44_100
    t = np.arange(40 * sr) / sr
    wave = (0.3 * np.sin(2 * np.pi * (220 + 30 * (np.floor(t / 0.37) % 7)) * t)).astype(np.float32)
    path = tmp_path / "melody.wav"
    soundfile.write(path, wave, sr, subtype="FLOAT")
    (part,) = read_melodies(Namespace(melody=[path]))
    whole = librosa.resample(soundfile.read(path, dtype="float32")[0], orig_sr=sr, target_sr=SR,
                             res_type="soxr_hq")  # the whole file, as librosa.load read it before
    np.testing.assert_array_equal(melody_chroma(part)[:235], melody_chroma(whole)[:235])  # 235: chroma_length


def _preset(tmp_path: Path) -> Path:
    from optimizer import build_presets, write_presets
    from tests.optimizer.synthetic import make_study

    return write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "given" / "jazz.json")


def _argv(option: str, target: Path, preset: Path) -> list[str]:
    if option.startswith("generate"):
        return ["generate", "--preset", str(preset), "a tune", "-o", "out.wav", "--model", "debug",
                "--duration", "1", option.split()[-1], str(target)]
    flag = option.split()[-1]
    return ["optimize", "--genre", "jazz", "--model", "debug", "--duration", "1", "--prompts", "2",
            "--replicates", "1", flag, str(target)]


OPTIONS = ("optimize --melody", "optimize --continuation", "optimize --reference", "generate --melody",
           "generate --continuation")


@pytest.mark.slow
@pytest.mark.parametrize("option", OPTIONS)
def test_every_audio_option_refuses_every_bad_kind_before_anything_is_written(tmp_path, option):
    preset = _preset(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "MGOPT_CACHE_DIR": str(tmp_path / "cache")}
    bindir = Path(sys.executable).parent
    failures = []
    for kind in KINDS:
        work = tmp_path / kind
        (work / "inputs").mkdir(parents=True)
        if option.endswith("--reference"):
            target = work / "inputs" if kind != "missing" else work / "no-such-folder"
            _bad_file(kind, work / "inputs" / "take.wav")
        else:
            target = _bad_file(kind, work / "inputs" / "in.wav")
        before = sorted(p.relative_to(work) for p in work.rglob("*"))
        argv = _argv(option, target, preset)
        result = subprocess.run([str(bindir / argv[0]), *argv[1:]], cwd=work, env=env, capture_output=True,
                                text=True, timeout=300)
        err = result.stderr.strip()
        flag = option.split()[-1]
        ok = (result.returncode == 2 and len(err.splitlines()) == 1 and f"error: {flag}" in err
              and "Traceback" not in err and "warn" not in err.lower() and not result.stdout.strip()
              and sorted(p.relative_to(work) for p in work.rglob("*")) == before
              and not (tmp_path / "cache").exists())
        if not ok:
            failures.append(f"{kind}: exit {result.returncode}: {result.stderr[-600:]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
def test_a_two_minute_continuation_is_refused_from_its_header(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.tile(_tone(1.0, 8000), 120), 8000, subtype="PCM_16")
    result = subprocess.run([str(Path(sys.executable).parent / "optimize"), "--genre", "jazz", "--model", "debug",
                             "--continuation", str(path)], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert result.returncode == 2 and "lasts 120.0 s but at most 25 s fit" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.wav"]


@pytest.mark.slow
def test_reference_with_fewer_clips_than_fad_needs_is_refused_before_the_study(tmp_path):
    folder = tmp_path / "ref"
    folder.mkdir()
    soundfile.write(folder / "a.wav", _tone(4.0), SR)
    result = subprocess.run([str(Path(sys.executable).parent / "optimize"), "--genre", "jazz", "--model", "debug",
                             "--duration", "1", "--prompts", "1", "--replicates", "1", "--reference", str(folder)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
                                 "MGOPT_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 2, result.stderr
    assert "--reference needs at least 2 clips per trial for FAD" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref"]
