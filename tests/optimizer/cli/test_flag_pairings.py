"""Every flag pairing that makes no sense is refused with one sentence naming both flags, exit 2, before
anything is written; the documented pairings still parse into their modes."""

import pytest

from optimizer.cli._optimize import main
from optimizer.cli._pairings import check_pairings, mode_of
from optimizer.cli._parser import build_parser, parse_args

GENRE = ["--genre", "jazz", "--model", "debug"]

# (extra arguments, the two flags the sentence must name)
REFUSED = [
    # two modes at once
    (["--human", "--pairwise"], ("--human", "--pairwise")),
    (["--pairwise", "--dashboard"], ("--pairwise", "--dashboard")),
    (["--export-only", "--human"], ("--export-only", "--human")),
    (["--export-only", "--dashboard"], ("--export-only", "--dashboard")),
    (["--list-genres", "--human"], ("--list-genres", "--human")),
    (["--list-genres", "--pairwise"], ("--list-genres", "--pairwise")),
    (["--list-genres", "--export-only"], ("--list-genres", "--export-only")),
    (["--list-genres", "--dashboard"], ("--list-genres", "--dashboard")),
    (["--human", "--dashboard", "--pairwise"], ("--dashboard", "--pairwise")),
    # options of one mode given to another
    (["--compare", "4"], ("--compare", "--pairwise")),
    (["--human", "--compare", "4"], ("--compare", "--human")),
    (["--export-only", "--compare", "4"], ("--compare", "--export-only")),
    (["--pending", "3"], ("--pending", "--human")),
    (["--pairwise", "--pending", "3"], ("--pending", "--pairwise")),
    (["--export-only", "--pending", "3"], ("--pending", "--export-only")),
    (["--host", "0.0.0.0"], ("--host", "--dashboard")),
    (["--port", "9000"], ("--port", "--dashboard")),
    (["--human", "--port", "9000"], ("--port", "--dashboard")),
    (["--export-only", "--port", "9000"], ("--port", "--export-only")),
    (["--pairwise", "--save-audio", "clips"], ("--save-audio", "--pairwise")),
    (["--human", "--save-audio", "clips"], ("--save-audio", "--human")),
    (["--pairwise", "--validate-seeds", "2"], ("--validate-seeds", "--pairwise")),
    (["--pairwise", "--heartbeat-interval", "5"], ("--heartbeat-interval", "--pairwise")),
    (["--pairwise", "--objective", "diversity"], ("--objective", "--pairwise")),
    (["--pairwise", "--reference", "ref"], ("--reference", "--pairwise")),
    (["--pairwise", "--sampler", "tpe"], ("--sampler", "--pairwise")),  # the default value, given, is refused too
    (["--pairwise", "--no-artifacts"], ("--pairwise", "--no-artifacts")),
    (["--human", "--no-artifacts"], ("--human", "--no-artifacts")),
    (["--artifact-dir", "a", "--no-artifacts"], ("--artifact-dir", "--no-artifacts")),
    # racing: only the automatic search (a rating or a comparison comes after every clip is heard)
    (["--human", "--racing"], ("--racing", "--human")),
    (["--human", "--dashboard", "--racing"], ("--racing", "--human")),
    (["--pairwise", "--racing"], ("--racing", "--pairwise")),
    (["--racing-level", "0.1"], ("--racing-level", "--racing")),
]
ALONE = [  # --list-genres takes nothing else; --dashboard alone serves a storage: no genre, no search option
    (["--list-genres", "--trials", "5"], ("--trials", "--list-genres")),
    (["--list-genres", "--genre", "jazz"], ("--genre", "--list-genres")),
    (["--dashboard", "--genre", "jazz"], ("--genre", "--dashboard")),
    (["--dashboard", "--trials", "50"], ("--trials", "--dashboard")),  # 50 is the default: still refused
    (["--dashboard", "--no-artifacts"], ("--no-artifacts", "--dashboard")),
    (["--dashboard", "--pending", "2"], ("--pending", "--dashboard")),
]


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(("extra", "flags"), [(GENRE + e, f) for e, f in REFUSED] + ALONE,
                         ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_pairing_that_means_nothing_is_one_sentence_and_writes_nothing(tmp_path, monkeypatch, capsys, extra,
                                                                         flags):
    monkeypatch.chdir(tmp_path)
    code = main([*extra, "--storage", f"sqlite:///{tmp_path / 'o.db'}"] if "--storage" not in extra else extra)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("optimize: error: ") and "Traceback" not in err
    for flag in flags:
        assert flag in err, (flag, err)
    assert _tree(tmp_path) == []  # no storage, artifacts folder, presets folder or clips


@pytest.mark.parametrize(("argv", "mode"), [
    (GENRE, "search"),
    ([*GENRE, "--human"], "human"),
    ([*GENRE, "--human", "--dashboard", "--port", "9000", "--pending", "2"], "human-dashboard"),
    ([*GENRE, "--pairwise", "--compare", "3", "--host", "::1"], "pairwise"),
    ([*GENRE, "--pairwise", "--export-only", "--compare", "3"], "pairwise-export"),
    # --export-only appended to a search command re-exports it: the search's own options are accepted
    ([*GENRE, "--export-only", "--trials", "8", "--save-audio", "clips", "--seed", "0", "--heartbeat-interval", "1",
      "--racing", "--racing-level", "0.2"], "export"),
    ([*GENRE, "--racing"], "search"),
    ([*GENRE, "--racing", "--racing-level", "0.2"], "search"),
    (["--dashboard", "--storage", "j.log", "--artifact-dir", "a", "--port", "9000"], "dashboard"),
    (["--list-genres"], "list-genres"),
])
def test_documented_pairings_are_accepted(argv, mode):
    args, given = parse_args(argv)
    check_pairings(given, args)  # raises on a refused pairing
    assert mode_of(args) == mode


def test_an_option_given_at_its_default_counts_as_given_and_omitted_ones_keep_their_defaults():
    args, given = parse_args(["--genre", "jazz", "--trials", "50"])
    assert "trials" in given and "replicates" not in given and "extra_objectives" not in given
    assert args.trials == 50 and args.replicates == 2 and args.extra_objectives == [] and args.sampler == "tpe"
    args, given = parse_args(["--genre", "jazz", "--objective", "diversity", "--objective", "diversity"])
    assert args.extra_objectives == ["diversity", "diversity"] and "extra_objectives" in given


@pytest.mark.parametrize("level", ["0", "0.5", "0.7", "-0.1", "nan", "inf", "abc", "", "9" * 5000])
def test_a_racing_level_outside_0_to_0_5_is_one_sentence_exit_2(tmp_path, monkeypatch, capsys, level):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main([*GENRE, "--racing", "--racing-level", level])
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "--racing-level" in err and "0.5" in err, err
    assert len(err) < 300 and _tree(tmp_path) == []


def test_racing_defaults_off_and_its_level_to_the_rule_s():
    from optimizer.search import DEFAULT_LEVEL

    args, _ = parse_args(GENRE)
    assert args.racing is False and args.racing_level is None
    assert parse_args([*GENRE, "--racing", "--racing-level", "0.2"])[0].racing_level == 0.2
    assert f"default {DEFAULT_LEVEL:g}" in " ".join(build_parser().format_help().split())
