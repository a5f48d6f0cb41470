"""``--dtype``: ``optimize`` and ``generate`` accept the number formats the models load in
(objectives/_dtypes.py); an unknown one, or one the audiocraft backend would not honour, is one sentence and exit 2
before a model loads or a file is written; bfloat16 runs a debug search to its presets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from objectives import DTYPE_NAMES

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
OPTIMIZE = ["--genre", "jazz", "--model", "debug", "--trials", "1", "--prompts", "1", "--replicates", "1",
            "--duration", "0.2"]


def _preset(tmp_path: Path) -> Path:
    from optimizer import build_presets, write_presets
    from tests.optimizer.synthetic import make_study

    return write_presets(build_presets(make_study([(0.4, 0.1)]), genre="jazz"), tmp_path / "given" / "jazz.json")


def _run(command: str, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / command), *argv], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["optimize", "generate"])
def test_every_refused_dtype_is_one_sentence_and_nothing_written(tmp_path, command):
    preset = _preset(tmp_path)
    base = (OPTIMIZE if command == "optimize"
            else ["--preset", str(preset), "a tune", "-o", "out.wav", "--model", "debug", "--duration", "0.2"])
    refused = [["--dtype", name] for name in ("float64", "half", "bf16", "", "Float32")]
    # audiocraft chooses its own format: every explicit one is refused, with a checkpoint name it could load
    refused += [["--dtype", name, "--backend", "audiocraft", "--model", "facebook/musicgen-small"]
                for name in DTYPE_NAMES]
    failures = []
    for i, extra in enumerate(refused):
        work = tmp_path / f"run{i}"
        work.mkdir()
        result = _run(command, [*base, *extra], work)
        err = result.stderr.strip()
        if not (result.returncode == 2 and len(err.splitlines()) == 1 and "--dtype" in err
                and "Traceback" not in err and list(work.iterdir()) == []):
            failures.append(f"{extra}: exit {result.returncode}: {result.stderr[-500:]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
def test_a_bfloat16_search_records_its_format_and_a_resume_in_another_is_refused(tmp_path, monkeypatch):
    result = _run("optimize", [*OPTIMIZE, "--dtype", "bfloat16", "--presets-dir", "presets"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    presets = tmp_path / "presets" / "jazz.json"
    document = json.loads(presets.read_text())
    assert document["presets"] and document["provenance"]["dtype"] == "bfloat16"
    played = _run("generate", ["--preset", str(presets), "a tune", "-o", "out.wav", "--model", "debug",
                               "--duration", "0.2", "--dtype", "bfloat16"], tmp_path)
    assert played.returncode == 0, played.stderr[-2000:]
    import torch  # this machine's own answer: the note is shown exactly where bfloat16 has no arithmetic

    caps = torch.cpu.get_capabilities()
    slow = caps["architecture"] == "x86_64" and not (caps.get("avx512_bf16") or caps.get("amx_bf16"))
    assert played.stderr.count("note: this CPU has no bfloat16 arithmetic") == int(slow), played.stderr[-2000:]
    assert result.stderr.count("this CPU has no bfloat16 arithmetic") == int(slow), result.stderr[-2000:]
    assert (tmp_path / "out.wav").read_bytes()[:4] == b"RIFF"
    assert json.loads((tmp_path / "out.json").read_text())["dtype"] == "bfloat16"  # the tokens depend on it

    store = tmp_path / "optuna.db"
    before = store.read_bytes(), presets.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    more = [*OPTIMIZE[:5], "2", *OPTIMIZE[6:], "--presets-dir", "presets"]
    for other in (["--dtype", "float32"], []):  # auto is float32 on this CPU
        refused = _run("optimize", [*more, *other], tmp_path)
        err = refused.stderr.strip()  # refused before a model loads: no debug-model notice either
        assert refused.returncode == 2 and len(err.splitlines()) == 1, refused.stderr[-2000:]
        assert err.startswith("optimize: error: study 'jazz/debug' was decoded in bfloat16 and this run decodes in "
                              "float32") and err.endswith("(pass --dtype bfloat16 or --study-name NEW).")
        assert (store.read_bytes(), presets.read_bytes(), sorted(p.name for p in tmp_path.iterdir())) == before
    assert _export_in_process(monkeypatch, tmp_path) == ["bfloat16"]  # re-validated in the study's format
    refused = _run("optimize", [*OPTIMIZE, "--export-only", "--dtype", "float16", "--presets-dir", "presets"],
                   tmp_path)
    assert refused.returncode == 2 and "--dtype does not match study 'jazz/debug'" in refused.stderr
    resumed = _run("optimize", [*more, "--dtype", "bfloat16"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads(presets.read_text())["provenance"]["n_trials_complete"] == 2


def _export_in_process(monkeypatch, where: Path) -> list[str | None]:
    """Run ``optimize --export-only`` (no ``--dtype``) in this process and return the format of every MusicGen it
    loaded, read from the loaded decoder: the presets it writes carry the study's recorded format whatever
    loaded, so only the model says what the re-validation decoded in. A validation seed count the search did not
    use makes every candidate's validation missing from the study's cache, so a model must load."""
    import objectives
    from objectives.generation import number_format
    from optimizer.cli._optimize import main

    real, loaded = objectives.load_generator, []

    def spy(*args, **kwargs):
        generator = real(*args, **kwargs)
        loaded.append(number_format(generator))
        return generator

    monkeypatch.setattr(objectives, "load_generator", spy)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(where)
    assert main([*OPTIMIZE, "--export-only", "--validate-seeds", "1", "--presets-dir", "presets"]) == 0
    return loaded


def test_a_study_stored_before_the_format_was_recorded_resumes_in_any():
    from optimizer.search import StudySpec, check_same_setup

    spec = StudySpec(genre="jazz", model="debug", backend="transformers", clap="debug", duration=1.0, replicates=1,
                     base_seed=0, prompts=("a",), dtype="bfloat16")
    older = {k: v for k, v in spec.to_dict().items() if k != "dtype"}
    check_same_setup("jazz/debug", older, spec)  # no error: the old study does not say
    check_same_setup("jazz/debug", spec.to_dict(), spec)
    with pytest.raises(Exception, match="decoded in bfloat16 and this run decodes in float32"):
        check_same_setup("jazz/debug", spec.to_dict(), StudySpec(**{**spec.__dict__, "dtype": "float32"}))
    assert "dtype" not in StudySpec(**{**spec.__dict__, "dtype": None}).to_dict()


def test_the_run_layer_names_the_option_that_is_wrong():
    from optimizer._errors import UsageError
    from optimizer.run._models import check_backend_runs_model

    with pytest.raises(UsageError, match="--dtype must be"):
        check_backend_runs_model("debug", "transformers", "float64")
    with pytest.raises(UsageError, match="--dtype bfloat16 applies to the transformers backend"):
        check_backend_runs_model("facebook/musicgen-small", "audiocraft", "bfloat16")
    with pytest.raises(ValueError, match="backend must be one of") as info:
        check_backend_runs_model("debug", "onnx", "auto")
    assert "--dtype" not in str(info.value)
