"""Library errors are typed and name no command-line flag; the CLI's one formatter adds the flag that fixes them."""

from dataclasses import replace

import pytest

from objectives._errors import DeviceError
from objectives.generation._device import resolve_device
from optimizer import GenreError, IncompatibleStudyError, StorageError, UsageError
from optimizer.cli._errors import one_line
from optimizer.search._genre import load_genre
from optimizer.search._study import check_same_setup, open_storage
from tests.optimizer.synthetic import SPEC


def test_a_study_with_another_setup_is_typed_and_the_cli_adds_study_name():
    with pytest.raises(IncompatibleStudyError) as info:
        check_same_setup("jazz/debug", SPEC.to_dict(), replace(SPEC, duration=3.0))
    error = info.value
    assert (error.study, error.field, error.stored, error.wanted) == ("jazz/debug", "duration", 2.0, 3.0)
    assert "--" not in str(error) and "another name" in str(error)
    line = one_line(error)
    assert line.startswith(str(error).removesuffix(".")) and line.endswith("(pass --study-name NEW).")


def test_an_unknown_genre_names_no_flag_until_the_cli_formats_it():
    with pytest.raises(GenreError, match=r"known genres: .*jazz") as info:
        load_genre("polka-noir")
    assert "--" not in str(info.value)
    assert "--list-genres" in one_line(info.value) and "--genre-file" in one_line(info.value)


def test_a_storage_that_cannot_be_opened_is_a_storage_error(tmp_path):
    url = "notadriver://nowhere/db"
    with pytest.raises(StorageError) as info:
        open_storage(url)
    assert info.value.url == url and "--" not in str(info.value)
    assert one_line(info.value).endswith("(check --storage).")


@pytest.mark.parametrize("requested", ["gpu", "cuda:0"])
def test_a_device_that_is_malformed_or_absent_is_a_device_error(requested):
    import torch

    if requested.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError) as info:
        resolve_device(requested)
    assert isinstance(info.value, ValueError) and info.value.requested == requested and "--" not in str(info.value)
    assert "--device" in one_line(info.value)


def test_a_cli_usage_error_is_printed_as_raised():
    error = UsageError("--trials must be between 1 and 100000 but got 0.")
    assert one_line(error) == str(error)
