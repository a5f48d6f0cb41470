"""``dtype``: every way a MusicGen is loaded (the three debug variants, a saved mono, stereo and melody directory)
puts its text encoder and decoder in the asked number format and its EnCodec in float32; greedy bfloat16 decoding
still reproduces transformers ``generate`` on the same bfloat16 model; a dtype the backend cannot honour is refused
before anything loads."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from objectives import DTYPE_NAMES, DecodingParams, ModelLoadError
from objectives._loading import check_backend, load_generator
from objectives.generation import linear_layers, resolve_dtype

pytestmark = pytest.mark.usefixtures("one_thread")  # bit-exact comparisons (see conftest.one_thread)

CPU = torch.device("cpu")


def _formats(generator) -> tuple[set[torch.dtype], set[torch.dtype], set[torch.dtype]]:
    model = generator.model
    decoder = {p.dtype for p in model.decoder.parameters()}
    decoder |= {layer.weight.dtype for _, layer, _ in linear_layers(model.decoder)}  # oneDNN layers hold theirs
    return (decoder, {p.dtype for p in model.text_encoder.parameters()},
            {p.dtype for p in model.audio_encoder.parameters()})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``{source: (name or path to load, the float32 EnCodec state it must keep)}``: the three debug variants and a
    saved mono, stereo and melody debug MusicGen (as a user's local copies)."""
    from objectives._debug import build_random_musicgen
    from objectives._debug_melody import build_random_musicgen_melody

    built = {"mono": build_random_musicgen("debug"), "stereo": build_random_musicgen("debug", audio_channels=2),
             "melody": build_random_musicgen_melody()}
    sources = {}
    for kind, debug in (("mono", "debug"), ("stereo", "debug-stereo"), ("melody", "debug-melody")):
        model, processor = built[kind]
        path = tmp_path_factory.mktemp(f"musicgen-{kind}")
        model.save_pretrained(path)
        processor.save_pretrained(path)
        state = {k: v.clone() for k, v in model.audio_encoder.state_dict().items()}
        sources[kind] = (str(path), state)
        sources[debug] = (debug, state)  # the loader builds the same seeded model
    return sources


@pytest.mark.parametrize("dtype", ["auto", *DTYPE_NAMES])
@pytest.mark.parametrize("source", ["debug", "debug-stereo", "debug-melody", "mono", "stereo", "melody"])
def test_every_loader_puts_the_language_model_in_the_dtype_and_keeps_encodec_exact(saved, source, dtype):
    name, encodec_state = saved[source]
    generator = load_generator(name, device=CPU, max_batch=4, dtype=dtype)
    expected = torch.float32 if dtype == "auto" else getattr(torch, dtype)  # auto on CPU: the float32 reference
    decoder, text_encoder, audio_encoder = _formats(generator)
    assert decoder == {expected} and text_encoder == {expected}
    assert audio_encoder == {torch.float32}
    loaded = generator.model.audio_encoder.state_dict()  # float32 and never rounded through the narrow format
    assert loaded.keys() == encodec_state.keys()
    assert all(torch.equal(loaded[k], encodec_state[k]) for k in encodec_state)
    melodies = [np.sin(np.arange(32_000, dtype=np.float32) / 20.0)] * 2 if "melody" in source else None
    kwargs = {"melodies": melodies} if melodies is not None else {}
    clip = generator.generate(["a", "b"], [DecodingParams(), DecodingParams(cfg_coef=1.0)], [1, 2], duration=0.2,
                              **kwargs)
    assert clip.audio.dtype == np.float32 and np.isfinite(clip.audio).all()
    assert clip.codes.shape == (2, generator.num_codebooks, 10)


def _greedy_codes(model, processor, dtype: str, prompts, cfg: float, frames: int):
    """Greedy codes ``[B, K, frames]`` of transformers ``generate`` and of the project's loop, both with the text
    encoder and decoder in ``dtype`` and the same weights."""
    reference = copy.deepcopy(model).to(getattr(torch, dtype))
    reference.audio_encoder.float()  # as place_model leaves it
    seen = []
    decode = reference.audio_encoder.decode
    reference.audio_encoder.decode = lambda codes, *a, **k: (seen.append(codes[0].clone()), decode(codes, *a, **k))[1]
    inputs = processor(text=prompts, padding=True, return_tensors="pt")
    reference.generate(**inputs, do_sample=False, guidance_scale=cfg,
                       max_new_tokens=frames + model.decoder.num_codebooks - 1)
    generator = load_generator("debug", device=CPU, max_batch=8, dtype=dtype)
    generator.model.load_state_dict(model.state_dict())  # the loader built its own debug model
    ours = generator.generate(prompts, [DecodingParams(use_sampling=False, cfg_coef=cfg)] * len(prompts),
                              [0] * len(prompts), duration=frames / generator.frame_rate)
    return seen[-1].numpy(), ours.codes


def test_greedy_bfloat16_tokens_differ_from_generate_far_less_than_bfloat16_differs_from_float32(debug_musicgen):
    """In bfloat16 the loop's arithmetic (cache layout, cross-attention keys computed once) rounds differently
    from transformers', and the debug model's near-uniform logits turn some of that into other argmaxes, so the
    tokens are not bit-equal; what must hold is that the loop moves them far less than the number format itself
    does (a wrong mask or guidance would change most of them)."""
    model, processor = debug_musicgen
    prompts = ["smooth jazz trio, 92 BPM", "epic orchestral trailer with brass and choir", "lo-fi",
               "rock guitar riff with drums"]
    ours_vs_generate = format_effect = 0
    for cfg in (1.0, 3.0):
        generate32, _ = _greedy_codes(model, processor, "float32", prompts, cfg, 50)
        generate16, ours16 = _greedy_codes(model, processor, "bfloat16", prompts, cfg, 50)
        ours_vs_generate += int((ours16 != generate16).sum())
        format_effect += int((generate16 != generate32).sum())
    assert format_effect > 0  # bfloat16 does change tokens: why it is asked for, not chosen
    assert ours_vs_generate < format_effect / 2, (ours_vs_generate, format_effect)


@pytest.mark.parametrize("dtype", ["float64", "half", "bf16", "", "Float32"])
def test_an_unknown_dtype_is_refused_before_anything_loads(dtype):
    with pytest.raises(ValueError, match=repr(dtype).replace("[", r"\[")):
        resolve_dtype(dtype, CPU)
    with pytest.raises(ValueError, match="dtype"):
        check_backend("facebook/musicgen-small", "transformers", dtype)


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_the_audiocraft_backend_refuses_a_dtype_it_would_not_honour(dtype):
    with pytest.raises(ModelLoadError) as info:
        check_backend("facebook/musicgen-small", "audiocraft", dtype)
    assert info.value.option == "dtype"
    check_backend("facebook/musicgen-small", "audiocraft", "auto")  # audiocraft's own choice is fine



ISAS = ("avx512_bf16", "amx_bf16", "avx512_fp16", "amx_fp16")


@pytest.mark.parametrize("present", [(), ("avx512_bf16",), ("amx_bf16",), ("avx512_fp16",), ("amx_fp16",), ISAS])
def test_a_narrow_format_is_named_slow_exactly_on_an_x86_cpu_without_its_arithmetic(monkeypatch, present):
    from objectives.generation import slow_format

    cpu = torch.device("cpu")
    for architecture in ("x86_64", "aarch64"):
        monkeypatch.setattr(torch.cpu, "get_capabilities",
                            lambda a=architecture: {"architecture": a, **{isa: isa in present for isa in ISAS}})
        for dtype, isas in ((torch.bfloat16, {"avx512_bf16", "amx_bf16"}),
                            (torch.float16, {"avx512_fp16", "amx_fp16"})):
            sentence = slow_format(dtype, cpu)
            slow = architecture == "x86_64" and not isas & set(present)  # ARM: not measured, so nothing said
            assert (sentence is not None) == slow, (architecture, dtype, present, sentence)
            if sentence is not None:
                name = str(dtype).removeprefix("torch.")
                assert sentence.endswith(".") and ". " not in sentence  # one sentence
                assert f"no {name} arithmetic" in sentence and "--dtype auto" in sentence
        assert slow_format(torch.float32, cpu) is None
    assert slow_format(torch.bfloat16, torch.device("cuda")) is None
    assert slow_format(torch.float16, torch.device("cuda")) is None


def test_a_torch_without_the_capability_query_names_nothing(monkeypatch):
    from objectives.generation import slow_format

    monkeypatch.delattr(torch.cpu, "get_capabilities", raising=False)
    assert slow_format(torch.bfloat16, torch.device("cpu")) is None
