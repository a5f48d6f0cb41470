"""Finding a checkpoint before transformers loads it.

A local directory is checked for what it holds (config.json of the right architecture, readable weights), so a
CLAP directory given as the MusicGen, a truncated safetensors file or a broken config.json is one sentence naming
the directory and the problem. A hub id is taken from the local Hugging Face cache without any network call; only
when it is not cached is the hub asked, once, with a short timeout, before transformers downloads it. Without
that, an unreachable hub costs every file transformers probes five retries with backoff (151 s and a page of
retry lines for MusicGen) before the same error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from objectives.generation import ModelLoadError

__all__ = ["CLAP", "MUSICGEN", "CheckpointKind", "check_directory", "resolve_checkpoint"]


@dataclass(frozen=True)
class CheckpointKind:
    """What a command expects to load.

    Attributes:
        label: the name in messages (``MusicGen``).
        option: the input that names it (``model`` or ``clap``), carried by :class:`ModelLoadError`; the CLI
            turns it into its flag.
        model_types: the ``model_type`` values of ``config.json`` accepted.
    """

    label: str
    option: str
    model_types: frozenset[str]


MUSICGEN = CheckpointKind(label="MusicGen", option="model", model_types=frozenset({"musicgen", "musicgen_melody"}))
CLAP = CheckpointKind(label="CLAP", option="clap", model_types=frozenset({"clap"}))
_KINDS = (MUSICGEN, CLAP)
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def resolve_checkpoint(name_or_path: str, kind: CheckpointKind) -> str:
    """The local directory (or, when it must be downloaded, the hub id) to pass to ``from_pretrained``.

    Args:
        name_or_path: a directory saved with ``save_pretrained`` or a hub id (``facebook/musicgen-small``).
        kind: :data:`MUSICGEN` or :data:`CLAP`.

    Returns:
        The directory itself; a hub id's snapshot folder in the local cache when it is complete there; else the
        hub id, once the hub has answered (transformers then downloads it).

    Raises:
        ModelLoadError: the directory is missing or holds something else (see :func:`check_directory`); the hub id
            is not cached and ``HF_HUB_OFFLINE`` is set, the hub does not answer within ``HF_HUB_ETAG_TIMEOUT``
            seconds (default 10), or it has no such model. The message says what to do (``hf download <id>``).
    """
    path = Path(name_or_path).expanduser()
    if path.exists() or _looks_like_path(name_or_path):
        check_directory(path, kind)
        return str(path)
    return _from_hub(name_or_path, kind)


def check_directory(path: Path, kind: CheckpointKind) -> None:
    """Check that ``path`` is a ``save_pretrained`` directory of ``kind`` whose weights can be read.

    Raises:
        ModelLoadError: no such directory, a file, no or broken ``config.json``, another architecture (naming the
            option it belongs to), no weights, or a safetensors file that is truncated or not safetensors.
    """
    config_problem = _config_problem(path, kind)
    if config_problem is None:
        config_problem = _weights_problem(path)
    if config_problem is not None:
        raise _error(kind, f"{kind.label} directory {str(path)!r} {config_problem}", path)


def _error(kind: CheckpointKind, message: str, folder: Path | None = None) -> ModelLoadError:
    """A :class:`ModelLoadError` about ``kind``'s input; ``belongs_to`` names the input a foreign ``folder``
    (another kind's checkpoint) suits."""
    other = _kind_of(folder) if folder is not None else None
    return ModelLoadError(message, option=kind.option,
                          belongs_to=other.option if other is not None and other is not kind else None)


def _kind_of(folder: Path) -> CheckpointKind | None:
    try:
        model_type = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return next((k for k in _KINDS if model_type in k.model_types), None)


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else the user typed is a path that does not exist.
    return name.startswith(("/", ".", "~")) or "\\" in name or name.count("/") > 1


def _config_problem(path: Path, kind: CheckpointKind) -> str | None:
    if not path.exists():
        return "does not exist; give a directory saved with save_pretrained, or a hub id."
    if not path.is_dir():
        return "is a file, not a directory saved with save_pretrained."
    config_file = path / "config.json"
    if not config_file.is_file():
        return "has no config.json: it is not a model saved with save_pretrained."
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"has a broken config.json ({exc}); save the model again or download it again."
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type in kind.model_types:
        return None
    if not isinstance(model_type, str):
        return "has a config.json without a model_type: it is not a transformers model config."
    other = next((k for k in _KINDS if model_type in k.model_types), None)
    if other is not None:
        return (f"holds a {other.label} model (model_type {model_type!r}), not a {kind.label}; give it as the "
                f"{other.label} model.")
    expected = ", ".join(sorted(kind.model_types))
    return f"holds a model of type {model_type!r}, not a {kind.label} (model_type {expected})."


def _weights_problem(path: Path) -> str | None:
    from safetensors import SafetensorError, safe_open

    present = [name for name in _WEIGHTS if (path / name).is_file()]
    if not present:
        return f"has no weights (none of {', '.join(_WEIGHTS)})."
    shards = {path / "model.safetensors"} if "model.safetensors" in present else set()
    for index_name in (n for n in present if n.endswith(".index.json")):
        try:
            weight_map = json.loads((path / index_name).read_text(encoding="utf-8"))["weight_map"]
            shards |= {path / name for name in weight_map.values()}
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            return f"has a broken {index_name} ({exc!r}); download or save the model again."
    for shard in sorted(shards):
        if not shard.is_file():
            return f"lacks {shard.name}, listed in its weight index; download or save the model again."
        if shard.suffix == ".safetensors":
            try:
                with safe_open(str(shard), framework="pt"):  # reads and checks the header against the file size
                    pass
            except (SafetensorError, OSError) as exc:
                return f"has a damaged {shard.name} ({exc}): truncated or not safetensors; download or save it again."
    return None


def _from_hub(repo_id: str, kind: CheckpointKind) -> str:
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError

    fix = (f"download it where there is network with `hf download {repo_id}` (then copy the Hugging Face cache "
           f"here), or give /path/to/a/directory/saved/with/save_pretrained.")
    try:
        cached: str | None = huggingface_hub.snapshot_download(repo_id, local_files_only=True)
    except HFValidationError as exc:
        raise _error(kind, f"{kind.label} {repo_id!r} is neither a directory nor a hub id ({exc}).") from None
    except (LocalEntryNotFoundError, OSError):
        cached = None
    where = f"is not in the local Hugging Face cache ({constants.HF_HUB_CACHE})"
    if cached is not None:
        snapshot = Path(cached)
        config_problem = _config_problem(snapshot, kind)
        if config_problem is not None:
            raise _error(kind, f"{kind.label} {repo_id!r} (cached in {cached}) {config_problem}", snapshot)
        weights_problem = _weights_problem(snapshot)
        if weights_problem is None:
            return cached
        where = f"is only partly in the local Hugging Face cache (its snapshot {weights_problem.rstrip('.')})"
    if constants.HF_HUB_OFFLINE:
        raise _error(kind, f"{kind.label} {repo_id!r} {where} and HF_HUB_OFFLINE is set; {fix}")
    timeout = float(constants.HF_HUB_ETAG_TIMEOUT)
    try:
        huggingface_hub.model_info(repo_id, timeout=timeout)
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403, 404):
            raise _error(kind, f"the Hugging Face hub at {constants.ENDPOINT} has no {kind.label} {repo_id!r} "
                                 f"(HTTP {status}; a private or gated model needs `hf auth login`); check the "
                                 f"name, or give /path/to/a/directory/saved/with/save_pretrained."
                                 ) from None
        raise _error(kind, f"{kind.label} {repo_id!r} {where} and the hub at {constants.ENDPOINT} answered "
                             f"HTTP {status}; {fix}") from None
    except Exception as exc:  # the hub client's transport errors (httpx2 in huggingface_hub 2) share no public base
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _error(kind, f"{kind.label} {repo_id!r} {where} and the hub at {constants.ENDPOINT} cannot be "
                             f"reached ({reason}; timeout {timeout:g} s); {fix}") from None
    return repo_id
