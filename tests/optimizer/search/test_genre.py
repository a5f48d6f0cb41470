import textwrap

import pytest

from objectives import DecodingParams
from optimizer import UsageError, list_genres, load_genre, load_genre_file

CHAPTER_BASELINES = {  # temperature, top_k, top_p, cfg_coef from the "Parameter Optimization" chapter
    "classical": (0.7, 250, 0.0, 3.0),
    "electronic": (1.1, 300, 0.0, 2.5),
    "jazz": (1.2, 350, 0.0, 2.0),
    "rock": (0.9, 200, 0.0, 3.5),
    "pop": (0.9, 200, 0.0, 3.5),
    "ambient": (1.0, 250, 0.0, 2.8),
}


def test_shipped_genres_are_complete():
    names = list_genres()
    assert {"jazz", "classical", "electronic", "rock", "pop", "ambient", "hip-hop", "cinematic"} <= set(names)
    for name in names:
        genre = load_genre(name)
        assert genre.name == name
        assert len(genre.prompts) >= 8 and len(genre.heldout_prompts) >= 4
        assert genre.description
        assert not set(genre.prompts) & set(genre.heldout_prompts)
        if genre.baseline is not None:
            genre.search_space.trial_params(genre.baseline)  # enqueueable


def test_baselines_are_the_chapters():
    for name, (temperature, top_k, top_p, cfg) in CHAPTER_BASELINES.items():
        assert load_genre(name).baseline == DecodingParams(temperature=temperature, top_k=top_k, top_p=top_p,
                                                           cfg_coef=cfg)


def test_unknown_genre_lists_the_known_ones():
    with pytest.raises(UsageError, match=r"known genres: .*jazz"):
        load_genre("nosuch")


def _write(tmp_path, text):
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(text))
    return path


GOOD = """
name = "mine"
description = "test"
prompts = ["a warm synth pad, 80 BPM", "a bright piano melody, 100 BPM"]
heldout_prompts = ["a soft guitar, 70 BPM"]
"""


def test_user_file_loads_with_overrides(tmp_path):
    genre = load_genre_file(_write(tmp_path, GOOD + '[search_space]\ncfg_coef = [1.0, 2.5]\n'))
    assert genre.search_space.cfg_coef == (1.0, 2.5)
    assert genre.baseline is None


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace('name = "mine"', 'name = "../etc"'), "name"),
        (GOOD.replace('prompts = ["a warm synth pad, 80 BPM", "a bright piano melody, 100 BPM"]', "prompts = []"),
         "prompts"),
        (GOOD.replace('"a bright piano melody, 100 BPM"', "3"), "prompts[1]"),
        (GOOD + "[baseline]\ntemperature = -1.0\n", "baseline"),
        (GOOD + "[baseline]\ntemprature = 1.0\n", "baseline.temprature"),
        (GOOD + "[search_space]\ntop_p = [0.2, 1.5]\n", "search_space"),
        (GOOD + 'colour = "blue"\n', "colour"),
        (GOOD + "[baseline]\ncfg_coef = 9.0\n[search_space]\ncfg_coef = [1.0, 2.0]\n", "baseline"),
    ],
)
def test_bad_files_name_the_file_and_the_field(tmp_path, text, field):
    path = _write(tmp_path, text)
    with pytest.raises(UsageError) as info:
        load_genre_file(path)
    assert str(path) in str(info.value) and f"'{field}'" in str(info.value)


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(UsageError, match="not valid TOML"):
        load_genre_file(_write(tmp_path, "name = [unclosed"))
    with pytest.raises(UsageError, match="no such genre file"):
        load_genre_file(tmp_path / "absent.toml")


def test_a_byte_order_mark_is_dropped_not_called_bad_toml(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "mine"\nprompts = ["a steady groove"]\n')
    assert load_genre_file(path).prompts == ("a steady groove",)


@pytest.mark.parametrize("source", [None, "", "  "])
def test_a_calibration_without_its_source_is_refused_naming_the_field(tmp_path, source):
    path = tmp_path / "mine.toml"
    line = "" if source is None else f'source = "{source}"\n'
    path.write_text('name = "mine"\nprompts = ["a steady groove"]\n[calibration]\n' + line
                    + "quantile = 0.9\ndurations = [5]\nrepetition = [0.1]\n")
    with pytest.raises(UsageError, match=r"mine.toml: field 'calibration' .*missing key 'source'"):
        load_genre_file(path)
