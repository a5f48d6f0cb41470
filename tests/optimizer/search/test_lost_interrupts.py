"""A signal whose ``KeyboardInterrupt`` Python cannot raise (the handler ran inside a finalizer or a weakref
callback, where exceptions are "ignored" and printed) still stops the run, and prints no traceback; other errors
in finalizers are still reported as Python reports them. Real signals, in a child process."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

_CHILD = textwrap.dedent("""
    import gc, os, signal, sys, weakref
    from optimizer.search import _interrupts

    def busy():
        total = 0
        for i in range(2_000_000):  # bytecode: the pending handler runs here, inside the finalizer
            total += i
        return total

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), getattr(signal, sys.argv[2]))
            busy()

    class Target:
        pass

    def weakref_callback(_):
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
        busy()

    with _interrupts.handle_interrupts():
        try:
            if sys.argv[1] == "finalizer":
                thing = Finalized()
                del thing
            else:
                target = Target()
                ref = weakref.ref(target, weakref_callback)
                del target
            gc.collect()
            print("carried on", _interrupts.stopping(), flush=True)
            _interrupts.raise_if_stopping()
            print("not stopped", flush=True)
        except KeyboardInterrupt:
            print("stopped", _interrupts.exit_code(), flush=True)
""")


@pytest.mark.parametrize("where", ["finalizer", "weakref"])
@pytest.mark.parametrize(("signal_name", "code"), [("SIGINT", "130"), ("SIGTERM", "143")])
def test_a_swallowed_interrupt_stops_the_run_without_a_traceback(where, signal_name, code):
    result = subprocess.run([sys.executable, "-c", _CHILD, where, signal_name], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.split() == ["carried", "on", "True", "stopped", code], result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr


_OTHER_ERROR = textwrap.dedent("""
    from optimizer.search import _interrupts

    class Broken:
        def __del__(self):
            raise ValueError("finalizer bug")

    with _interrupts.handle_interrupts():
        thing = Broken()
        del thing
        print("stopping", _interrupts.stopping(), flush=True)
""")


def test_other_errors_in_finalizers_are_still_reported():
    result = subprocess.run([sys.executable, "-c", _OTHER_ERROR], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["stopping", "False"], result.stdout + result.stderr
    assert "Exception ignored" in result.stderr and "ValueError: finalizer bug" in result.stderr, result.stderr
