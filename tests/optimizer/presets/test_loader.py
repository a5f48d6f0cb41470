"""The preset loader other programs use: round trip, rejection, and no torch needed."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from objectives import DecodingParams
from optimizer import (
    PresetFileError,
    PresetValidationError,
    build_presets,
    load_genre_presets,
    load_presets,
    resolve_preset,
    write_presets,
)
from optimizer.presets._schema import SCHEMA_VERSION
from tests.optimizer.synthetic import make_study


@pytest.fixture
def presets_dir(tmp_path):
    nucleus = DecodingParams(temperature=0.8, top_k=0, top_p=0.92, cfg_coef=2.5)
    study = make_study([(0.30, 0.10, {"baseline": "musicgen_default", "params": DecodingParams()}),
                        (0.50, 0.40), (0.45, 0.15, {"params": nucleus})])
    write_presets(build_presets(study, genre="jazz"), tmp_path / "jazz.json")
    return tmp_path


def test_round_trip_gives_typed_presets_that_render_both_engines(presets_dir):
    loaded = load_genre_presets("jazz", presets_dir)
    raw = json.loads((presets_dir / "jazz.json").read_text())
    assert loaded.genre == "jazz" and loaded.schema_version == SCHEMA_VERSION
    assert set(loaded.presets) == set(raw["presets"])
    for name, preset in loaded.presets.items():
        assert preset.params == DecodingParams.from_dict(raw["presets"][name]["params"])
        assert preset.to_audiocraft() == raw["presets"][name]["audiocraft"]
        assert preset.to_transformers() == raw["presets"][name]["transformers"]
        assert preset.scores["clap"].n == 4
    balanced = loaded["balanced"]
    assert balanced.params.top_p == 0.92 and balanced.to_transformers()["top_k"] == 0
    assert loaded["musicgen_default"].params == DecodingParams()


def test_preset_references(presets_dir):
    path = presets_dir / "jazz.json"
    assert resolve_preset(f"{path}:max_clap")[1].name == "max_clap"
    assert resolve_preset(str(path))[1].name == "balanced"
    with pytest.raises(PresetFileError, match="no preset named 'loud'; known: balanced"):
        resolve_preset(f"{path}:loud")


def _rewrite(presets_dir, change):
    path = presets_dir / "jazz.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


def test_future_schema_version_is_refused_clearly(presets_dir):
    path = _rewrite(presets_dir, lambda d: d.update(schema_version=SCHEMA_VERSION + 1))
    with pytest.raises(PresetValidationError, match=rf"version {SCHEMA_VERSION + 1} is not supported.*upgrade"):
        load_presets(path)


def test_rendering_that_disagrees_with_params_is_refused(presets_dir):
    path = _rewrite(presets_dir, lambda d: d["presets"]["balanced"]["transformers"].update(top_k=50))
    with pytest.raises(PresetValidationError, match="'presets/balanced/transformers' does not match its params"):
        load_presets(path)


def test_schema_violation_names_file_and_field(presets_dir):
    path = _rewrite(presets_dir, lambda d: d["presets"]["max_clap"]["params"].update(cfg_coef="high"))
    with pytest.raises(PresetValidationError) as info:
        load_presets(path)
    assert str(path) in str(info.value) and "'presets/max_clap/params/cfg_coef'" in str(info.value)


def test_unreadable_inputs(tmp_path):
    with pytest.raises(PresetFileError, match="no such preset file"):
        load_presets(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PresetFileError, match="not a JSON file"):
        load_presets(tmp_path / "bad.json")
    with pytest.raises(PresetFileError, match="not a genre name"):
        load_genre_presets("../etc/passwd", tmp_path)


def test_a_second_program_loads_presets_without_torch(presets_dir):
    """Import only the loader in a fresh interpreter where importing torch (or transformers) fails."""
    program = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None
        sys.modules["transformers"] = None
        from optimizer import load_presets
        preset = load_presets({str(presets_dir / "jazz.json")!r})["balanced"]
        print(preset.to_audiocraft())
        print(preset.to_transformers())
        assert "torch" not in [m for m, v in sys.modules.items() if v is not None]
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert result.returncode == 0, result.stderr
    audiocraft, transformers = result.stdout.strip().splitlines()
    assert "'top_p': 0.92" in audiocraft and "'do_sample': True" in transformers


def test_version_1_file_with_a_bare_diversity_still_loads_and_exposes_it(presets_dir):
    def to_version_1(document):
        document["schema_version"] = 1
        for entry in [*document["presets"].values(), *document["baselines"].values()]:
            entry["scores"]["diversity"] = 0.25

    loaded = load_presets(_rewrite(presets_dir, to_version_1))
    diversity = loaded["balanced"].scores["diversity"]
    assert diversity.mean == 0.25 and diversity.n == 2 and diversity.stderr != diversity.stderr  # NaN: unknown


def test_old_study_with_a_bare_diversity_exports_it_with_an_unknown_stderr(presets_dir):
    raw = json.loads((presets_dir / "jazz.json").read_text())
    # The synthetic study predates diversity's standard error: its mean is kept, the spread is unknown (null).
    diversity = raw["presets"]["balanced"]["scores"]["diversity"]
    assert diversity["mean"] == 0.1 and diversity["stderr"] is None
    assert load_presets(presets_dir / "jazz.json")["balanced"].scores["diversity"].mean == 0.1


def test_greedy_presets_round_trip_with_a_strict_transformers_rendering(tmp_path):
    """A study whose front holds greedy configurations (genres may enable greedy) writes a file the schema and the
    loader accept, and whose transformers rendering passes transformers' strict validation; files written with the
    earlier greedy rendering (top_k=0, top_p=1.0, temperature=1.0) still load."""
    from transformers import GenerationConfig

    greedy = DecodingParams(use_sampling=False, cfg_coef=4.0)
    study = make_study([(0.30, 0.10, {"baseline": "musicgen_default", "params": DecodingParams()}),
                        (0.50, 0.40, {"params": greedy}), (0.45, 0.15, {"params": DecodingParams(temperature=0.0)})])
    write_presets(build_presets(study, genre="jazz"), tmp_path / "jazz.json")
    loaded = load_presets(tmp_path / "jazz.json")
    greedy_presets = [p for p in loaded.presets.values() if p.params.is_greedy]
    assert len(greedy_presets) == 2
    for preset in greedy_presets:
        GenerationConfig(**preset.to_transformers()).validate(strict=True)

    def legacy(document):
        for entry in document["presets"].values():
            if entry["transformers"]["do_sample"] is False:
                entry["transformers"].update(temperature=1.0, top_k=0, top_p=1.0)
    assert load_presets(_rewrite(tmp_path, legacy)).presets.keys() == loaded.presets.keys()

    sampling_with_null = _rewrite(tmp_path, lambda d: d["baselines"]["musicgen_default"]["transformers"]
                                  .update(top_k=None))
    with pytest.raises(PresetValidationError, match="baselines/musicgen_default/transformers"):
        load_presets(sampling_with_null)


def test_a_preset_file_is_a_full_read_only_mapping_of_its_names(presets_dir):
    """Another program uses a loaded file as a ``Mapping``: every part of the protocol, and no way to change it."""
    from collections.abc import Mapping
    from dataclasses import FrozenInstanceError

    from optimizer import UnknownPresetError

    loaded = load_presets(presets_dir / "jazz.json")
    raw = json.loads((presets_dir / "jazz.json").read_text())
    names = [*raw["presets"], *raw["baselines"]]
    assert isinstance(loaded, Mapping)
    assert "balanced" in loaded and "musicgen_default" in loaded
    assert "loud" not in loaded and 0 not in loaded and None not in loaded
    assert list(loaded) == names and len(loaded) == len(names) and list(loaded.keys()) == names
    assert [p.name for p in loaded.values()] == names
    assert [(n, p.name) for n, p in loaded.items()] == [(n, n) for n in names]
    assert loaded.get("balanced") is loaded["balanced"] and loaded.get("loud") is None
    assert loaded.get("loud", "fallback") == "fallback"
    assert loaded == dict(loaded.items()) and loaded == load_presets(presets_dir / "jazz.json")
    assert loaded != {name: loaded[name] for name in names[1:]}
    with pytest.raises(KeyError) as missing:
        loaded["loud"]
    assert isinstance(missing.value, UnknownPresetError) and isinstance(missing.value, PresetFileError)
    assert str(missing.value) == f"{presets_dir / 'jazz.json'}: no preset named 'loud'; known: {', '.join(names)}."
    with pytest.raises(TypeError):
        loaded["balanced"] = loaded["max_clap"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del loaded["balanced"]  # type: ignore[attr-defined]
    for section in (loaded.presets, loaded.baselines, loaded.provenance):
        with pytest.raises(TypeError):
            section["balanced"] = None  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        loaded.presets = {}  # type: ignore[misc]
    assert not hasattr(loaded, "pop") and not hasattr(loaded, "update")


def test_the_mapping_works_in_a_program_without_torch_numpy_or_optuna(presets_dir):
    program = textwrap.dedent(f"""
        import sys
        for blocked in ("torch", "transformers", "numpy", "optuna"):
            sys.modules[blocked] = None
        from optimizer import load_presets
        presets = load_presets({str(presets_dir / "jazz.json")!r})
        assert "balanced" in presets and "loud" not in presets and presets.get("loud") is None
        print(len(presets), sorted(presets), sorted(dict(presets.items())) == sorted(presets.keys()))
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    assert result.returncode == 0, result.stderr
    count, rest = result.stdout.split(" ", 1)
    assert int(count) == 4 and "'balanced'" in rest and "'musicgen_default'" in rest and rest.strip().endswith("True")
