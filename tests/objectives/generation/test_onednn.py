"""The decoder's linear layers run by oneDNN (objectives/generation/_onednn.py): the same layers under the same
names and state, outputs within float32 rounding, the loaders convert and a caller's model is left alone, and the
tokens still equal transformers' ``generate`` on the model as shipped."""

from __future__ import annotations

import copy

import pytest
import torch

from objectives import DecodingParams, load_generator
from objectives.generation import TransformersMusicGen, can_convert, convert_linears, linear_layers, weight_bytes
from objectives.generation._onednn import OneDNNLinear

CPU = torch.device("cpu")


def _linears(module: torch.nn.Module) -> list[str]:
    return [name for name, m in module.named_modules() if type(m) is torch.nn.Linear]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape", [(7, 32), (5, 1, 32), (2, 3, 32)])
def test_a_onednn_layer_computes_what_the_linear_did(bias, shape):
    torch.manual_seed(0)
    linear = torch.nn.Linear(32, 48, bias=bias).eval()
    converted = OneDNNLinear(linear)
    x = torch.randn(*shape)
    strided = torch.randn(32, shape[0]).T  # a non-contiguous input
    with torch.inference_mode():
        expected, got = linear(x), converted(x)
        transposed, transposed_expected = converted(strided), linear(strided)
    assert got.shape == expected.shape == (*shape[:-1], 48) and got.layout == torch.strided
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(transposed, transposed_expected, rtol=1e-5, atol=1e-5)


def test_converting_keeps_every_name_and_the_state_bit_for_bit(debug_musicgen):
    model = copy.deepcopy(debug_musicgen[0])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    names = _linears(model.decoder)
    assert names  # the debug decoder has its projections, feed-forwards and heads
    assert convert_linears(model.decoder) == len(names)
    assert _linears(model.decoder) == [] and convert_linears(model.decoder) == 0  # twice: nothing more
    assert [name for name, *_ in linear_layers(model.decoder)] == names
    for state in (model.state_dict(), copy.deepcopy(model).state_dict()):
        assert state.keys() == before.keys()
        assert all(torch.equal(state[k], before[k]) for k in before)
    assert weight_bytes(model.decoder) == sum(v.numel() * v.element_size()
                                              for k, v in before.items() if k.startswith("decoder."))


def test_ordinary_weights_load_into_a_converted_model(debug_musicgen):
    source = debug_musicgen[0]
    model = copy.deepcopy(source)
    convert_linears(model.decoder)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    changed = {k: v + 1.0 for k, v in source.state_dict().items() if v.is_floating_point()}
    model.load_state_dict({**source.state_dict(), **changed})
    assert all(torch.equal(model.state_dict()[k], changed[k]) for k in changed)
    wrong = dict(source.state_dict())
    key = next(k for k in wrong if k.endswith("fc1.weight"))
    wrong[key] = wrong[key][:, :-1]
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict(wrong)
    extra = {**source.state_dict(), key.replace("weight", "bias"): torch.zeros(1), key.replace("weight", "s"): 1.0}
    with pytest.raises(RuntimeError, match="Unexpected key") as info:  # as nn.Linear would: the layer has no bias
        model.load_state_dict(extra)
    assert key.replace("weight", "bias") in str(info.value) and key.replace("weight", "s") in str(info.value)
    del extra[key]
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(extra)
    model.load_state_dict(extra, strict=False)  # what strict=False allows, it allows


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float64])
def test_other_input_is_refused_in_one_sentence(dtype):
    layer = OneDNNLinear(torch.nn.Linear(8, 4))
    with pytest.raises(TypeError, match=f"float32 CPU input, not {dtype}"):
        layer(torch.randn(3, 8, dtype=dtype))


def test_only_float32_on_a_cpu_is_converted(debug_musicgen):
    narrow = copy.deepcopy(debug_musicgen[0]).to(torch.bfloat16)
    assert not can_convert(narrow.decoder)
    with pytest.raises(ValueError, match="float32"):
        convert_linears(narrow.decoder)
    assert not load_generator("debug", device=CPU, dtype="bfloat16").onednn_linears


def test_the_loaders_convert_and_a_callers_model_is_left_as_given(debug_musicgen):
    for name in ("debug", "debug-stereo", "debug-melody"):
        generator = load_generator(name, device=CPU)
        assert generator.onednn_linears and _linears(generator.model.decoder) == [], name
    model = copy.deepcopy(debug_musicgen[0])
    mine = TransformersMusicGen(model, debug_musicgen[1], name="mine")
    assert not mine.onednn_linears and _linears(model.decoder)


@pytest.mark.parametrize(("cfg", "prompts"), [
    (1.0, 4), (3.0, 4),
    (1.0, 1), (3.0, 1),  # 1 and 2 rows: where the debug widths' sums differ between the libraries in the last bits
])
def test_greedy_tokens_equal_generate_on_the_model_as_transformers_ships_it(debug_musicgen, cfg, prompts):
    model, processor = debug_musicgen
    prompts = ["smooth jazz trio, 92 BPM", "epic orchestral trailer with brass and choir", "lo-fi",
               "rock guitar riff with drums"][:prompts]
    frames = 50
    stock = copy.deepcopy(model).eval()
    seen = []
    decode = stock.audio_encoder.decode
    stock.audio_encoder.decode = lambda codes, *a, **k: (seen.append(codes[0].clone()), decode(codes, *a, **k))[1]
    inputs = processor(text=prompts, padding=True, return_tensors="pt")
    steps = frames + model.decoder.num_codebooks - 1
    stock.generate(**inputs, do_sample=False, guidance_scale=cfg, max_new_tokens=steps)
    generator = TransformersMusicGen(copy.deepcopy(model), processor, name="debug", onednn_linears=True)
    assert generator.onednn_linears
    ours = generator.generate(prompts, [DecodingParams(use_sampling=False, cfg_coef=cfg)] * len(prompts),
                              [0] * len(prompts), duration=frames / generator.frame_rate)
    assert (ours.codes == seen[-1].numpy()).all()
