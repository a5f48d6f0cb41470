"""The decoding configuration that travels from the sampler to the generator to the preset file."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = ["DEFAULT_EXTEND_STRIDE", "MAX_PROMPT_SUFFIX_CHARS", "DecodingParams"]

DEFAULT_EXTEND_STRIDE = 18.0
"""audiocraft's default ``extend_stride``, seconds (``MusicGen.set_generation_params``)."""

MAX_PROMPT_SUFFIX_CHARS = 200
"""Longest prompt suffix: a few descriptors, not a second prompt."""


@dataclass(frozen=True, kw_only=True)
class DecodingParams:
    """One MusicGen decoding configuration, with audiocraft's semantics.

    The fields and defaults are those of audiocraft's ``MusicGen.set_generation_params`` (audiocraft 1.3,
    ``LMModel._sample_next_token``), which is the reference every rendering must reproduce:

    * classifier-free guidance on raw logits: ``logits = uncond + (cond - uncond) * cfg_coef``;
    * greedy (argmax) when ``use_sampling`` is false or ``temperature == 0``;
    * otherwise ``probs = softmax(logits / temperature)`` and, if ``top_p > 0``, nucleus sampling with
      ``top_p`` (``top_k`` ignored); elif ``top_k > 0``, top-k sampling; else sampling from the full
      distribution.

    Args:
        use_sampling: Sample (True) or take the argmax (False). Default True.
        temperature: Softmax temperature, in [0, 10]; 0 means greedy. Default 1.0.
        top_k: Keep the k most likely tokens, in [0, 2048]; 0 disables. Ignored when ``top_p > 0``.
            Default 250.
        top_p: Nucleus mass, in [0, 1); 0 disables. Default 0.0.
        cfg_coef: Classifier-free guidance coefficient, in [1, 20]; 1 means no guidance. Values below 1
            are refused because transformers applies guidance only above 1, so such a preset could not
            be reproduced there. Default 3.0.
        two_step_cfg: audiocraft runs the conditional and unconditional passes separately instead of
            batching them. Mathematically the same distribution; passed through to audiocraft only.
            Default False.
        prompt_suffix: Text appended to every prompt for generation (``"<prompt>, <suffix>"``), such as
            practitioners' "high quality, 48 kHz" or a time signature; "" for none. Not a sampling parameter:
            the renderings leave it out, and CLAP adherence is always measured against the prompt without it
            (the suffix must earn its place by better audio, not by matching its own words). At most
            :data:`MAX_PROMPT_SUFFIX_CHARS` characters, one line. Default "".
        extend_stride: seconds audiocraft advances its 30 s window by when a clip is longer than 30 s, in
            (0, 30); each new window is prompted with the last ``30 - extend_stride`` seconds of the previous
            one (:mod:`objectives.generation._windows`). Shorter clips ignore it. Default 18.0 (audiocraft's).

    Raises:
        ValueError: A field is out of its range, with the rule, the value and the fix.
    """

    use_sampling: bool = True
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    cfg_coef: float = 3.0
    two_step_cfg: bool = False
    prompt_suffix: str = ""
    extend_stride: float = DEFAULT_EXTEND_STRIDE

    def __post_init__(self) -> None:
        _check_range("temperature", self.temperature, 0.0, 10.0)
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int):
            raise ValueError(f"top_k must be an integer but got {self.top_k!r}.")
        _check_range("top_k", self.top_k, 0, 2048)
        _check_range("cfg_coef", self.cfg_coef, 1.0, 20.0)
        if not (isinstance(self.top_p, (int, float)) and 0.0 <= self.top_p < 1.0):
            raise ValueError(f"top_p must be in [0, 1) but got {self.top_p!r}; use 0 to disable nucleus sampling.")
        for name in ("use_sampling", "two_step_cfg"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false but got {getattr(self, name)!r}.")
        stride = self.extend_stride
        if isinstance(stride, bool) or not isinstance(stride, (int, float)) or not 0.0 < stride < 30.0:
            raise ValueError(f"extend_stride must be in (0, 30) seconds (how far each 30 s window advances) but got "
                             f"{stride!r}; use audiocraft's {DEFAULT_EXTEND_STRIDE:g}.")
        suffix = self.prompt_suffix
        if (not isinstance(suffix, str) or len(suffix) > MAX_PROMPT_SUFFIX_CHARS or "\n" in suffix
                or "\r" in suffix or suffix != suffix.strip()):
            raise ValueError(f"prompt_suffix must be one line of at most {MAX_PROMPT_SUFFIX_CHARS} characters without "
                             f"leading or trailing spaces but got {str(suffix)[:60]!r}.")

    def apply_suffix(self, prompt: str) -> str:
        """``prompt`` as it is given to MusicGen: with ``, <prompt_suffix>`` appended when there is one."""
        return f"{prompt}, {self.prompt_suffix}" if self.prompt_suffix else prompt

    @property
    def is_greedy(self) -> bool:
        """True when decoding takes the argmax (``use_sampling`` false or ``temperature == 0``)."""
        return not self.use_sampling or self.temperature == 0.0

    @property
    def strategy(self) -> str:
        """The effective rule: ``"greedy"``, ``"top_p"``, ``"top_k"`` or ``"multinomial"``."""
        if self.is_greedy:
            return "greedy"
        if self.top_p > 0.0:
            return "top_p"
        if self.top_k > 0:
            return "top_k"
        return "multinomial"

    def canonical(self) -> DecodingParams:
        """The same distribution with the fields the rule ignores set to their neutral values.

        Greedy keeps only ``cfg_coef``; nucleus sets ``top_k=0``; top-k sets ``top_p=0``. Two configurations
        that sample the same distribution have equal canonical forms.
        """
        strategy = self.strategy
        if strategy == "greedy":
            return replace(self, use_sampling=False, temperature=1.0, top_k=0, top_p=0.0)
        if strategy == "top_p":
            return replace(self, use_sampling=True, top_k=0)
        return replace(self, use_sampling=True, top_p=0.0)

    def to_audiocraft(self) -> dict[str, Any]:
        """Keyword arguments for audiocraft's ``MusicGen.set_generation_params(**kwargs)``.

        ``extend_stride`` is included (audiocraft's windowing past 30 s); ``duration`` is left to the caller (it
        is not a decoding parameter), and so is ``prompt_suffix`` (apply it to the prompt with :meth:`apply_suffix`).
        """
        rendered = asdict(self.canonical())
        del rendered["prompt_suffix"]
        rendered["extend_stride"] = float(rendered["extend_stride"])
        return rendered

    def to_transformers(self) -> dict[str, Any]:
        """Keyword arguments for transformers' ``MusicgenForConditionalGeneration.generate(**kwargs)``.

        Every field is explicit, because transformers applies ``top_k`` and ``top_p`` together and a checkpoint's
        ``generation_config.json`` may set either (``GenerationConfig`` itself leaves them None in transformers 5;
        older versions defaulted ``top_k=50``): nucleus renders
        ``top_k=0``; top-k renders ``top_p=1.0`` (transformers' "disabled"); greedy renders ``do_sample=False``
        with ``temperature``, ``top_k`` and ``top_p`` set to None (unset), the only values
        ``GenerationConfig.validate(strict=True)`` accepts beside ``do_sample=False``, which also clear a
        checkpoint's sampling defaults. ``guidance_scale`` is ``cfg_coef`` (transformers doubles the batch with
        a null condition only when it is above 1, like audiocraft's ``cfg_coef == 1`` being no guidance).
        Every rendering passes ``GenerationConfig(**rendering).validate(strict=True)``.
        """
        c = self.canonical()
        if c.is_greedy:
            return {"do_sample": False, "temperature": None, "top_k": None, "top_p": None,
                    "guidance_scale": c.cfg_coef}
        return {
            "do_sample": True,
            "temperature": c.temperature,
            "top_k": c.top_k if c.strategy == "top_k" else 0,
            "top_p": c.top_p if c.strategy == "top_p" else 1.0,
            "guidance_scale": c.cfg_coef,
        }

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (the preset file's ``params``); ``prompt_suffix`` only when set and
        ``extend_stride`` only when not audiocraft's default, so files without them keep their earlier shape."""
        data = asdict(self)
        if not self.prompt_suffix:
            del data["prompt_suffix"]
        if self.extend_stride == DEFAULT_EXTEND_STRIDE:
            del data["extend_stride"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecodingParams:
        """Inverse of :meth:`to_dict`; missing fields take audiocraft's defaults.

        Raises:
            ValueError: An unknown field or a value out of range.
        """
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown decoding parameter(s) {sorted(unknown)}; known: "
                             f"{sorted(cls.__dataclass_fields__)}.")
        return cls(**data)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number but got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}] but got {value!r}.")
