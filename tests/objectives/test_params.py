import logging
import warnings

import pytest

from objectives import DecodingParams


def test_defaults_are_audiocrafts():
    p = DecodingParams()
    assert (p.use_sampling, p.temperature, p.top_k, p.top_p, p.cfg_coef, p.two_step_cfg) == (
        True, 1.0, 250, 0.0, 3.0, False)
    assert p.strategy == "top_k"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"top_p": 1.3}, "top_p"), ({"top_p": 1.0}, "top_p"), ({"temperature": -0.1}, "temperature"),
     ({"temperature": float("nan")}, "temperature"), ({"top_k": 2.5}, "top_k"), ({"top_k": -1}, "top_k"),
     ({"cfg_coef": 0.5}, "cfg_coef"), ({"use_sampling": "yes"}, "use_sampling")],
)
def test_out_of_range_is_refused_with_the_field_name(kwargs, field):
    with pytest.raises(ValueError, match=field):
        DecodingParams(**kwargs)


def test_strategy_follows_audiocraft_precedence():
    assert DecodingParams(top_k=50, top_p=0.9).strategy == "top_p"  # top_p > 0 overrides top_k
    assert DecodingParams(top_k=0, top_p=0.0).strategy == "multinomial"
    assert DecodingParams(temperature=0.0).strategy == "greedy"
    assert DecodingParams(use_sampling=False, top_p=0.9).strategy == "greedy"


def test_transformers_rendering_is_explicit_for_every_strategy():
    nucleus = DecodingParams(top_k=250, top_p=0.9, temperature=0.8, cfg_coef=2.5).to_transformers()
    assert nucleus == {"do_sample": True, "temperature": 0.8, "top_k": 0, "top_p": 0.9, "guidance_scale": 2.5}
    top_k = DecodingParams(top_k=120).to_transformers()
    assert top_k == {"do_sample": True, "temperature": 1.0, "top_k": 120, "top_p": 1.0, "guidance_scale": 3.0}
    greedy = DecodingParams(temperature=0.0, cfg_coef=4.0).to_transformers()
    assert greedy == {"do_sample": False, "temperature": None, "top_k": None, "top_p": None, "guidance_scale": 4.0}
    full = DecodingParams(top_k=0).to_transformers()
    assert (full["top_k"], full["top_p"]) == (0, 1.0)


STRATEGY_FAMILY = [
    DecodingParams(use_sampling=False),                       # greedy by flag, sampling fields left at defaults
    DecodingParams(temperature=0.0, top_k=0, top_p=0.5),      # greedy by temperature
    DecodingParams(use_sampling=False, cfg_coef=1.0),         # greedy without guidance
    DecodingParams(),                                         # audiocraft's default: top-k 250
    DecodingParams(top_k=1, temperature=10.0, cfg_coef=20.0),  # top-k edges
    DecodingParams(top_k=2048, temperature=0.01),
    DecodingParams(top_k=250, top_p=0.9),                     # nucleus overrides top-k
    DecodingParams(top_k=0, top_p=0.01, cfg_coef=1.0),
    DecodingParams(top_k=0, top_p=0.0),                       # full multinomial
]


@pytest.mark.parametrize("params", STRATEGY_FAMILY, ids=lambda p: f"{p.strategy}-{p.top_k}-{p.top_p}-{p.temperature}")
def test_every_transformers_rendering_passes_strict_validation_silently(params):
    """transformers' own strict check, with its warnings and log records caught: a rendering that makes
    transformers complain would reach every program that splats a preset into ``generate``."""
    from transformers import GenerationConfig

    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            GenerationConfig(**params.to_transformers()).validate(strict=True)
    finally:
        logger.removeHandler(handler)
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []


def test_audiocraft_rendering_drops_what_the_rule_ignores():
    kwargs = DecodingParams(top_k=250, top_p=0.9).to_audiocraft()
    assert kwargs["top_k"] == 0 and kwargs["top_p"] == 0.9
    # extend_stride is audiocraft's set_generation_params keyword for windows past 30 s.
    assert set(kwargs) == {"use_sampling", "temperature", "top_k", "top_p", "cfg_coef", "two_step_cfg",
                           "extend_stride"}


def test_dict_round_trip_and_unknown_field():
    p = DecodingParams(temperature=0.7, top_k=0, top_p=0.93, cfg_coef=1.5, two_step_cfg=True)
    assert DecodingParams.from_dict(p.to_dict()) == p
    with pytest.raises(ValueError, match="unknown decoding parameter"):
        DecodingParams.from_dict({**p.to_dict(), "top_a": 3})


def test_canonical_forms_equal_when_distributions_equal():
    assert DecodingParams(top_k=7, top_p=0.9).canonical() == DecodingParams(top_k=300, top_p=0.9).canonical()
    assert DecodingParams(use_sampling=False, temperature=0.3).canonical() == DecodingParams(
        temperature=0.0, top_k=9).canonical()
