"""Genres as data: loading and validating the TOML files in ``studies/``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from objectives import DecodingParams
from objectives.scoring import RepetitionCalibration
from optimizer._errors import GenreError, UnknownGenreError
from optimizer._parsing import DocumentError, check_structure, read_small_file
from optimizer.search._space import SearchSpace

__all__ = ["Genre", "list_genres", "load_genre", "load_genre_file"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MAX_FILE_BYTES = 1_000_000
_MAX_PROMPT_CHARS = 2_000
_MIN_PROMPTS = 1
_KEYS = {"name", "description", "prompts", "heldout_prompts", "baseline", "search_space", "calibration"}
_BASELINE_KEYS = {"source", "temperature", "top_k", "top_p", "cfg_coef", "use_sampling", "two_step_cfg"}


@dataclass(frozen=True)
class Genre:
    """One genre's study definition.

    Attributes:
        name: lowercase identifier (``jazz``), also the preset file's stem.
        description: what the genre target is.
        prompts: prompts evaluated in every trial.
        heldout_prompts: prompts kept out of the search, for validation only.
        baseline: the chapter's preset for this genre, or None.
        baseline_source: where the baseline comes from.
        search_space: the default space with this genre's overrides.
        path: the file it was read from.
        calibration: the raw repetition real music of the genre reaches (``[calibration]``), or None.
    """

    name: str
    description: str
    prompts: tuple[str, ...]
    heldout_prompts: tuple[str, ...]
    baseline: DecodingParams | None
    baseline_source: str | None
    search_space: SearchSpace
    path: Path
    calibration: RepetitionCalibration | None = None


def _studies_dir() -> Path:
    return Path(str(resources.files("studies")))


def list_genres() -> list[str]:
    """Names of the genres shipped in ``studies/``, sorted."""
    return sorted(p.stem for p in _studies_dir().glob("*.toml"))


def load_genre(name: str) -> Genre:
    """Load a shipped genre by name.

    Raises:
        GenreError: a malformed file; :class:`~optimizer._errors.UnknownGenreError` for an unknown genre (the
            message lists the known ones).
    """
    known = list_genres()
    if name not in known:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise UnknownGenreError(f"unknown genre {shown!r}; known genres: {', '.join(known)}, "
                                "or a genre file of your own.")
    return load_genre_file(_studies_dir() / f"{name}.toml")


def load_genre_file(path: str | Path) -> Genre:
    """Load and validate one genre TOML file (the one function that reads them).

    Raises:
        GenreError: the file is missing, a folder, a FIFO or other non-regular file, unreadable, larger than
            1 MB, not TOML, nested deeper than 32 levels, holds an integer outside the 64-bit range, or a field
            is missing or wrong; the message names the file and the field.
    """
    path = Path(path)
    try:
        raw = read_small_file(path, max_bytes=_MAX_FILE_BYTES, what="genre file")
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark (Windows editors) is not TOML: dropped
        check_structure(data, source=str(path))
    except DocumentError as exc:
        raise GenreError(str(exc)) from None
    except UnicodeDecodeError:
        raise GenreError(f"{path}: genre file is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise GenreError(f"{path}: not valid TOML ({exc}).") from None
    except RecursionError:  # tomllib recurses per nesting level
        raise GenreError(f"{path}: not a genre file (nested too deeply to parse).") from None
    except ValueError:  # tomllib converts decimal integers with int(), which refuses 4301+ digits
        raise GenreError(f"{path}: not a genre file (an integer with more than 4300 digits).") from None
    return _parse(data, path)


def _parse(data: dict[str, Any], path: Path) -> Genre:
    def fail(field: str, rule: str) -> GenreError:
        return GenreError(f"{path}: field '{field}' {rule}.")

    unknown = set(data) - _KEYS
    if unknown:
        raise fail(sorted(unknown)[0], f"is not a genre field (known: {', '.join(sorted(_KEYS))})")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise fail("name", "must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")
    prompts = _prompts(data, "prompts", fail)
    heldout = _prompts(data, "heldout_prompts", fail, required=False)
    overlap = set(prompts) & set(heldout)
    if overlap:
        raise fail("heldout_prompts", f"must not repeat search prompts (e.g. {sorted(overlap)[0][:60]!r})")

    space = SearchSpace()
    overrides = data.get("search_space", {})
    if not isinstance(overrides, dict):
        raise fail("search_space", "must be a table")
    try:
        space = space.with_overrides(overrides)
    except ValueError as exc:
        raise fail("search_space", f"is invalid: {exc}") from None

    baseline, source = None, None
    table = data.get("baseline")
    if table is not None:
        if not isinstance(table, dict):
            raise fail("baseline", "must be a table")
        unknown = set(table) - _BASELINE_KEYS
        if unknown:
            raise fail(f"baseline.{sorted(unknown)[0]}", "is not a decoding parameter")
        source = table.get("source")
        if source is not None and not isinstance(source, str):
            raise fail("baseline.source", "must be a string")
        try:
            baseline = DecodingParams.from_dict({k: v for k, v in table.items() if k != "source"})
            space.trial_params(baseline)
        except ValueError as exc:
            raise fail("baseline", f"is invalid: {exc}") from None
    calibration = None
    if "calibration" in data:
        if not isinstance(data["calibration"], dict):
            raise fail("calibration", "must be a table")
        try:
            calibration = RepetitionCalibration.from_dict(data["calibration"])
        except ValueError as exc:
            raise fail("calibration", f"is invalid: {exc}") from None
    return Genre(name=name, description=description, prompts=prompts, heldout_prompts=heldout,
                 baseline=baseline, baseline_source=source, search_space=space, path=path, calibration=calibration)


def _prompts(data: dict[str, Any], field: str, fail: Any, *, required: bool = True) -> tuple[str, ...]:
    value = data.get(field)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or len(value) < _MIN_PROMPTS:
        raise fail(field, "must be a non-empty list of strings")
    for i, prompt in enumerate(value):
        if not isinstance(prompt, str) or not prompt.strip():
            raise fail(f"{field}[{i}]", "must be a non-empty string")
        if len(prompt) > _MAX_PROMPT_CHARS:
            raise fail(f"{field}[{i}]", f"is longer than {_MAX_PROMPT_CHARS} characters")
    if len(set(value)) != len(value):
        raise fail(field, "must not contain duplicates")
    return tuple(value)
