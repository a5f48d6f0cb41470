"""Every place that reads a whole number from text refuses Unicode digits such as '²' (``str.isdigit`` is true for
it and ``int()`` raises) instead of failing with a traceback: the flag, the stored keys, the claim's pid."""

from __future__ import annotations

import socket

import pytest

from optimizer._digits import is_decimal

HOSTILE = ["²", "¹²", "١٢", "٣", "", " 1", "1.0", "-1", "+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_only_ascii_digit_runs_are_decimal(text):
    assert not is_decimal(text)


@pytest.mark.parametrize("text", ["0", "7", "256", "007"])
def test_ascii_digit_runs_are_decimal_and_int_reads_them(text):
    assert is_decimal(text) and int(text) >= 0


@pytest.mark.parametrize("text", HOSTILE)
def test_batch_trials_refuses_them_in_one_sentence(text):
    from optimizer._errors import UsageError
    from optimizer.run import RunOptions
    from optimizer.run._setup import validate_numbers

    with pytest.raises(UsageError, match="--batch-trials must be auto or a number from 1 to 256"):
        validate_numbers(RunOptions(genre="jazz", batch_trials=text))


@pytest.mark.parametrize("text", HOSTILE)
def test_stored_score_keys_that_are_not_trial_numbers_are_skipped(text):
    from optimizer._study_payloads import ListenerFeedback

    assert ListenerFeedback.from_dict({text: {}}).by_trial == {}  # skipped before its value is read


@pytest.mark.parametrize("text", HOSTILE)
def test_a_claim_of_this_host_with_such_a_pid_is_not_taken_for_a_dead_worker(text):
    from optimizer.export._export_claim import _pid_gone

    assert _pid_gone(f"{socket.gethostname()}:{text}") is False

