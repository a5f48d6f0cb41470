"""``generate -o``: never overwrites what it did not create, refuses unusable outputs before the model loads,
and leaves no partial file on a full device."""

import json
import os

import pytest
import soundfile

from optimizer import build_presets, write_presets
from optimizer._files import write_files_atomic
from optimizer.cli._generate import main
from tests.mounts import tmpfs
from tests.optimizer.synthetic import make_study

NOT_A_MODEL = "./no-such-model-dir"  # loading it fails with its own message: an output error must come first


@pytest.fixture
def preset_file(tmp_path):
    return write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "out.json")


def _refused(capsys, argv, match):
    assert main([*argv, "--duration", "1", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_the_preset_file_is_never_the_sidecar_even_with_overwrite(tmp_path, preset_file, capsys):
    before = preset_file.read_bytes()
    for extra in ([], ["--overwrite"]):
        _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(tmp_path / "out.wav"), "--model", NOT_A_MODEL,
                          *extra], "would overwrite the preset file being read")
    link = tmp_path / "linked.json"
    for make in (os.symlink, os.link):
        make(preset_file, link)
        _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(tmp_path / "linked.wav"), "--overwrite",
                          "--model", NOT_A_MODEL], "would overwrite the preset file being read")
        link.unlink()
    assert preset_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


@pytest.mark.parametrize("existing", ["clip.wav", "clip.json"])
def test_existing_outputs_are_kept_unless_overwrite(tmp_path, preset_file, capsys, existing):
    out = tmp_path / "clip.wav"
    (tmp_path / existing).write_bytes(b"mine")
    before = _snapshot(tmp_path)
    _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(out), "--model", NOT_A_MODEL],
             "already exists; pass --overwrite")
    assert _snapshot(tmp_path) == before

    assert main(["--preset", str(preset_file), "x", "-o", str(out), "--model", "debug", "--overwrite",
                 "--duration", "0.5", "--device", "cpu"]) == 0
    assert soundfile.info(out).frames == 16_000
    assert json.loads(out.with_suffix(".json").read_text())["prompt"] == "x"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_unusable_output_paths_are_refused_before_the_model_loads(tmp_path, preset_file, capsys):
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "side.json").mkdir()
    (tmp_path / "plain").write_text("a file")
    cases = [
        (tmp_path / "folder.wav", "is a folder"),
        (tmp_path / "side.wav", "is a folder"),  # its sidecar name is a folder
        (tmp_path / "missing" / "out.wav", "does not exist"),
        (tmp_path / "plain" / "out.wav", "is not a folder"),
        (tmp_path / "folder.wav" / "..", ".wav file"),
    ]
    for extra in ([], ["--overwrite"]):
        for output, match in cases:
            _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(output), "--model", NOT_A_MODEL, *extra],
                     match)
    with tmpfs(tmp_path / "ro", readonly=True) as ro:
        _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(ro / "out.wav"), "--model", NOT_A_MODEL],
                 "is not writable")


def test_full_device_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, preset_file, capsys):
    with tmpfs(tmp_path / "small", size="64k") as small:
        out = small / "out.wav"
        err = _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(out), "--model", "debug"],
                       "No space left on device")
        assert "nothing was written" in err
        assert list(small.iterdir()) == []
        out.write_bytes(b"old clip")
        out.with_suffix(".json").write_bytes(b"old sidecar")
        _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(out), "--model", "debug", "--overwrite"],
                 "No space left on device")
        assert _snapshot(small) == {"out.wav": b"old clip", "out.json": b"old sidecar"}


def test_files_created_meanwhile_are_not_replaced(tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "a.json"
    second.write_bytes(b"appeared while the model ran")
    with pytest.raises(FileExistsError) as info:
        write_files_atomic({first: b"clip", second: b"sidecar"}, overwrite=False)
    assert info.value.filename == str(second)
    assert _snapshot(tmp_path) == {"a.json": b"appeared while the model ran"}


def test_a_race_between_check_and_write_keeps_the_other_file(tmp_path, preset_file, capsys, monkeypatch):
    out = tmp_path / "race.wav"
    from objectives.generation import TransformersMusicGen

    real = TransformersMusicGen.generate

    def generate_then_someone_writes(self, *args, **kwargs):
        clip = real(self, *args, **kwargs)
        out.with_suffix(".json").write_bytes(b"theirs")
        return clip

    monkeypatch.setattr(TransformersMusicGen, "generate", generate_then_someone_writes)
    _refused(capsys, ["--preset", str(preset_file), "x", "-o", str(out), "--model", "debug"],
             "was created while generating")
    assert _snapshot(tmp_path) == {"out.json": preset_file.read_bytes(), "race.json": b"theirs"}
