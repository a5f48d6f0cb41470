"""The typed options of one ``optimize`` run: what a command line (or a Python caller) asks for, checked by
:func:`optimizer.run.prepare` before anything is read or written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_CLAP", "DEFAULT_MODEL", "DEFAULT_PENDING", "DEFAULT_STORAGE", "MAX_DURATION", "MAX_PENDING",
           "MAX_TRIALS", "RunOptions"]

DEFAULT_MODEL = "facebook/musicgen-small"
DEFAULT_CLAP = "laion/larger_clap_music"
DEFAULT_STORAGE = "sqlite:///optuna.db"
MAX_TRIALS = 100_000
MAX_DURATION = 300.0  # past 30 s MusicGen generates in windows advanced by extend_stride (objectives/generation)
DEFAULT_PENDING = 4
MAX_PENDING = 256


@dataclass(frozen=True)
class RunOptions:
    """One ``optimize`` run (search, ``export_only``, ``human``, ``pairwise`` or ``dashboard``); the defaults are
    the command line's. Ranges are checked by :func:`optimizer.run.prepare` (:class:`~optimizer._errors.UsageError`).
    """

    genre: str | None = None
    """A shipped genre name (see ``optimizer.search.list_genres``); exactly one of ``genre`` and ``genre_file``."""
    genre_file: Path | None = None
    """A genre TOML file of your own instead of ``genre``."""
    trials: int = 50
    """Completed trials the study should hold, 1 to 100 000 (a re-run resumes)."""
    prompts: int | None = None
    """Use only the first N >= 1 prompts of the genre per trial; None: all."""
    replicates: int = 2
    """Seeds per prompt, 1 to 64."""
    duration: float = 5.0
    """Clip length, seconds, in (0, 300] (past 30 s in 30 s windows; at most 30 with ``melody``)."""
    model: str = DEFAULT_MODEL
    """MusicGen hub id or local directory, or ``debug``, ``debug-stereo``, ``debug-melody``."""
    clap: str | None = None
    """CLAP hub id or local directory; None: ``debug`` with a debug model, else :data:`DEFAULT_CLAP`."""
    backend: str = "transformers"
    """``transformers`` or ``audiocraft``: the library that decodes."""
    device: str = "auto"
    """``auto`` (cuda, mps, cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    dtype: str = "auto"
    """The MusicGen text encoder's and decoder's number format: ``auto`` (float16 on CUDA, float32 elsewhere),
    ``float32``, ``bfloat16`` (1.8-2.1x faster decoding on CPUs with AMX; other tokens than float32) or
    ``float16``."""
    batch_trials: str = "auto"
    """Trials decoded together in one pass: ``auto`` (what fits the device) or a number 1 to 256 as text."""
    batch_size: int | None = None
    """Most clips decoded at once, >= 1; None: every clip of a batch of trials."""
    storage: str = DEFAULT_STORAGE
    """Optuna RDB URL, or a path ending in ``.log`` for a journal file."""
    heartbeat_interval: float = 30.0
    """Seconds between heartbeats of running trials, 0.1 to 3600."""
    study_name: str | None = None
    """1 to 512 characters; None: ``<genre>/<model>`` (+ ``/human`` or ``/pairwise``)."""
    extra_objectives: tuple[str, ...] = ()
    """Objectives after CLAP and repetition (registered names, e.g. ``diversity``)."""
    prompt_suffixes: tuple[str, ...] = ()
    """Texts that may be appended to every prompt (added to the search space)."""
    reference: Path | None = None
    """A folder of audio in the genre: adds the ``fad`` objective."""
    sampler: str = "tpe"
    """Optuna sampler name."""
    seed: int | None = None
    """Sampler seed, 0 to 2**32 - 1; None: random."""
    racing: bool = False
    """Decode each trial in stages and stop it once degenerate or dominated."""
    racing_level: float | None = None
    """With ``racing``: one-sided level of the dominance test in (0, 0.5]; None: the default 0.05."""
    presets_dir: Path = Path("presets")
    """Folder the preset file goes to."""
    save_audio: Path | None = None
    """Keep every clip as WAV in a subfolder of this folder named after the study; None: keep none."""
    export_only: bool = False
    """Only export presets from the existing study."""
    validate_seeds: int | None = None
    """Held-out seeds, 0 to 64, that re-generate the Pareto candidates before export; None: the default."""
    artifact_dir: Path | None = None
    """Where clips and spectrograms go for optuna-dashboard; None: ``artifacts/`` beside the storage."""
    no_artifacts: bool = False
    """Upload no clips and spectrograms."""
    dashboard: bool = False
    """Start optuna-dashboard (alone, or with ``human``)."""
    human: bool = False
    """Add the ``rating`` objective, rated in optuna-dashboard."""
    pending: int = DEFAULT_PENDING
    """With ``human``: most trials awaiting a rating at once, 1 to 256."""
    host: str = "127.0.0.1"
    """Dashboard address."""
    port: int = 8080
    """Dashboard port, 1 to 65535."""
    pairwise: bool = False
    """Pairwise mode: a listener compares clips and a preferential GP learns from the choices."""
    compare: int | None = None
    """Pairwise: clips shown side by side, 2 to 16; None: 4 (fixed when the study is created)."""
    continuation: tuple[Path, ...] = ()
    """Audio prompts to continue (prompt i continues file i); ``duration`` is the continuation's length."""
    melody: tuple[Path, ...] = ()
    """Melodies for a MusicGen-Melody model (prompt i follows file i); at least 1 s each."""
    given: frozenset[str] = field(default_factory=frozenset)
    """Names of the options the caller set explicitly (the command line's typed flags); ``export_only`` checks
    those that describe a study against it."""
