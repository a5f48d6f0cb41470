"""Prompt suffixes: a searched categorical dimension that conditions generation, not the CLAP target."""

import json

import numpy as np
import optuna
import pytest
import soundfile

from objectives import DecodingParams, Evaluator
from objectives.generation import TransformersMusicGen
from objectives.scoring import ClapScorer
from optimizer import SearchSpace, build_presets, load_presets, validate_presets, write_presets
from optimizer.search._genre import load_genre_file
from tests.optimizer.synthetic import make_study

SUFFIXES = ("high quality, 48 kHz", "4/4 time")


def test_suffix_is_applied_to_prompts_and_left_out_of_the_renderings():
    params = DecodingParams(temperature=0.8, prompt_suffix="high quality, 48 kHz")
    assert params.apply_suffix("lo-fi beat") == "lo-fi beat, high quality, 48 kHz"
    assert DecodingParams().apply_suffix("lo-fi beat") == "lo-fi beat"
    assert "prompt_suffix" not in params.to_audiocraft() and "prompt_suffix" not in params.to_transformers()
    assert DecodingParams.from_dict(params.to_dict()) == params
    assert "prompt_suffix" not in DecodingParams().to_dict()  # files without suffixes keep their shape
    assert params.canonical().prompt_suffix == params.prompt_suffix
    for bad in ("two\nlines", " padded", "x" * 201, 3):
        with pytest.raises(ValueError, match="prompt_suffix"):
            DecodingParams(prompt_suffix=bad)


def test_space_searches_no_suffix_and_each_suffix_and_enqueues_them():
    space = SearchSpace(prompt_suffixes=SUFFIXES)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        params = space.suggest(trial)
        assert params.prompt_suffix == trial.params["prompt_suffix"]
        seen.add(params.prompt_suffix)
        study.tell(trial, 0.0)
    assert seen == {"", *SUFFIXES}
    wanted = DecodingParams(temperature=0.9, top_k=60, prompt_suffix="4/4 time")
    study.enqueue_trial(space.trial_params(wanted))
    assert space.suggest(study.ask()) == wanted
    with pytest.raises(ValueError, match="not one of"):
        space.trial_params(DecodingParams(prompt_suffix="studio quality"))
    with pytest.raises(ValueError, match="searches none"):
        SearchSpace().trial_params(wanted)
    assert "prompt_suffix" not in SearchSpace().trial_params(DecodingParams())
    with pytest.raises(ValueError, match="repeat"):
        SearchSpace(prompt_suffixes=("a", "a"))


def test_genre_files_declare_suffixes(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('name = "g"\nprompts = ["a"]\n[search_space]\nprompt_suffixes = ["high quality, 48 kHz"]\n')
    assert load_genre_file(path).search_space.prompt_suffixes == ("high quality, 48 kHz",)


class _Recording:
    """A generator wrapper that records the prompts it is given."""

    def __init__(self, inner):
        self.inner, self.prompts = inner, []

    def generate(self, prompts, params, seeds, **kwargs):
        self.prompts.extend(prompts)
        return self.inner.generate(prompts, params, seeds, **kwargs)


def test_generation_sees_the_suffix_and_clap_judges_the_bare_prompt(debug_musicgen):
    from objectives._debug import build_debug_clap

    model, processor = debug_musicgen
    generator = _Recording(TransformersMusicGen(model, processor, name="debug", max_batch=8))
    clap = ClapScorer(*build_debug_clap(), name="debug")
    evaluator = Evaluator(generator=generator, clap=clap, prompts=["lo-fi beat"], replicates=2, duration=0.5)
    plain, suffixed = evaluator.evaluate_many([DecodingParams(), DecodingParams(prompt_suffix="4/4 time")])
    assert generator.prompts == ["lo-fi beat"] * 2 + ["lo-fi beat, 4/4 time"] * 2
    assert set(clap._text_cache) == {"lo-fi beat"}  # the suffixed text is never a CLAP target
    assert not np.array_equal(plain.audio.audio, suffixed.audio.audio)  # same seeds, other conditioning


def test_a_preset_that_wins_with_a_suffix_exports_and_generates_with_it(tmp_path, one_thread):
    from optimizer.cli._generate import main

    winner = DecodingParams(temperature=0.9, top_k=80, prompt_suffix="high quality, 48 kHz")
    study = make_study([(0.5, 0.1, {"params": winner}), (0.3, 0.05)])
    path = write_presets(build_presets(study, genre="jazz"), tmp_path / "jazz.json")
    validate_presets(json.loads(path.read_text()))
    preset = load_presets(path)["max_clap"]
    assert preset.params.prompt_suffix == "high quality, 48 kHz"
    out = tmp_path / "clip.wav"
    assert main(["--preset", f"{path}:max_clap", "smooth jazz", "--duration", "0.5", "-o", str(out),
                 "--device", "cpu"]) == 0
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["prompt"] == "smooth jazz"
    assert sidecar["conditioning_prompt"] == "smooth jazz, high quality, 48 kHz"
    assert soundfile.info(out).duration == pytest.approx(0.5, abs=0.05)
