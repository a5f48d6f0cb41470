"""``generate --preset``: the optimizer's generation code, with the preset recorded in the file."""

import json

import numpy as np
import pytest
import soundfile

from objectives import DecodingParams
from objectives.generation import TransformersMusicGen
from optimizer import build_presets, write_presets
from optimizer.cli._generate import main
from tests.optimizer.synthetic import make_study


@pytest.fixture
def preset_file(tmp_path):
    nucleus = DecodingParams(temperature=0.9, top_k=0, top_p=0.9, cfg_coef=2.0)
    study = make_study([(0.4, 0.1, {"params": nucleus})])
    return write_presets(build_presets(study, genre="jazz"), tmp_path / "presets" / "jazz.json")


def test_generates_the_same_clip_as_the_optimizer_and_records_provenance(tmp_path, preset_file, debug_musicgen,
                                                                         one_thread):
    out = tmp_path / "out.wav"
    code = main(["--preset", f"{preset_file}:balanced", "smooth jazz trio, 90 BPM", "--duration", "1.0",
                 "-o", str(out), "--seed", "3", "--device", "cpu"])
    assert code == 0
    audio, rate = soundfile.read(out, dtype="float32")
    assert rate == 32_000 and len(audio) == 50 * 640
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["preset"]["name"] == "balanced" and sidecar["seed"] == 3 and sidecar["model"] == "debug"
    assert sidecar["prompt"] == "smooth jazz trio, 90 BPM"
    assert json.loads(soundfile.SoundFile(out).comment) == sidecar

    model, processor = debug_musicgen
    reference = TransformersMusicGen(model, processor, name="debug").generate(
        ["smooth jazz trio, 90 BPM"], [DecodingParams.from_dict(sidecar["params"])], [3], duration=1.0)
    expected = np.round(reference.audio[0].clip(-1, 1) * 32767) / 32767  # PCM_16 rounding
    np.testing.assert_allclose(audio, expected, atol=2 / 32767)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--preset", "missing.json", "x"], "no such preset file"),
        (["--preset", "{preset}:loud", "x"], "no preset named 'loud'"),
        (["--preset", "{preset}", ""], "prompt must have"),
        (["--preset", "{preset}", "x", "--duration", "0"], "--duration"),
        (["--preset", "{preset}", "x", "-o", "/no/such/dir/out.wav"], "does not exist"),
        (["--preset", "{preset}", "x", "-o", "{tmp}/out.mp3"], ".wav"),
        (["--preset", "{preset}", "x", "--model", "facebook/not-here"], "save_pretrained (to --model)"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, preset_file, capsys, argv, match):
    argv = [a.format(preset=preset_file, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.wav"))
