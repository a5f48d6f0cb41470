"""Follow a value through the project's code, from the ``optimize`` command line to the decode (issue 19).

:func:`trace_flags` runs ``optimizer.cli._optimize.main`` in-process under :func:`sys.settrace` and records, for each
followed value, the project files (``optimizer/``, ``objectives/``) that hand it on. The criterion, precisely:

* **The value.** ``--melody``: the melody waveform, known by its samples (the test writes the file, so it knows
  them): an ``ndarray`` or tensor holding exactly those samples. ``temperature``: the float object Optuna's
  ``Trial.suggest_float("temperature", ...)`` returns for the trial, known by identity. Before it exists, a
  search space holds only the temperature *range*: building the space is not on the value's path, and asking the
  space for a trial's configuration (:meth:`~optimizer.search.SearchSpace.suggest`) is where the value is born.
* **Holding it.** A frame of a function in ``optimizer/`` or ``objectives/`` (module bodies excluded) holds the
  value when, at its call (its arguments) or at its return (its locals and its return value), the value is one of
  them or sits at most two steps inside one: an element of a list, tuple or set, a value of a dict, a field of a
  dataclass (``configs[i].temperature``, ``conditioning.melodies[i]``, ``evaluator.melodies[i]``).
* **Entering a file.** A frame holding the value enters its file when the nearest project frame below it on the
  stack is in another file (the caller's file). A method whose ``self`` already held the value when it was called
  (``Evaluator.evaluate_many``, ``Conditioning.evaluator_kwargs``, ``DecodingParams.canonical``) is the object
  handing back what it was given: the file was entered when the object got the value, so this is not an entry.
  Calling the same file again from the same caller's file (a loop, a second batch) is the same entry.
* **The path.** The files on the stack of the first frame that holds the value (the command line down to where
  the value is born), then each file entered from a caller's file not seen entering it before, in time order,
  until the decode reads the value: the first frame holding it in ``objectives/generation/_melody`` (the
  melody's chroma) or ``objectives/generation/_sampling`` (the sampler's per-row temperature).
* **Once.** The path enters each file once: no file appears twice in it (no ``A -> B -> A`` bounce, no file
  entered from two places).

What this cannot tell: code that moves every option alike without holding the value (argparse, the namespace to
:class:`~optimizer.run.RunOptions` copy) carries the melody's *file name*, not the melody, and is not listed; and
a decision moved into a method of the object that holds the value would no longer count as an entry, so the
review checks that decisions stay functions (``melody_model`` is one).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_PROJECT = tuple(str(ROOT / package) + os.sep for package in ("optimizer", "objectives"))
DECODE = {"melody": "objectives/generation/_melody", "temperature": "objectives/generation/_sampling"}
"""Where the decode reads each value: the file that ends its path."""


def _project_file(filename: str) -> str | None:
    """``optimizer/run/_setup`` for a project file, else None."""
    if not filename.startswith(_PROJECT):
        return None
    return Path(filename).relative_to(ROOT).with_suffix("").as_posix()


def _holds(obj, is_value: Callable[[object], bool], depth: int = 2) -> bool:
    if is_value(obj):
        return True
    if depth == 0 or obj is None or isinstance(obj, (str, bytes, int, float, bool, Path)):
        return False
    if isinstance(obj, dict):
        items = list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [getattr(obj, f.name, None) for f in dataclasses.fields(obj)]
    else:
        return False
    return any(_holds(item, is_value, depth - 1) for item in items[:256])


class _Follower:
    """The path of one value (see the module docstring)."""

    def __init__(self, name: str, is_value: Callable[[object], bool]) -> None:
        self.name = name
        self.is_value = is_value
        self.path: list[str] = []
        self.callers: list[str | None] = []
        self.edges: set[tuple[str, str]] = set()
        self.done = False

    def held(self, frame, file: str, values: Sequence, *, self_held: bool) -> None:
        if self.done or not any(_holds(v, self.is_value) for v in values):
            return
        if not self.path:
            chain = _stack_files(frame)
            self.path = [f for i, f in enumerate(chain) if i == 0 or chain[i - 1] != f]
            self.callers = [None, *self.path[:-1]]
            self.edges = set(zip(self.path, self.path[1:], strict=False))
        elif not self_held:
            caller = _caller_file(frame, file)
            if caller is not None and (caller, file) not in self.edges:
                self.edges.add((caller, file))
                self.path.append(file)
                self.callers.append(caller)
        if file == DECODE[self.name]:
            self.done = True


def _stack_files(frame) -> list[str]:
    files = []
    while frame is not None:
        file = _project_file(frame.f_code.co_filename)
        if file is not None and frame.f_code.co_name != "<module>":
            files.append(file)
        frame = frame.f_back
    return files[::-1]


def _caller_file(frame, file: str) -> str | None:
    """The file of the nearest project frame below ``frame``; None when it is ``file`` itself (no entry)."""
    frame = frame.f_back
    while frame is not None:
        caller = _project_file(frame.f_code.co_filename)
        if caller is not None:
            return None if caller == file else caller
        frame = frame.f_back
    return None


def melody_wave(path: Path, seconds: float = 2.0) -> np.ndarray:
    """Write a mono 32 kHz sine melody of ``seconds`` to ``path``; return its samples (what is followed)."""
    import soundfile

    t = np.arange(int(32_000 * seconds)) / 32_000
    wave = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    soundfile.write(path, wave, 32_000, subtype="FLOAT")
    return wave


def _is_wave(wave: np.ndarray) -> Callable[[object], bool]:
    import torch

    def is_value(obj) -> bool:
        if isinstance(obj, np.ndarray):
            return obj.size == wave.size and obj.dtype.kind == "f" and np.array_equal(obj.reshape(-1), wave)
        if isinstance(obj, torch.Tensor):
            return (obj.numel() == wave.size and obj.is_floating_point()
                    and np.array_equal(obj.detach().cpu().reshape(-1).numpy(), wave))
        return False

    return is_value


ARGV = ("--genre", "jazz", "--trials", "1", "--prompts", "1", "--replicates", "1", "--duration", "0.2",
        "--validate-seeds", "0", "--no-artifacts", "--device", "cpu", "--model", "debug-melody", "--melody", "m.wav")
"""The traced run: one trial of the tiny random melody model on one prompt (its first trial is the genre's
reference configuration), no preset validation (a second decode, of the presets), on the CPU."""

ValuePath = list[tuple[str, str | None]]
"""A value's path: ``(file, caller's file)`` per entry, the first entry's caller None."""

_BEGIN, _END = "<!-- flag-trace:begin (python -m tests.flag_trace writes it) -->", "<!-- flag-trace:end -->"
DOC = ROOT / "docs" / "architecture.md"


def trace_run(folder: Path) -> tuple[int, dict[str, ValuePath]]:
    """Write the melody into ``folder`` and trace :data:`ARGV` there (the study and presets land in it)."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        return trace_flags(ARGV, melody_wave(folder / "m.wav"))
    finally:
        os.chdir(here)


def render(paths: dict[str, ValuePath]) -> str:
    """Each value's path as one markdown list item; an entry from a file other than the one before it names
    its caller."""
    lines = []
    for name, label in (("melody", "`--melody` (the melody's samples)"),
                        ("temperature", "`temperature` (the trial's value)")):
        steps, before = [], None
        for file, caller in paths[name]:
            steps.append(f"`{file}`" if caller in (None, before) else f"(from `{caller}`) `{file}`")
            before = file
        lines.append(f"- {label}: " + " -> ".join(steps))
    return "\n".join(lines)


def documented() -> str:
    """The generated block of docs/architecture.md (between its markers)."""
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(_BEGIN) + len(_BEGIN):text.index(_END)].strip()


def write_doc(paths: dict[str, ValuePath]) -> None:
    """Replace the generated block of docs/architecture.md with :func:`render` of ``paths``."""
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(text[:text.index(_BEGIN) + len(_BEGIN)] + "\n" + render(paths) + "\n" + text[text.index(_END):],
                   encoding="utf-8")


def trace_flags(argv: Sequence[str], wave: np.ndarray) -> tuple[int, dict[str, ValuePath]]:
    """Run ``optimize argv`` in-process and return its exit code and each value's path (module docstring):
    ``{"melody": [...], "temperature": [...]}``, files as ``optimizer/run/_setup``."""
    import optuna

    from optimizer.cli._optimize import main

    born: list[object] = []
    suggest_float = optuna.trial.Trial.suggest_float

    def suggest_and_note(trial, name, *args, **kwargs):
        value = suggest_float(trial, name, *args, **kwargs)
        if name == "temperature" and not born:
            born.append(value)
        return value

    followers = [_Follower("melody", _is_wave(wave)),
                 _Follower("temperature", lambda obj: bool(born) and obj is born[0])]

    def local(frame, event, arg):
        if event == "return":
            file = _project_file(frame.f_code.co_filename)
            values = [*frame.f_locals.values(), arg]
            for follower in followers:
                follower.held(frame, file, values, self_held=id(frame) in self_held[follower.name])
                self_held[follower.name].discard(id(frame))
        return local

    self_held: dict[str, set[int]] = {"melody": set(), "temperature": set()}

    def call(frame, event, arg):
        file = _project_file(frame.f_code.co_filename)
        if file is None or frame.f_code.co_name == "<module>":
            return None
        args = dict(frame.f_locals)
        for follower in followers:
            code = frame.f_code
            owner = args.get(code.co_varnames[0]) if code.co_argcount and code.co_varnames[0] == "self" else None
            held = owner is not None and _holds(owner, follower.is_value)
            if held:
                self_held[follower.name].add(id(frame))
            follower.held(frame, file, list(args.values()), self_held=held)
        return local

    optuna.trial.Trial.suggest_float = suggest_and_note  # type: ignore[method-assign]
    sys.settrace(call)
    try:
        code = main(list(argv))
    finally:
        sys.settrace(None)
        optuna.trial.Trial.suggest_float = suggest_float  # type: ignore[method-assign]
    return code, {f.name: list(zip(f.path, f.callers, strict=True)) for f in followers}


if __name__ == "__main__":  # python -m tests.flag_trace: trace the run and rewrite the docs' block
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        code, paths = trace_run(Path(folder))
    if code != 0:
        raise SystemExit(f"the traced run exited {code}")
    write_doc(paths)
    print(render(paths))
