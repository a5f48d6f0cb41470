"""Which ``optimize`` option means something in which mode: one table, checked before anything is loaded.

A mode is chosen by at most one mode flag (``--human --dashboard`` and ``--pairwise --export-only`` are the two
documented pairs). ``--export-only`` accepts every option of the run it re-exports, so appending it to a search
command works; any other option that the chosen mode would ignore is refused with one sentence naming both flags.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from optimizer._errors import UsageError

__all__ = ["EXPORT_IGNORED", "MODE_FLAGS", "OPTION_MODES", "check_pairings", "export_ignored", "mode_of"]

MODE_FLAGS = {"list_genres": "--list-genres", "dashboard": "--dashboard", "human": "--human",
              "pairwise": "--pairwise", "export_only": "--export-only"}
"""Destinations of the mode flags, and how the command line spells them."""

_MODE_PAIRS = {frozenset({"human", "dashboard"}), frozenset({"pairwise", "export_only"})}
"""Mode flags that combine: ``--human --dashboard`` serves the dashboard while waiting for ratings;
``--pairwise --export-only`` re-exports a pairwise study."""

_RUN = frozenset({"search", "human", "pairwise"})
"""Modes that generate clips (``--export-only`` re-exports one of them and accepts the same options)."""

OPTION_MODES: dict[str, frozenset[str]] = {
    **{dest: _RUN for dest in ("genre", "genre_file", "trials", "prompts", "replicates", "duration", "model", "clap",
                               "backend", "device", "dtype", "batch_trials", "batch_size", "study_name",
                               "prompt_suffixes", "seed", "presets_dir")},
    "storage": _RUN | {"dashboard"},
    "artifact_dir": _RUN | {"dashboard"},
    "heartbeat_interval": frozenset({"search", "human"}),
    "extra_objectives": frozenset({"search", "human"}),
    "reference": frozenset({"search", "human"}),
    "sampler": frozenset({"search", "human"}),
    "validate_seeds": frozenset({"search", "human"}),
    "racing": frozenset({"search"}),
    "racing_level": frozenset({"search"}),
    "save_audio": frozenset({"search"}),
    "no_artifacts": frozenset({"search"}),
    "pending": frozenset({"human"}),
    "host": frozenset({"dashboard", "human-dashboard", "pairwise"}),
    "port": frozenset({"dashboard", "human-dashboard", "pairwise"}),
    "compare": frozenset({"pairwise"}),
    "continuation": frozenset({"search", "human"}),
    "melody": frozenset({"search", "human"}),
}
"""Option destination -> modes where it means something: ``search`` (no mode flag), ``human``, ``human-dashboard``
(``--human --dashboard``; every ``human`` option applies too), ``pairwise``, ``dashboard`` (alone). ``--list-genres``
takes no other option."""

_WHY = {
    ("no_artifacts", "human"): "--human needs the clips in the dashboard to rate them, so it cannot be combined with "
                               "--no-artifacts.",
    ("no_artifacts", "pairwise"): "--pairwise needs the clips in the artifact folder (the listener compares them "
                                  "there); drop --no-artifacts.",
    ("extra_objectives", "pairwise"): "--objective does not apply to --pairwise: the listener's choice is the "
                                      "objective.",
    ("reference", "pairwise"): "--reference does not apply to --pairwise: the listener's choice is the objective.",
    ("sampler", "pairwise"): "--sampler does not apply to --pairwise: it always uses the preferential GP sampler.",
    ("continuation", "pairwise"): "--continuation does not apply to --pairwise yet: pairwise studies generate from "
                                  "text alone.",
    ("melody", "pairwise"): "--melody does not apply to --pairwise yet: pairwise studies generate from text alone.",
    ("racing", "human"): "--racing does not apply to --human: a rated trial's rating comes after all its clips are "
                         "heard, so it cannot be stopped early; drop --racing.",
    ("racing", "pairwise"): "--racing does not apply to --pairwise: a compared trial has no scores to race on; drop "
                            "--racing.",
}
"""Refusals whose wording says more than the generic sentence (kept from before the table existed)."""


EXPORT_IGNORED = ("trials", "seed", "sampler", "heartbeat_interval", "save_audio", "racing", "racing_level")
"""Options of a search that ``--export-only`` accepts (so it can be appended to the search's command) but does not
use: it exports the study's completed trials. Options describing the study itself (``--prompts``, ``--duration``...)
must match it instead (:func:`optimizer.run._export.check_given_match_study`)."""


def export_ignored(given: Iterable[str]) -> list[str]:
    """The flags among ``given`` that ``--export-only`` ignores (:data:`EXPORT_IGNORED`), spelled as typed."""
    return [_flag(dest) for dest in EXPORT_IGNORED if dest in set(given)]


def mode_of(args: argparse.Namespace) -> str:
    """The mode the parsed flags choose: ``list-genres``, else :func:`optimizer.run.mode_of` of the mode flags
    (``dashboard``, ``human``, ``human-dashboard``, ``pairwise``, ``pairwise-export``, ``export`` or ``search``);
    call :func:`check_pairings` first."""
    from optimizer.run import RunOptions
    from optimizer.run import mode_of as run_mode

    if args.list_genres:
        return "list-genres"
    return run_mode(RunOptions(human=args.human, dashboard=args.dashboard, pairwise=args.pairwise,
                               export_only=args.export_only))


def _flag(dest: str) -> str:
    return MODE_FLAGS.get(dest) or {"extra_objectives": "--objective", "prompt_suffixes": "--prompt-suffix"}.get(
        dest, "--" + dest.replace("_", "-"))


def check_pairings(given: Iterable[str], args: argparse.Namespace) -> None:
    """Refuse mode flags that do not combine and options the chosen mode would ignore.

    Args:
        given: destinations the command line set (:func:`optimizer.cli._parser.parse_args`).
        args: the parsed namespace; ``args.given`` is set to ``given`` (``--export-only`` compares the options
            typed with the study it re-exports).

    Raises:
        UsageError: one sentence naming the two flags that do not go together.
    """
    given = set(given)
    args.given = frozenset(given)  # modes that compare what was typed with a stored study read it
    modes = [dest for dest in MODE_FLAGS if dest in given and getattr(args, dest)]
    for i, first in enumerate(modes):
        for second in modes[i + 1:]:
            if frozenset({first, second}) not in _MODE_PAIRS:
                raise UsageError(f"{MODE_FLAGS[first]} cannot be combined with {MODE_FLAGS[second]}: they are "
                                 "different modes; run them as separate commands.")
    mode = mode_of(args)
    options = [dest for dest in OPTION_MODES if dest in given]
    if mode == "list-genres" and options:
        raise UsageError(f"{_flag(options[0])} does not apply to --list-genres, which only lists the shipped "
                         "genres; drop it.")
    run_mode = {"export": "search", "pairwise-export": "pairwise"}.get(mode, mode)
    accepted = {run_mode, "human"} if run_mode == "human-dashboard" else {run_mode}
    mode_flag = " ".join(MODE_FLAGS[dest] for dest in modes)
    for dest in options:
        allowed = OPTION_MODES[dest]
        if accepted & allowed:
            continue
        if (dest, run_mode) in _WHY:
            raise UsageError(_WHY[dest, run_mode])
        if run_mode == "human" and "human-dashboard" in allowed:
            raise UsageError(f"{_flag(dest)} applies to --human only with --dashboard; add --dashboard or drop "
                             f"{_flag(dest)}.")
        if mode_flag:
            raise UsageError(f"{_flag(dest)} does not apply to {mode_flag}; drop it.")
        raise UsageError(f"{_flag(dest)} applies only with {_needed(allowed)}; drop it or add {_needed(allowed)}.")
    if "racing_level" in given and not args.racing:
        raise UsageError("--racing-level applies only with --racing; add --racing or drop --racing-level.")
    if "artifact_dir" in given and args.no_artifacts:
        raise UsageError("--artifact-dir cannot be combined with --no-artifacts: one keeps clips there, the other "
                         "keeps none; drop one.")


def _needed(modes: frozenset[str]) -> str:
    """The mode flag(s) that would make an option mean something, e.g. ``--human`` or ``--dashboard or
    --pairwise``."""
    spelled = {"human": "--human", "human-dashboard": "--human --dashboard", "pairwise": "--pairwise",
               "dashboard": "--dashboard"}
    flags = sorted({spelled[m] for m in modes if m in spelled})
    if "dashboard" in modes:
        flags = [f for f in flags if f != "--human --dashboard"]
    return " or ".join(flags)
