"""Creating, resuming and checking the Optuna study of one genre and model."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import optuna

from objectives import fixed_objectives, get_objective, objective_names
from optimizer import _keys
from optimizer._errors import IncompatibleStudyError, StorageError, StudyNotFoundError
from optimizer._payloads import has, read, write
from optimizer._study_payloads import PairwiseSetup, StoredSpec
from optimizer.search._storage_spec import open_error, parse_storage

__all__ = [
    "StudySpec",
    "check_new_storage_file",
    "check_same_scoring",
    "check_same_setup",
    "default_study_name",
    "find_study",
    "load_existing_study",
    "load_or_create_study",
    "open_storage",
    "sqlite_path",
    "storage_file",
]


@dataclass(frozen=True, kw_only=True)
class StudySpec:
    """What every trial of a study shares; resuming with a different spec would mix incomparable trials.

    Attributes:
        genre: genre name.
        model: MusicGen name (hub id, directory, ``debug``).
        backend: ``transformers`` or ``audiocraft``.
        clap: CLAP checkpoint name.
        duration: clip length, seconds.
        replicates: seeds per prompt.
        base_seed: seed of the common random numbers.
        prompts: the prompts every trial generates.
        objectives: the registry's fixed objectives (``clap``, ``repetition``), then any other registered one
            (:mod:`objectives._registry`; ``fad`` when there is a reference set), and ``"rating"`` last for a
            study rated by listeners.
        reference: digest of the reference audio set (:func:`objectives.scoring.reference_digest`), or None.
        repetition_reference: the raw repetition real music of the genre reaches at this duration (the genre's
            calibration or the reference audio's); the repetition objective is the excess over it.
        scoring: :data:`~optimizer._keys.SCORING_VERSION` of the objective and constraint definitions.
        audio_channels: the model's output channels, 1 (mono) or 2 (stereo); known once the model is loaded.
        continuation: the audio prompts continued (``name sha256:<12 hex>`` each); empty for text only.
        melody: the melodies conditioned on (same form); empty without.
        dtype: the number format the MusicGen's decoder ran in (``float32``, ``bfloat16``, ``float16``), which
            the tokens depend on; known once the model is loaded. None: a backend that chooses its own, or a study
            stored before it was recorded (either resumes in any format).
    """

    genre: str
    model: str
    backend: str
    clap: str
    duration: float
    replicates: int
    base_seed: int
    prompts: tuple[str, ...]
    objectives: tuple[str, ...] = _keys.BASE_OBJECTIVES
    reference: str | None = None
    repetition_reference: float = 0.0
    scoring: int = _keys.SCORING_VERSION
    audio_channels: int = 1
    continuation: tuple[str, ...] = ()
    melody: tuple[str, ...] = ()
    dtype: str | None = None

    def __post_init__(self) -> None:
        automatic = self.objectives[:-1] if self.objectives[-1:] == (_keys.RATING,) else self.objectives
        fixed, known = fixed_objectives(), set(objective_names()) - {_keys.RATING}
        if automatic[:len(fixed)] != fixed or len(set(self.objectives)) != len(self.objectives) \
                or any(o not in known or o in fixed for o in automatic[len(fixed):]):
            raise ValueError(f"objectives must be {', '.join(fixed)}, then any of {sorted(known - set(fixed))} "
                             f"(fad with a reference set), then optionally rating, but got {list(self.objectives)}.")
        if ("fad" in self.objectives) != (self.reference is not None):
            raise ValueError("the fad objective comes with a reference set, and a reference set with fad.")
        if ("melody" in self.objectives) != bool(self.melody):
            raise ValueError("the melody objective comes with melodies, and melodies with the melody objective.")

    @property
    def directions(self) -> list[Literal["maximize", "minimize"]]:
        """Optuna directions of :attr:`objectives`, in order."""
        return [get_objective(o).direction for o in self.objectives]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prompts"] = list(self.prompts)
        d["objectives"] = list(self.objectives)
        for key in ("continuation", "melody"):
            d[key] = list(getattr(self, key))
            if not d[key]:  # text-only studies keep their earlier spec
                del d[key]
        if self.dtype is None:  # nor do specs written before the model loaded (or by audiocraft) gain a null
            del d["dtype"]
        return d

    @property
    def rated(self) -> bool:
        """True when a listener's rating is an objective (the last one)."""
        return self.objectives[-1] == _keys.RATING

    @property
    def automatic(self) -> tuple[str, ...]:
        """The objectives computed from the audio: :attr:`objectives` without ``rating``."""
        return tuple(o for o in self.objectives if o != _keys.RATING)


def default_study_name(genre: str, model: str) -> str:
    """``<genre>/<model>``: the hub id as given, a local directory by its folder name."""
    path = Path(model)
    label = path.resolve().name if path.exists() else model
    return f"{genre}/{label}"


def sqlite_path(storage_url: str) -> Path | None:
    """The file of a SQLite URL (query string and ``file:`` URI prefix removed), or None for other storages.

    Raises:
        StorageError: see :func:`~optimizer.search._storage_spec.parse_storage`.
    """
    spec = parse_storage(storage_url)
    return spec.file if spec.kind == "sqlite" else None


def storage_file(storage: str) -> Path | None:
    """The local file behind a SQLite URL or a journal path, or None for a database server.

    Raises:
        StorageError: see :func:`~optimizer.search._storage_spec.parse_storage`.
    """
    return parse_storage(storage).file


def open_storage(storage_url: str, *, write: bool = True) -> optuna.storages.BaseStorage:
    """Open an Optuna storage: any RDB URL SQLAlchemy understands (``sqlite:///optuna.db``,
    ``postgresql://user@host/db``, ``mysql+pymysql://...``), or a path ending in ``.log`` for a
    JournalStorage file that several processes on one machine can share without a server.

    Every form is first read by :func:`~optimizer.search._storage_spec.parse_storage` (a storage that lives only
    in memory is refused there), and every message names it without its password.

    RDB connections are checked before use (``pool_pre_ping``) and calls are retried while the database
    is unreachable (:class:`~optimizer.search._storage.RetryingRDBStorage`), so a dropped connection or a database
    restart of a few seconds does not end the run; opening has the same time limit for every command
    (:data:`~optimizer.search._storage.CONNECT_TIMEOUT_S`).

    Nothing is created or written before the storage is known to be good: a database with tables that are
    not Optuna's, a damaged or locked SQLite file, a file that is not a journal, or (with ``write``) a read-only
    file or folder is refused (:mod:`optimizer.search._storage_check`). A journal's torn last record is cut
    before the next append (:class:`~optimizer.search._journal.JournalFile`).

    Raises:
        StorageError: malformed URL, in-memory storage, missing driver, an unreachable server, or a storage
            refused as above.
    """
    spec = parse_storage(storage_url)
    shown = spec.display
    try:
        if spec.kind == "journal":
            from optimizer.search._journal import JournalFile
            from optimizer.search._storage_check import check_writable

            assert spec.file is not None
            if write:
                check_writable(spec.file)
            backend = JournalFile(str(spec.file))
            try:
                return optuna.storages.JournalStorage(backend)
            except ValueError as exc:  # Optuna replays every record: damage before the last one
                raise StorageError(shown, f"cannot open storage {shown!r}: a record before its end is "
                                   f"damaged ({str(exc)[:100]}); restore it from a backup.") from None
        from optimizer.search._storage import open_rdb_storage

        return open_rdb_storage(spec.url, write=write)
    except StorageError:  # the damaged journal above, said as it is
        raise
    except Exception as exc:  # SQLAlchemy raises ArgumentError, OperationalError, ImportError, ...
        raise open_error(spec, exc) from None


def check_new_storage_file(url: str, path: Path) -> None:
    """Refuse, before anything is written, a storage file ``path`` (of ``url``) that could not be created.

    Raises:
        StorageError: its folder is read-only.
    """
    from optimizer.search._storage_check import StorageCheckError, check_writable

    shown = parse_storage(url).display
    try:
        check_writable(path)
    except StorageCheckError as exc:
        raise StorageError(shown, f"cannot create the storage {shown!r}: {exc}.") from None


def load_existing_study(url: str, name: str, *, no_storage: str, no_study: str, write: bool = True) -> optuna.Study:
    """The study ``name`` in the storage ``url``, which must already exist (nothing is created); ``write``
    False accepts a read-only storage.

    Raises:
        StudyNotFoundError: the storage file is missing (message ends with ``no_storage``), the storage cannot be
            opened, or it holds no such study (the message lists the first 10 study names it holds, sorted,
            and ends with ``no_study``).
    """
    spec = parse_storage(url)
    shown = spec.display
    if spec.file is not None and not spec.file.exists():
        raise StudyNotFoundError(shown, name, f"no storage at {shown!r}: {no_storage}.")
    storage = open_storage(url, write=write)
    study = find_study(storage, name)
    if study is None:
        raise StudyNotFoundError(shown, name, f"no study named {name!r} in {shown!r}; {_existing_names(storage)}; "
                                             f"{no_study}.")
    return study


def _existing_names(storage: optuna.storages.BaseStorage, shown: int = 10) -> str:
    """``it holds 'a', 'b' and 3 more`` (sorted, each cut to 80 characters), or ``it holds no study``."""
    names = sorted(s.study_name for s in storage.get_all_studies())
    if not names:
        return "it holds no study"
    listed = ", ".join(repr(n if len(n) <= 80 else n[:77] + "...") for n in names[:shown])
    return f"it holds {listed}" + (f" and {len(names) - shown} more" if len(names) > shown else "")


def find_study(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study | None:
    """The existing study called ``name``, or None."""
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def load_or_create_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    spec: StudySpec,
    sampler: optuna.samplers.BaseSampler,
) -> tuple[optuna.Study, bool]:
    """Resume the study ``name`` if it exists, else create it (multi-objective: CLAP up, repetition down).

    Returns:
        ``(study, created)``.

    Raises:
        IncompatibleStudyError: the existing study has other objectives, or another model, prompts, duration, seeds
            or CLAP checkpoint (its trials would not be comparable); the message says how to start anew.
    """
    study = optuna.create_study(storage=storage, study_name=name, directions=spec.directions,
                                sampler=sampler, load_if_exists=True)  # another worker may create it first
    created = not has(study, StoredSpec)
    if created:
        if [d.name.lower() for d in study.directions] != spec.directions:
            raise _other_objectives(study, spec)
        study.set_metric_names(list(spec.objectives))
        write(study, StoredSpec(spec.to_dict()))  # identical if two new workers race here
    else:
        check_compatible(study, spec)
    return study, created


def check_compatible(study: optuna.Study, spec: StudySpec) -> None:
    """Raise :class:`IncompatibleStudyError` unless ``study`` was made by this tool for the same ``spec``.

    A study another worker has just created, with our directions, no trials and no spec yet, passes.
    """
    stored = spec_doc.values if (spec_doc := read(study, StoredSpec)) is not None else None
    if has(study, PairwiseSetup):
        raise IncompatibleStudyError(study.study_name, "kind", "pairwise", "multi-objective",
                                     f"study {study.study_name!r} is a pairwise study (a listener's choices, not "
                                     f"CLAP scores); a study scored by CLAP needs another name.")
    directions_match = [d.name.lower() for d in study.directions] == spec.directions
    if stored is None and not study.get_trials(deepcopy=False) and directions_match:
        return
    if stored is None or stored.get("objectives") != list(spec.objectives) or not directions_match:
        raise _other_objectives(study, spec)
    # The setup first: another --duration also moves the repetition reference, and the message must name the
    # option the user changed, not its consequence.
    check_same_setup(study.study_name, stored, spec)
    check_same_scoring(study.study_name, stored, spec)


def check_same_scoring(name: str, stored: dict[str, Any], spec: StudySpec) -> None:
    """Raise :class:`IncompatibleStudyError` unless the study ``name`` was scored with the same repetition objective and
    degeneracy definitions (:data:`~optimizer._keys.SCORING_VERSION`) and the same repetition reference."""
    version = stored.get("scoring", 1)
    if version != spec.scoring:
        raise IncompatibleStudyError(name, "scoring", version, spec.scoring,
                                     f"study {name!r} was scored with definition {version} of the repetition "
                                     f"objective and degeneracy checks, this version uses {spec.scoring} (repetition "
                                     "beyond the genre's reference, hard-clip runs, silence relative to the clip); "
                                     "their values cannot be mixed; start a new study under another name (presets "
                                     "already exported stay valid).")
    if stored.get("repetition_reference", 0.0) != spec.repetition_reference:
        raise IncompatibleStudyError(name, "repetition_reference", stored.get("repetition_reference"),
                                     spec.repetition_reference,
                                     f"study {name!r} was run with repetition reference "
                                     f"{stored.get('repetition_reference')} and this run computes "
                                     f"{spec.repetition_reference} (the genre's calibration, the clip length or the "
                                     "reference audio changed); its repetition values would not be comparable; "
                                     "start a separate study under another name.")


def check_same_setup(name: str, stored: dict[str, Any], spec: StudySpec) -> None:
    """Raise :class:`IncompatibleStudyError` unless the spec ``stored`` in study ``name`` has the model, backend, CLAP
    checkpoint, duration, seeds and prompts of ``spec``, and its number format where both know theirs (objectives
    are the caller's to check)."""
    wanted = spec.to_dict()
    for key in ("model", "backend", "clap", "duration", "replicates", "base_seed", "prompts", "reference",
                "continuation", "melody"):
        if stored.get(key) != wanted.get(key):
            raise IncompatibleStudyError(name, key, stored.get(key), wanted.get(key),
                                         f"study {name!r} was run with a different {key} "
                                         f"({_short(stored.get(key))} vs {_short(wanted.get(key))}); its trials would "
                                         "not be comparable; start a separate study under another name.")
    if stored.get("dtype") and wanted.get("dtype") and stored["dtype"] != wanted["dtype"]:
        raise IncompatibleStudyError(name, "dtype", stored["dtype"], wanted["dtype"],
                                     f"study {name!r} was decoded in {stored['dtype']} and this run decodes in "
                                     f"{wanted['dtype']}; the two formats give other tokens, so its trials would not "
                                     f"be comparable; decode in {stored['dtype']} or start a separate study under "
                                     "another name.")


def _other_objectives(study: optuna.Study, spec: StudySpec) -> IncompatibleStudyError:
    directions = ", ".join(d.name.lower() for d in study.directions)
    return IncompatibleStudyError(study.study_name, "objectives", directions, ", ".join(spec.directions),
                                  f"study {study.study_name!r} already exists with other objectives ({directions}); "
                                  "start a separate study under another name.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
