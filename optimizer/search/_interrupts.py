"""Ctrl-C and SIGTERM as one interrupt that the cleanup after it cannot lose.

Python turns SIGINT into ``KeyboardInterrupt`` but leaves SIGTERM (what SLURM, Kubernetes and spot instances
send before preemption) fatal, and a second Ctrl-C raises a second ``KeyboardInterrupt`` inside the ``except``
block that is failing the running trials, so some stay RUNNING. :func:`handle_interrupts` installs one handler
for both signals: the first raises ``KeyboardInterrupt`` (unless a :func:`shielded` section defers it to its
end), every later one is only noted, so the runners' cleanup always finishes. The standard library has no
such "interrupt once, then let the cleanup run" handler, hence this module.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["exit_code", "handle_interrupts", "interrupt_name", "raise_if_stopping", "received", "shielded", "stopping"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""128 + the signal number, the shell's convention, so a scheduler sees a run stopped by SIGTERM as such."""


@dataclass
class _State:
    first: int | None = None
    """The signal that started the interrupt, once raised as ``KeyboardInterrupt``."""
    pending: int | None = None
    """A signal received inside a :func:`shielded` section, raised when the section ends."""
    depth: int = 0
    """Nesting depth of :func:`shielded` sections."""
    installed: bool = False
    told: bool = False
    """The user was told once that later signals wait for the cleanup."""
    arrivals: int | None = None
    """Read end of the pipe given to :func:`signal.set_wakeup_fd`: the C-level handler writes each signal's number
    there in arrival order, while Python runs pending handlers in signal-number order (SIGINT before SIGTERM)."""


_state = _State()


def _first_arrived(signum: int) -> int:
    """The earliest signal still unread on the wakeup pipe (the one that really came first), else ``signum``."""
    if _state.arrivals is None:
        return signum
    try:
        arrived = os.read(_state.arrivals, 4096)
    except OSError:  # BlockingIOError: nothing queued
        return signum
    return next((n for n in arrived if n in _SIGNALS), signum)


def _handler(signum: int, frame: object) -> None:
    if _state.first is None and _state.pending is None:
        signum = _first_arrived(signum)
    if _state.first is not None:
        # Already stopping: never abort the cleanup that fails the running trials.
        if not _state.told:
            _state.told = True
            os.write(2, b"Still stopping: failing this run's running trials first.\n")
        return
    if _state.depth:
        _state.pending = _state.pending or signum
        return
    _state.first = signum
    raise KeyboardInterrupt


def _quiet_if_ours(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable hook that drops this handler's ``KeyboardInterrupt`` when Python could not raise it (it landed
    in a finalizer or a weakref callback) and passes everything else to ``previous``: the loop's :func:`stopping`
    check stops the run instead, so the "Exception ignored ... KeyboardInterrupt" traceback would only alarm."""

    def hook(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and _state.first is not None:
            return None
        return previous(unraisable)

    return hook


@contextmanager
def handle_interrupts() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C and ignore further signals once one has been raised, for the ``with`` body.

    Outside the main thread (where Python cannot install handlers) this does nothing. The previous handlers
    are restored on exit, unless a signal was received: then SIGINT and SIGTERM stay ignored while the process
    exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in _SIGNALS}
    _state.first, _state.pending, _state.depth, _state.installed, _state.told = None, None, 0, True, False
    for s in _SIGNALS:
        signal.signal(s, _handler)
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    _state.arrivals = read_end
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_if_ours(previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.set_wakeup_fd(previous_fd)
        _state.arrivals = None
        os.close(read_end)
        os.close(write_end)
        for s, handler in previous.items():
            # Once interrupted the process is on its way out: a later signal must not kill the interpreter's
            # shutdown (exit -15, or a traceback from an atexit callback) after the cleanup got it right.
            signal.signal(s, signal.SIG_IGN if _state.first is not None else handler)
        _state.installed = False


@contextmanager
def shielded() -> Iterator[None]:
    """Defer an interrupt that arrives inside the body (e.g. between asking a trial and recording its worker, or
    between telling a trial and noting it told) until the body has finished, then raise ``KeyboardInterrupt``.

    Without :func:`handle_interrupts` installed, signals behave as Python's defaults.
    """
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None and _state.first is None:
            _state.first, _state.pending = _state.pending, None
            raise KeyboardInterrupt  # also in place of an error the body raised: the user asked to stop


def stopping() -> bool:
    """True inside :func:`handle_interrupts` once a signal was taken: a caller that still runs normally then lost
    the ``KeyboardInterrupt`` (Python ignores one raised inside a finalizer or a weakref callback) and must stop."""
    return _state.installed and _state.first is not None


def raise_if_stopping() -> None:
    """Raise ``KeyboardInterrupt`` when :func:`stopping`: called between decoding steps and batches, so an
    interrupt Python swallowed stops the run within one step, not at the end of a phase that takes minutes."""
    if stopping():
        raise KeyboardInterrupt


def received() -> int | None:
    """The signal number that interrupted this run (``signal.SIGINT`` or ``signal.SIGTERM``), or None."""
    return _state.first


def exit_code() -> int:
    """The exit code of an interrupted run: 143 after SIGTERM, else 130 (Ctrl-C, or a ``KeyboardInterrupt``
    raised some other way)."""
    return _EXIT_CODES.get(signal.Signals(_state.first), 130) if _state.first is not None else 130


def interrupt_name() -> str:
    """``"SIGTERM"`` or ``"Ctrl-C"``: what stopped the run, for messages."""
    return "SIGTERM" if _state.first == signal.SIGTERM else "Ctrl-C"
