"""The ``optimize`` argument parser: every option in one place, grouped as ``--help`` shows them.

Modes stay flags (``--human``, ``--pairwise``, ``--export-only``, ``--dashboard``, ``--list-genres``) because the
documented commands use them; :mod:`optimizer.cli._pairings` says which option means something in which mode.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from objectives import DTYPE_NAMES
from optimizer.cli._argparser import OneLineArgumentParser
from optimizer.cli._conditioning import add_conditioning_arguments
from optimizer.run import (
    DEFAULT_CLAP,
    DEFAULT_MODEL,
    DEFAULT_PENDING,
    DEFAULT_STORAGE,
    MAX_DURATION,
    MAX_PENDING,
    MAX_TRIALS,
)

__all__ = ["DEFAULT_CLAP", "DEFAULT_MODEL", "DEFAULT_STORAGE", "MAX_DURATION", "MAX_PENDING", "MAX_TRIALS",
           "build_parser", "parse_args"]

_DESCRIPTION = "``optimize``: search MusicGen decoding parameters for a genre and export Pareto presets."


_EXAMPLES = """\
examples:
  optimize --genre jazz --trials 50
      search jazz decoding for facebook/musicgen-small; resumable; writes presets/jazz.json
  optimize --genre jazz --trials 8 --model debug
      try the whole pipeline with tiny random models (the audio is noise)
  optimize --genre-file my_genre.toml --model ./musicgen-medium --clap ./larger_clap_music
      your own genre file, models from local directories (saved with save_pretrained)
  optimize --genre jazz --trials 30 --human --dashboard
      also rate each trial's clips 1-10 in optuna-dashboard (served at http://127.0.0.1:8080/); the run
      waits for your ratings, and re-running it resumes waiting
  optimize --genre jazz --export-only
      re-export presets/jazz.json from the existing study
  optimize --list-genres

--trials is the total number of completed trials the study should hold: re-running the same command
resumes the study and runs only what is missing. Review with (clips and spectrograms need --artifact-dir):
  {review}
  optimize --dashboard
"""



def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``--help`` shows examples)."""
    from optimizer._keys import EXTRA_OBJECTIVES
    from optimizer.cli._argtypes import racing_level_arg, seed_arg
    from optimizer.review import dashboard_command
    from optimizer.search import DEFAULT_SAMPLER, SAMPLERS

    # Path("artifacts") is default_artifact_dir(DEFAULT_STORAGE), spelled out: _artifacts imports torch.
    review_command = dashboard_command(DEFAULT_STORAGE, Path("artifacts"))
    p = OneLineArgumentParser(prog="optimize", description=_DESCRIPTION, epilog=_EXAMPLES.format(review=review_command),
                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_argument_group("what to optimize")
    which.add_argument("--genre", help="a shipped genre (see --list-genres)")
    which.add_argument("--genre-file", type=Path, help="your own genre TOML file instead of --genre")
    which.add_argument("--list-genres", action="store_true", help="list the shipped genres and exit")
    which.add_argument("--trials", type=int, default=50,
                       help="total completed trials the study should hold (default 50; a re-run resumes)")
    which.add_argument("--prompts", type=int, default=None,
                       help="use only the first N prompts of the genre per trial (default: all)")
    which.add_argument("--replicates", type=int, default=2, help="seeds per prompt (default 2)")
    which.add_argument("--duration", type=float, default=5.0,
                       help="clip length in seconds (default 5, max 300; past 30 s in 30 s windows)")
    models = p.add_argument_group("models")
    models.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"MusicGen hub id or local directory, or 'debug', 'debug-stereo', 'debug-melody' "
                             f"(tiny random models) (default {DEFAULT_MODEL})")
    models.add_argument("--clap", default=None,
                        help=f"CLAP hub id or local directory (default {DEFAULT_CLAP}; 'debug' with a debug model)")
    models.add_argument("--backend", default="transformers", choices=("transformers", "audiocraft"))
    models.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, cuda:N or mps")
    models.add_argument("--dtype", default="auto", choices=("auto", *DTYPE_NAMES),
                        help="the MusicGen's number format (EnCodec stays float32): auto (float16 on CUDA, float32 "
                             "elsewhere), float32, bfloat16 (1.8-2.1x faster decoding on CPUs with AMX, other tokens "
                             "than float32) or float16")
    models.add_argument("--batch-trials", default="auto",
                        help="trials evaluated together in one decoding pass: a number or auto (default: what "
                             "fits in GPU memory, up to 16; about 96 clips on CPU, fewer if RAM is short); halved on "
                             "out-of-memory")
    models.add_argument("--batch-size", type=int, default=None,
                        help="most clips decoded at once (default: all clips of a batch of trials)")
    study = p.add_argument_group("study")
    study.add_argument("--storage", default=DEFAULT_STORAGE,
                       help=f"Optuna RDB URL, or a path ending in .log for a journal file (default {DEFAULT_STORAGE})")
    study.add_argument("--heartbeat-interval", type=float, default=30.0,
                       help="seconds between heartbeats of running trials; a trial silent for 5 intervals is "
                            "failed and retried once by any worker (default 30)")
    study.add_argument("--study-name", help="default: <genre>/<model> (+ /human with --human, /pairwise with "
                                            "--pairwise)")
    study.add_argument("--objective", action="append", default=[], choices=EXTRA_OBJECTIVES, dest="extra_objectives",
                       help="add an objective after CLAP and repetition: diversity (maximise the spread of CLAP "
                            "embeddings across seeds); repeatable")
    study.add_argument("--prompt-suffix", action="append", default=[], dest="prompt_suffixes", metavar="TEXT",
                       help="a text that may be appended to every prompt (e.g. 'high quality, 48 kHz', '4/4 time'); "
                            "searched as a categorical dimension together with no suffix; repeatable; adds to the "
                            "genre file's search_space.prompt_suffixes")
    study.add_argument("--reference", type=Path, default=None, metavar="DIR",
                       help="a folder of your own audio in the genre: adds the objective fad, the Frechet distance "
                            "between CLAP embeddings of each trial's clips and of excerpts of this audio (minimised; "
                            "embeddings computed once and cached)")
    study.add_argument("--sampler", default=DEFAULT_SAMPLER, choices=SAMPLERS,
                       help=f"Optuna sampler (default {DEFAULT_SAMPLER}; see README)")
    study.add_argument("--seed", type=seed_arg, default=None,
                       help="sampler seed, 0 to 2**32 - 1 (clip seeds are fixed per prompt)")
    study.add_argument("--racing", action="store_true",
                       help="adaptive evaluation: decode each trial in stages (one seed of half the prompts, one "
                            "seed of all, then all) and stop it once degenerate or dominated by the feasible front "
                            "with confidence; stopped trials count towards --trials and never become presets "
                            "(see README: about 22%% fewer clips at the default level)")
    study.add_argument("--racing-level", type=racing_level_arg, default=None, metavar="ALPHA",
                       help="with --racing: one-sided level of the dominance test, between 0 and 0.5 (default "
                            "0.05; larger stops more trials sooner and risks stopping a good one)")
    out = p.add_argument_group("output")
    out.add_argument("--presets-dir", type=Path, default=Path("presets"),
                     help="where <genre>.json goes (<genre>.human.json with --human, <genre>.pairwise.json "
                          "with --pairwise; a study named by --study-name gets "
                          "<genre>[.human|.pairwise].<study>.json; only a file of the same study is replaced)")
    out.add_argument("--save-audio", type=Path,
                     help="keep every clip as WAV in a subfolder of this folder named after the study (existing "
                          "files are never replaced)")
    out.add_argument("--export-only", action="store_true", help="only export presets from the existing study")
    out.add_argument("--validate-seeds", type=int, default=None,
                     help="before export, re-generate the Pareto candidates and baselines on the genre's held-out "
                          "prompts with this many new seeds each and choose presets on those scores (default 4; "
                          "0 exports on search scores)")
    out.add_argument("--artifact-dir", type=Path, default=None,
                     help="where clips and spectrograms go for optuna-dashboard (default: artifacts/ beside the "
                          "SQLite or journal file, ./artifacts for a database server)")
    out.add_argument("--no-artifacts", action="store_true", help="do not upload clips and spectrograms")
    review = p.add_argument_group("review")
    review.add_argument("--dashboard", action="store_true",
                        help="start optuna-dashboard on --storage and the artifact folder, then wait")
    review.add_argument("--human", action="store_true",
                        help="add a third objective, your 1-10 rating of each trial's clips in optuna-dashboard; "
                             "the run waits for ratings (with --dashboard it serves the dashboard meanwhile)")
    review.add_argument("--pending", type=int, default=DEFAULT_PENDING,
                        help=f"with --human: most trials awaiting a rating at once (default {DEFAULT_PENDING})")
    review.add_argument("--host", default="127.0.0.1", help="dashboard address (default 127.0.0.1: this machine)")
    review.add_argument("--port", type=int, default=8080, help="dashboard port (default 8080)")
    review.add_argument("--pairwise", action="store_true",
                        help="pairwise mode: a listener compares clips in the dashboard and a preferential GP "
                             "learns from the choices; --trials counts compared trials (needs the preferential "
                             "extra; see README)")
    review.add_argument("--compare", type=int, default=None,
                        help="pairwise: clips shown side by side, 2-16 (default 4; fixed when the study is created)")
    add_conditioning_arguments(p)
    return p


class _Unset:
    """Marks an option the command line did not give (argparse keeps a value found in the namespace)."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET = _Unset()


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, frozenset[str]]:
    """Parse ``argv`` and tell which options it gave.

    An option given at its default value counts as given (``--trials 50`` with ``--dashboard`` is refused like
    ``--trials 7``): argparse keeps any value already in the namespace, so every destination starts as a marker
    and those still holding it afterwards take their documented default.

    Args:
        argv: the arguments after the program name; None reads ``sys.argv``.

    Returns:
        The namespace with every default filled in, and the destinations (``dest`` names) the command line set.

    Raises:
        SystemExit: exit 2 with one line for an unknown option or a bad value (argparse).
    """
    parser = build_parser()
    defaults = vars(parser.parse_args([]))
    # Append actions copy what the namespace holds; None is their "nothing yet".
    appends = {a.dest for a in parser._actions if isinstance(a, argparse._AppendAction)}
    start = {dest: None if isinstance(value, list) or dest in appends else _UNSET for dest, value in defaults.items()}
    parsed = vars(parser.parse_args(argv, namespace=argparse.Namespace(**start)))
    given = frozenset(dest for dest, value in parsed.items() if value is not start[dest])
    filled = {dest: defaults[dest] if dest not in given else value for dest, value in parsed.items()}
    return argparse.Namespace(**filled), given
