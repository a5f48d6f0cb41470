"""The decode loop against transformers' own generate, seed independence, and loading from a directory."""

import numpy as np
import pytest
import torch

from objectives import DecodingParams
from objectives._loading import load_clap, load_generator
from objectives.generation import ModelLoadError, TransformersMusicGen

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)


@pytest.fixture(scope="module")
def generator(debug_musicgen):
    model, processor = debug_musicgen
    return TransformersMusicGen(model, processor, name="debug", max_batch=8)


def test_greedy_decoding_reproduces_transformers_generate(generator, debug_musicgen):
    model, processor = debug_musicgen
    prompts = ["smooth jazz trio, 92 BPM", "epic orchestral trailer with brass and choir"]
    for cfg in (1.0, 3.0):
        inputs = processor(text=prompts, padding=True, return_tensors="pt")
        frames = 30
        reference = model.generate(**inputs, do_sample=False, guidance_scale=cfg,
                                   max_new_tokens=frames + model.decoder.num_codebooks - 1)
        ours = generator.generate(prompts, [DecodingParams(use_sampling=False, cfg_coef=cfg)] * 2, [0, 0],
                                  duration=frames / generator.frame_rate)
        np.testing.assert_allclose(ours.audio, reference[:, 0].numpy(), atol=1e-6)


def test_same_seed_same_tokens_alone_or_batched_with_other_configs(generator):
    target = ("ambient pad, 60 BPM", DecodingParams(temperature=1.1, top_k=0, top_p=0.9, cfg_coef=2.0), 1234)
    alone = generator.generate([target[0]], [target[1]], [target[2]], duration=0.5)
    others = [("rock guitar riff", DecodingParams(), 1), ("lo-fi beat", DecodingParams(temperature=0.6, top_k=20), 2)]
    rows = [others[0], target, others[1]]
    batched = generator.generate([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], duration=0.5)
    np.testing.assert_array_equal(alone.codes[0], batched.codes[1])
    assert not np.array_equal(batched.codes[0], batched.codes[1])


def test_sub_batches_do_not_change_results(debug_musicgen):
    model, processor = debug_musicgen
    prompts = [f"prompt {i}" for i in range(5)]
    params = [DecodingParams(temperature=0.9 + 0.05 * i) for i in range(5)]
    one_pass = TransformersMusicGen(model, processor, name="debug", max_batch=8).generate(
        prompts, params, list(range(5)), duration=0.3)
    split = TransformersMusicGen(model, processor, name="debug", max_batch=2).generate(
        prompts, params, list(range(5)), duration=0.3)
    np.testing.assert_array_equal(one_pass.codes, split.codes)


def test_shapes_units_and_progress(generator):
    steps = []
    out = generator.generate(["a", "b", "c"], [DecodingParams()] * 3, [1, 2, 3], duration=0.4,
                             on_step=lambda done, total: steps.append((done, total)))
    frames = round(0.4 * 50)
    assert out.sample_rate == 32_000
    assert out.codes.shape == (3, 4, frames)
    assert out.audio.shape == (3, frames * 640)  # EnCodec hop 640 samples at 32 kHz = 50 Hz
    assert out.audio.dtype == np.float32
    assert steps[-1][0] == steps[-1][1] == frames + 3


def test_loads_from_a_local_directory_like_a_user_copy(musicgen_dir, clap_dir, debug_musicgen):
    loaded = load_generator(str(musicgen_dir), device=torch.device("cpu"))
    assert loaded.name == str(musicgen_dir)
    model, processor = debug_musicgen
    reference = TransformersMusicGen(model, processor, name="debug")
    a = loaded.generate(["jazz"], [DecodingParams()], [5], duration=0.3)
    b = reference.generate(["jazz"], [DecodingParams()], [5], duration=0.3)
    np.testing.assert_array_equal(a.codes, b.codes)
    clap = load_clap(str(clap_dir), device=torch.device("cpu"))
    scores, _ = clap.adherence(a.audio, a.sample_rate, ["jazz"])
    assert -1.0 <= scores[0] <= 1.0


def test_missing_model_says_how_to_use_a_local_directory(tmp_path):
    from optimizer.cli._errors import one_line

    with pytest.raises(ModelLoadError, match="or give /path/to/a/directory") as caught:
        load_generator("facebook/no-such-musicgen-model", device=torch.device("cpu"))
    assert one_line(caught.value).endswith("(to --model).")  # the CLI names the flag, the library does not
    with pytest.raises(ModelLoadError, match="directory"):
        load_generator(str(tmp_path), device=torch.device("cpu"))
    with pytest.raises(ModelLoadError) as caught:
        load_clap("laion/no-such-clap", device=torch.device("cpu"))
    assert one_line(caught.value).endswith("(to --clap).")


def test_audiocraft_backend_is_a_clear_error_when_not_installed():
    from objectives.generation._audiocraft import audiocraft_available

    if audiocraft_available():
        pytest.skip("audiocraft is installed here")
    with pytest.raises(ModelLoadError, match="audiocraft"):
        load_generator("facebook/musicgen-small", backend="audiocraft", device=torch.device("cpu"))
