"""The application layer: typed options (:class:`RunOptions`) and the functions that run a study from them
(:func:`optimize`: search, export, and the interactive ``human``, ``pairwise`` and ``dashboard`` modes), and the
preset service (:class:`ServeOptions`, :func:`open_service`), for the command line (:mod:`optimizer.cli`) and
Python callers alike; no argparse here.

Names load on first use (PEP 562): importing the package imports none of its heavy dependencies.
"""

from typing import TYPE_CHECKING

from objectives import lazy_getattr

if TYPE_CHECKING:
    from optimizer.run._conditioning import (
        Conditioning,
        check_melody_model,
        load_conditioning,
        melody_model,
        read_continuations,
        read_melodies,
        spec_conditioning,
    )
    from optimizer.run._console import rating_progress, trial_progress
    from optimizer.run._export import (
        nothing_to_export_fails,
        run_export_only,
        show_presets,
        validate_and_export,
        write_or_refuse,
    )
    from optimizer.run._generate import GeneratedClip, GenerateOptions, generate
    from optimizer.run._models import check_backend_runs_model, load_models, quiet_libraries, trials_per_pass
    from optimizer.run._modes import mode_of
    from optimizer.run._optimize import optimize
    from optimizer.run._options import (
        DEFAULT_CLAP,
        DEFAULT_MODEL,
        DEFAULT_PENDING,
        DEFAULT_STORAGE,
        MAX_DURATION,
        MAX_PENDING,
        MAX_TRIALS,
        RunOptions,
    )
    from optimizer.run._outputs import check_presets_path, default_name, find_presets, preset_path, report_path
    from optimizer.run._report import ReportOptions, report
    from optimizer.run._resources import artifact_dir, artifact_store, precheck_artifact_dir, resume_command
    from optimizer.run._search import OpenRun, open_run, report_failures, run_search
    from optimizer.run._serve import DEFAULT_SERVE_PORT, PresetService, ServeOptions, open_service
    from optimizer.run._setup import Setup, prepare

__all__ = [
    "DEFAULT_CLAP",
    "DEFAULT_MODEL",
    "DEFAULT_PENDING",
    "DEFAULT_SERVE_PORT",
    "DEFAULT_STORAGE",
    "MAX_DURATION",
    "MAX_PENDING",
    "MAX_TRIALS",
    "Conditioning",
    "GenerateOptions",
    "GeneratedClip",
    "OpenRun",
    "PresetService",
    "ReportOptions",
    "RunOptions",
    "ServeOptions",
    "Setup",
    "artifact_dir",
    "artifact_store",
    "check_backend_runs_model",
    "check_melody_model",
    "check_presets_path",
    "default_name",
    "find_presets",
    "generate",
    "load_conditioning",
    "load_models",
    "melody_model",
    "mode_of",
    "nothing_to_export_fails",
    "open_run",
    "open_service",
    "optimize",
    "precheck_artifact_dir",
    "prepare",
    "preset_path",
    "quiet_libraries",
    "rating_progress",
    "read_continuations",
    "read_melodies",
    "report",
    "report_failures",
    "report_path",
    "resume_command",
    "run_export_only",
    "run_search",
    "show_presets",
    "spec_conditioning",
    "trial_progress",
    "trials_per_pass",
    "validate_and_export",
    "write_or_refuse",
]

_LAZY = {
    "DEFAULT_CLAP": "optimizer.run._options",
    "DEFAULT_MODEL": "optimizer.run._options",
    "DEFAULT_PENDING": "optimizer.run._options",
    "DEFAULT_STORAGE": "optimizer.run._options",
    "MAX_DURATION": "optimizer.run._options",
    "MAX_PENDING": "optimizer.run._options",
    "MAX_TRIALS": "optimizer.run._options",
    "RunOptions": "optimizer.run._options",
    "optimize": "optimizer.run._optimize",
    "GenerateOptions": "optimizer.run._generate",
    "GeneratedClip": "optimizer.run._generate",
    "generate": "optimizer.run._generate",
    "ReportOptions": "optimizer.run._report",
    "report": "optimizer.run._report",
    "Conditioning": "optimizer.run._conditioning",
    "check_melody_model": "optimizer.run._conditioning",
    "load_conditioning": "optimizer.run._conditioning",
    "melody_model": "optimizer.run._conditioning",
    "read_continuations": "optimizer.run._conditioning",
    "read_melodies": "optimizer.run._conditioning",
    "spec_conditioning": "optimizer.run._conditioning",
    "Setup": "optimizer.run._setup",
    "prepare": "optimizer.run._setup",
    "OpenRun": "optimizer.run._search",
    "open_run": "optimizer.run._search",
    "report_failures": "optimizer.run._search",
    "run_search": "optimizer.run._search",
    "nothing_to_export_fails": "optimizer.run._export",
    "run_export_only": "optimizer.run._export",
    "show_presets": "optimizer.run._export",
    "validate_and_export": "optimizer.run._export",
    "write_or_refuse": "optimizer.run._export",
    "check_backend_runs_model": "optimizer.run._models",
    "load_models": "optimizer.run._models",
    "quiet_libraries": "optimizer.run._models",
    "trials_per_pass": "optimizer.run._models",
    "check_presets_path": "optimizer.run._outputs",
    "default_name": "optimizer.run._outputs",
    "find_presets": "optimizer.run._outputs",
    "preset_path": "optimizer.run._outputs",
    "report_path": "optimizer.run._outputs",
    "artifact_dir": "optimizer.run._resources",
    "artifact_store": "optimizer.run._resources",
    "precheck_artifact_dir": "optimizer.run._resources",
    "resume_command": "optimizer.run._resources",
    "rating_progress": "optimizer.run._console",
    "trial_progress": "optimizer.run._console",
    "mode_of": "optimizer.run._modes",
    "DEFAULT_SERVE_PORT": "optimizer.run._serve",
    "PresetService": "optimizer.run._serve",
    "ServeOptions": "optimizer.run._serve",
    "open_service": "optimizer.run._serve",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
