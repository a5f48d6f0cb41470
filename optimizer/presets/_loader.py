"""Loading preset files: the API other programs use (imports neither torch nor Optuna)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from objectives import DEFAULT_EXTEND_STRIDE, DecodingParams
from objectives.scoring import ScoreSummary
from optimizer._parsing import DocumentError, read_json_file
from optimizer.presets._schema import PresetValidationError, validate_presets

__all__ = ["MAX_TRIAL_NUMBER", "Preset", "PresetFile", "PresetFileError", "UnknownPresetError",
           "load_genre_presets", "load_presets", "resolve_preset"]

_MAX_BYTES = 16_000_000
MAX_TRIAL_NUMBER = 2**31 - 1
"""Largest trial number a preset may carry: Optuna stores trial numbers in 32-bit INTEGER columns (and so does
the preset service), so a larger one cannot come from a study."""


class PresetFileError(ValueError):
    """A preset file is missing, unreadable or not JSON, or a preset name is unknown."""


@dataclass(frozen=True)
class Preset:
    """One named decoding configuration from a preset file.

    Attributes:
        name: ``balanced``, ``max_clap``, ``min_repetition``, ``pareto_<trial>``; ``preferred``,
            ``preferred_<trial>`` from a pairwise study; or a baseline name.
        genre: the genre it was optimised for.
        trial: the Optuna trial number it comes from.
        params: the configuration.
        scores: ``{"clap", "repetition", ...}`` -> mean, standard error and clip count from the study;
            ``"diversity"`` (where the study measured it) -> mean spread of CLAP embeddings across seeds, its
            standard error across prompts (NaN in version-1 files, which kept only the mean) and the number of
            prompts;
            ``"rating"`` (studies rated with ``--human``) -> mean listener rating 1-10, its standard error (NaN
            below two ratings) and the number of ratings.
        feasible: False only for a baseline that produced degenerate audio.
        preference: from a pairwise study, ``{"wins", "losses", "comparisons"}``: the (better, worse) pairs the
            listener put it in; None otherwise.
        validation: re-validated scores on held-out prompts (``{"clap": {mean, stderr, n, ci95}, ...,
            "feasible"}``), or None when the file was exported without validation.
        optimism: search mean minus validation mean per objective, or None.
    """

    name: str
    genre: str
    trial: int
    params: DecodingParams
    scores: Mapping[str, ScoreSummary] = field(default_factory=dict)
    feasible: bool = True
    preference: Mapping[str, int] | None = None
    validation: Mapping[str, Any] | None = None
    optimism: Mapping[str, float] | None = None

    def to_audiocraft(self) -> dict[str, Any]:
        """Keyword arguments for audiocraft's ``MusicGen.set_generation_params(**kwargs)``."""
        return self.params.to_audiocraft()

    def to_transformers(self) -> dict[str, Any]:
        """Keyword arguments for transformers' ``generate(**kwargs)``, every sampling field explicit."""
        return self.params.to_transformers()


class UnknownPresetError(PresetFileError, KeyError):
    """A preset file has no preset (or baseline) of that name: a :class:`KeyError` for the ``Mapping`` protocol
    (``in``, ``get``) and a :class:`PresetFileError` for callers that catch those."""

    def __str__(self) -> str:  # KeyError's own str() is the repr of the message, quotes and all
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, eq=False)
class PresetFile(Mapping[str, Preset]):
    """A whole ``presets/<genre>.json``: presets, baselines and provenance.

    A read-only :class:`~collections.abc.Mapping` from name to :class:`Preset` over the presets, then the
    baselines (``"balanced" in loaded``, ``list(loaded)``, ``len``, ``keys``/``values``/``items``, ``get``);
    a name in both sections means its preset. Equality is the ``Mapping``'s: the same names with equal presets.
    Nothing in it can be changed: the mappings are read-only views and the fields frozen.
    """

    path: Path
    genre: str
    schema_version: int
    generated_at: str
    provenance: Mapping[str, Any]
    presets: Mapping[str, Preset]
    baselines: Mapping[str, Preset]

    def __post_init__(self) -> None:
        for name in ("provenance", "presets", "baselines"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __getitem__(self, name: str) -> Preset:
        """A preset (or baseline) by name.

        Raises:
            UnknownPresetError: unknown name (a :class:`KeyError` and a :class:`PresetFileError`); the message
                lists the known ones.
        """
        if isinstance(name, str):
            if name in self.presets:
                return self.presets[name]
            if name in self.baselines:
                return self.baselines[name]
        raise UnknownPresetError(f"{self.path}: no preset named {name!r}; known: {', '.join(self)}.")

    def __iter__(self) -> Iterator[str]:
        """The preset names, then the baseline names that are not also preset names."""
        yield from self.presets
        yield from (name for name in self.baselines if name not in self.presets)

    def __len__(self) -> int:
        return len(self.presets) + sum(name not in self.presets for name in self.baselines)


def load_presets(path: str | Path) -> PresetFile:
    """Read and validate a preset file.

    Args:
        path: a ``presets/<genre>.json`` written by ``optimize``.

    Raises:
        PresetFileError: missing, a folder, a FIFO or other non-regular file, unreadable, larger than 16 MB,
            not UTF-8 JSON, nested deeper than 32 levels, or holding an integer outside the 64-bit range.
        PresetValidationError: does not match the shipped JSON Schema, has an unsupported
            ``schema_version``, a rendering disagrees with its ``params``, or a trial number is above
            :data:`MAX_TRIAL_NUMBER`; names the file and field.
    """
    path = Path(path)
    try:
        document = read_json_file(path, max_bytes=_MAX_BYTES, what="preset file")
    except DocumentError as exc:
        raise PresetFileError(str(exc)) from None
    validate_presets(document, source=str(path))
    genre = document["genre"]
    prompts = len(document["provenance"]["prompts"])
    return PresetFile(
        path=path, genre=genre, schema_version=document["schema_version"], generated_at=document["generated_at"],
        provenance=document["provenance"],
        presets={n: _preset(n, genre, e, path, "presets", prompts) for n, e in document["presets"].items()},
        baselines={n: _preset(n, genre, e, path, "baselines", prompts) for n, e in document["baselines"].items()},
    )


def load_genre_presets(genre: str, presets_dir: str | Path = "presets") -> PresetFile:
    """``load_presets(presets_dir / f"{genre}.json")``, refusing names that are not plain genre names.

    Raises:
        PresetFileError: bad genre name or no file for it.
        PresetValidationError: as :func:`load_presets`.
    """
    if not genre or "/" in genre or "\\" in genre or genre.startswith("."):
        raise PresetFileError(f"genre {genre[:60]!r} is not a genre name.")
    return load_presets(Path(presets_dir) / f"{genre}.json")


def resolve_preset(reference: str) -> tuple[PresetFile, Preset]:
    """Resolve ``"path/to/genre.json:name"`` (the name defaults to ``balanced``, or ``preferred`` in the file
    of a pairwise study).

    Raises:
        PresetFileError, PresetValidationError: as :func:`load_presets`, or an unknown name.
    """
    head, sep, tail = reference.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        path, name = head, tail
    else:  # no name given (a colon inside a path, e.g. C:\\presets\\jazz.json, is not a separator)
        path, name = reference, None
    loaded = load_presets(path)
    if name is None:
        name = "preferred" if loaded.provenance.get("mode") == "pairwise" else "balanced"
    return loaded, loaded[name]


def _without_default_stride(rendered: dict[str, Any]) -> dict[str, Any] | None:
    """An audiocraft rendering as files written before ``extend_stride`` joined it hold it (only at its default)."""
    if rendered.get("extend_stride") != DEFAULT_EXTEND_STRIDE:
        return None
    return {k: v for k, v in rendered.items() if k != "extend_stride"}


def _preset(name: str, genre: str, entry: dict[str, Any], path: Path, section: str, prompts: int) -> Preset:
    where = f"{section}/{name}"
    try:
        params = DecodingParams.from_dict(entry["params"])
    except ValueError as exc:
        raise PresetValidationError(f"{path}: field '{where}/params': {exc}") from None
    for engine, rendered in (("audiocraft", params.to_audiocraft()), ("transformers", params.to_transformers())):
        if entry[engine] != rendered and not (engine == "transformers" and entry[engine] == _legacy_greedy(params)) \
                and not (engine == "audiocraft" and entry[engine] == _without_default_stride(rendered)):
            raise PresetValidationError(f"{path}: field '{where}/{engine}' does not match its params "
                                        f"(expected {rendered}).")
    if entry["trial"] > MAX_TRIAL_NUMBER:  # the schema has the minimum 0
        raise PresetValidationError(f"{path}: field '{where}/trial': {entry['trial']} is larger than "
                                    f"{MAX_TRIAL_NUMBER}, the largest trial number a study can hold.")
    scores = {k: ScoreSummary.from_dict(v) for k, v in entry["scores"].items() if isinstance(v, dict)}
    diversity = entry["scores"].get("diversity")
    if isinstance(diversity, (int, float)):  # schema version 1: the mean over the search prompts, no spread
        scores["diversity"] = ScoreSummary(mean=float(diversity), stderr=math.nan, n=prompts)
    return Preset(name=name, genre=genre, trial=entry["trial"], params=params, scores=scores,
                  feasible=entry.get("feasible", True), preference=entry.get("preference"),
                  validation=entry.get("validation"), optimism=entry.get("optimism"))


def _legacy_greedy(params: DecodingParams) -> dict[str, Any] | None:
    """The greedy transformers rendering of files written before 2026-11-21 (``top_k=0`` etc., which transformers'
    strict validation refuses): the same argmax, so such files still load (and re-render the current way)."""
    if not params.is_greedy:
        return None
    return {"do_sample": False, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "guidance_scale": params.cfg_coef}
