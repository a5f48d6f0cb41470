"""Preset files written before extend_stride joined the audiocraft rendering still load; a wrong one does not."""

import copy
import json

import pytest

from objectives import DecodingParams
from optimizer.presets._loader import load_presets
from optimizer.presets._schema import PresetValidationError


def _document(params: DecodingParams, audiocraft: dict) -> dict:
    entry = {"trial": 3, "strategy": params.strategy, "params": params.to_dict(), "audiocraft": audiocraft,
             "transformers": params.to_transformers(),
             "scores": {"clap": {"mean": 0.3, "stderr": 0.01, "n": 4}, "repetition": {"mean": 0.1, "stderr": 0.01,
                                                                                      "n": 4}}}
    return {"schema_version": 2, "genre": "jazz", "generated_at": "2026-01-01T00:00:00+00:00",
            "provenance": {"tool": "t", "tool_version": "1", "study": "s", "model": "m", "backend": "transformers",
                           "clap": "c", "duration_s": 40, "replicates": 1, "prompts": ["p"],
                           "n_trials_complete": 6, "n_trials_feasible": 6},
            "objectives": [{"name": "clap", "direction": "maximize", "description": "d"},
                           {"name": "repetition", "direction": "minimize", "description": "d"}],
            "presets": {"balanced": entry, "max_clap": entry, "min_repetition": entry}, "baselines": {}}


def test_old_renderings_without_extend_stride_load_and_a_mismatch_is_refused(tmp_path):
    params = DecodingParams(temperature=0.9, top_k=100)
    old = {k: v for k, v in params.to_audiocraft().items() if k != "extend_stride"}
    path = tmp_path / "jazz.json"
    path.write_text(json.dumps(_document(params, old)))
    assert load_presets(path)["balanced"].params.extend_stride == 18.0
    wide = DecodingParams(temperature=0.9, top_k=100, extend_stride=10.0)
    wrong = copy.deepcopy(_document(wide, {k: v for k, v in wide.to_audiocraft().items() if k != "extend_stride"}))
    path.write_text(json.dumps(wrong))
    with pytest.raises(PresetValidationError, match="does not match its params"):
        load_presets(path)
    path.write_text(json.dumps(_document(wide, wide.to_audiocraft())))
    assert load_presets(path)["balanced"].to_audiocraft()["extend_stride"] == 10.0
