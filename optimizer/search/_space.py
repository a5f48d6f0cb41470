"""The search space over MusicGen decoding parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import optuna

from objectives import DecodingParams

_WINDOW_SECONDS = 30.0  # MusicGen's window (objectives.generation.MAX_WINDOW_SECONDS, which imports torch)

__all__ = ["STRATEGIES", "SearchSpace"]

STRATEGIES = ("top_k", "top_p", "greedy")
"""Sampling strategies: top-k sampling, nucleus sampling, argmax."""


@dataclass(frozen=True, kw_only=True)
class SearchSpace:
    """Ranges searched for each decoding parameter; conditional on the sampling strategy.

    A trial first picks ``strategy``; ``top_k`` is suggested only for top-k trials and ``top_p`` only for
    nucleus trials (the other is 0, as audiocraft ignores it); ``temperature`` is skipped for greedy.

    Defaults come from the audiocraft defaults (temperature 1, top_k 250, cfg_coef 3) widened to the
    ranges practitioners report trying: temperature [0.5, 1.5]; top_k [20, 500] on a log scale (the
    difference between 20 and 40 matters more than between 400 and 420); top_p [0.5, 0.99]; cfg_coef
    [1, 6] (1 = no guidance; above ~6 MusicGen saturates). Greedy is off by default: MusicGen's argmax
    decoding is known to loop, so it costs trials to rediscover that; a genre may enable it.

    Args:
        temperature: ``(low, high)``, within [0.05, 2.0].
        top_k: ``(low, high)`` integers within [1, 2048].
        top_p: ``(low, high)`` within (0, 1).
        cfg_coef: ``(low, high)`` within [1, 10].
        strategies: non-empty subset of :data:`STRATEGIES`.
        two_step_cfg: also search audiocraft's ``two_step_cfg`` flag (only meaningful for the audiocraft
            backend). Default False.
        prompt_suffixes: texts that may be appended to every prompt (``DecodingParams.prompt_suffix``),
            searched as the categorical ``prompt_suffix`` over ``["", *prompt_suffixes]`` (no suffix is always a
            choice). Default none: the dimension is absent.
        extend_stride: ``(low, high)`` seconds within (0, 30) to search ``DecodingParams.extend_stride`` (only
            clips past 30 s use it); default None: fixed at audiocraft's 18 s.

    Raises:
        ValueError: a range is reversed or outside its limits, or a strategy is unknown.
    """

    temperature: tuple[float, float] = (0.5, 1.5)
    top_k: tuple[int, int] = (20, 500)
    top_p: tuple[float, float] = (0.5, 0.99)
    cfg_coef: tuple[float, float] = (1.0, 6.0)
    strategies: tuple[str, ...] = ("top_k", "top_p")
    two_step_cfg: bool = False
    prompt_suffixes: tuple[str, ...] = ()
    extend_stride: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.extend_stride is not None:
            _check_pair("extend_stride", self.extend_stride, 1e-3, 30.0 - 1e-3)
        _check_pair("temperature", self.temperature, 0.05, 2.0)
        _check_pair("top_k", self.top_k, 1, 2048, integer=True)
        _check_pair("top_p", self.top_p, 1e-6, 1.0 - 1e-6)
        _check_pair("cfg_coef", self.cfg_coef, 1.0, 10.0)
        if not self.strategies or any(s not in STRATEGIES for s in self.strategies):
            raise ValueError(f"strategies must be a non-empty subset of {list(STRATEGIES)} but got "
                             f"{list(self.strategies)}.")
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError(f"strategies must not repeat but got {list(self.strategies)}.")
        if not isinstance(self.two_step_cfg, bool):
            raise ValueError(f"two_step_cfg must be true or false but got {self.two_step_cfg!r}.")
        if not isinstance(self.prompt_suffixes, tuple):
            raise ValueError(f"prompt_suffixes must be a list of strings but got {self.prompt_suffixes!r}.")
        for suffix in self.prompt_suffixes:
            DecodingParams(prompt_suffix=suffix)  # the same rule as a preset's suffix
            if not suffix:
                raise ValueError("prompt_suffixes must not contain an empty suffix (no suffix is always searched).")
        if len(set(self.prompt_suffixes)) != len(self.prompt_suffixes):
            raise ValueError(f"prompt_suffixes must not repeat but got {list(self.prompt_suffixes)}.")

    def inert_dimensions(self, *, backend: str, duration: float) -> tuple[str, ...]:
        """The searched dimensions that cannot change any clip of a run, which a study must not search.

        Args:
            backend: ``transformers`` or ``audiocraft``.
            duration: clip length, seconds.

        Returns:
            ``two_step_cfg`` when searched for another backend than audiocraft's (the transformers backend guides
            each step in one pass: the flag changes nothing), ``extend_stride`` when searched for clips within one
            30 s window (only windows past it advance by the stride); empty when every dimension counts.
        """
        inert = []
        if self.two_step_cfg and backend != "audiocraft":
            inert.append("two_step_cfg")
        if self.extend_stride is not None and duration <= _WINDOW_SECONDS:
            inert.append("extend_stride")
        return tuple(inert)

    def with_overrides(self, overrides: Mapping[str, Any]) -> SearchSpace:
        """A copy with some fields replaced (from a genre file's ``[search_space]`` table).

        Raises:
            ValueError: an unknown key or a bad value.
        """
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown search_space key(s) {sorted(unknown)}; known: {sorted(known)}.")
        values: dict[str, Any] = {}
        for key, value in overrides.items():
            if key == "two_step_cfg":
                values[key] = value
            elif isinstance(value, (list, tuple)):
                values[key] = tuple(value)
            else:
                raise ValueError(f"search_space.{key} must be a list but got {value!r}.")
        return replace(self, **values)

    def suggest(self, trial: optuna.Trial) -> DecodingParams:
        """Ask ``trial`` for a configuration (parameter names: strategy, temperature, top_k, top_p, cfg_coef,
        two_step_cfg, prompt_suffix)."""
        strategy = trial.suggest_categorical("strategy", list(self.strategies))
        cfg_coef = trial.suggest_float("cfg_coef", *self.cfg_coef)
        two_step = trial.suggest_categorical("two_step_cfg", [False, True]) if self.two_step_cfg else False
        suffix = trial.suggest_categorical("prompt_suffix", ["", *self.prompt_suffixes]) if self.prompt_suffixes else ""
        shared = DecodingParams(cfg_coef=cfg_coef, two_step_cfg=bool(two_step), prompt_suffix=str(suffix))
        if self.extend_stride is not None:
            shared = replace(shared, extend_stride=trial.suggest_float("extend_stride", *self.extend_stride))
        if strategy == "greedy":
            return replace(shared, use_sampling=False, top_k=0)
        temperature = trial.suggest_float("temperature", *self.temperature)
        if strategy == "top_k":
            return replace(shared, temperature=temperature, top_k=trial.suggest_int("top_k", *self.top_k, log=True))
        return replace(shared, temperature=temperature, top_k=0, top_p=trial.suggest_float("top_p", *self.top_p))

    def trial_params(self, params: DecodingParams) -> dict[str, Any]:
        """The Optuna parameters that make :meth:`suggest` return ``params`` (for ``enqueue_trial``).

        Raises:
            ValueError: ``params`` lies outside this space (its strategy is not searched or a value is out
                of range).
        """
        c = params.canonical()
        strategy = "multinomial" if c.strategy == "multinomial" else c.strategy
        if strategy not in self.strategies:
            raise ValueError(f"a {strategy} configuration cannot be enqueued: the search space has strategies "
                             f"{list(self.strategies)}.")
        out: dict[str, Any] = {"strategy": strategy, "cfg_coef": c.cfg_coef}
        if self.two_step_cfg:
            out["two_step_cfg"] = c.two_step_cfg
        if self.prompt_suffixes:
            if c.prompt_suffix and c.prompt_suffix not in self.prompt_suffixes:
                raise ValueError(f"prompt suffix {c.prompt_suffix!r} is not one of the searched suffixes.")
            out["prompt_suffix"] = c.prompt_suffix
        elif c.prompt_suffix:
            raise ValueError("a configuration with a prompt suffix cannot be enqueued: the space searches none.")
        if self.extend_stride is not None:
            out["extend_stride"] = c.extend_stride
        if strategy != "greedy":
            out["temperature"] = c.temperature
        if strategy == "top_k":
            out["top_k"] = c.top_k
        if strategy == "top_p":
            out["top_p"] = c.top_p
        for name in ("temperature", "top_k", "top_p", "cfg_coef", "extend_stride"):
            if name in out:
                low, high = getattr(self, name)
                if not low <= out[name] <= high:
                    raise ValueError(f"{name}={out[name]} lies outside the search range [{low}, {high}].")
        return out


def _check_pair(name: str, pair: Any, low: float, high: float, *, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if (not isinstance(pair, tuple) or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, kind) for v in pair)):
        what = "two integers" if integer else "two numbers"
        shown = list(pair) if isinstance(pair, tuple) else repr(pair)
        raise ValueError(f"{name} must be a [low, high] pair of {what} but got {shown}.")
    if not low <= pair[0] <= pair[1] <= high:
        raise ValueError(f"{name} range must satisfy {low} <= low <= high <= {high} but got {list(pair)}.")
