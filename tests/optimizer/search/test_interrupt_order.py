"""SIGTERM then Ctrl-C a few ms apart, both arriving while Python is inside one C call: the run reports the signal
that came first (exit 143), although Python runs pending handlers in signal-number order (SIGINT first)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

_CHILD = textwrap.dedent("""
    import hashlib, os, signal, sys, time
    from optimizer.search import _interrupts
    with _interrupts.handle_interrupts():
        try:
            parent = os.getpid()
            if os.fork() == 0:
                time.sleep(0.2)
                os.kill(parent, getattr(signal, sys.argv[1]))
                time.sleep(0.005)
                os.kill(parent, getattr(signal, sys.argv[2]))
                os._exit(0)
            # One long C call that never checks for signals: both arrive before any handler runs.
            hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 4_000_000)
            time.sleep(5)
        except KeyboardInterrupt:
            print(_interrupts.received(), _interrupts.exit_code())
""")


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("SIGTERM", "SIGINT", "15 143"),
    ("SIGINT", "SIGTERM", "2 130"),
])
def test_the_signal_that_arrived_first_decides_the_exit_code(first, second, expected):
    result = subprocess.run([sys.executable, "-c", _CHILD, first, second], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == expected.split(), result.stdout + result.stderr
