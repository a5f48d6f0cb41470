"""``report``: a self-contained HTML page whose figures exist, decode as PNG and are not blank; bad input exits 2."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser

import matplotlib.image
import numpy as np
import optuna
import pytest

from optimizer import SearchSpace, StudySpec, _keys, build_presets, write_presets
from optimizer.cli._report import main
from optimizer.report._plots import MIN_TRIALS_FOR_IMPORTANCE, hypervolume_reference_point
from optimizer.report._report import confidence_interval, write_report

PROMPTS = ("smooth jazz trio, 90 BPM", "bebop <script>alert(1)</script> & brushes", "late-night piano ballad")
SPEC = StudySpec(genre="jazz", model="debug", backend="transformers", clap="debug", duration=2.0, replicates=2,
                 base_seed=0, prompts=PROMPTS)
STORAGE_FILE = "optuna.db"
STUDY = "jazz/debug"


def _make_study(tmp_path, n_trials, *, name=STUDY, degenerate_every=7, flat_repetition=False):
    """A study of ``optimize``'s shape, filled through the real search space by ask/tell with synthetic scores:
    CLAP peaks at temperature 1 and rises with guidance, repetition falls with temperature; every
    ``degenerate_every``-th trial is infeasible. The first two trials are the baselines, as optimize enqueues."""
    storage = f"sqlite:///{tmp_path / STORAGE_FILE}"
    study = optuna.create_study(storage=storage, study_name=name, directions=SPEC.directions,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_metric_names(list(SPEC.objectives))
    study.set_user_attr(_keys.STUDY_SPEC, SPEC.to_dict())
    space = SearchSpace()
    study.enqueue_trial({"strategy": "top_k", "temperature": 1.0, "top_k": 250, "cfg_coef": 3.0},
                        user_attrs={_keys.BASELINE: "musicgen_default"})
    study.enqueue_trial({"strategy": "top_k", "temperature": 1.2, "top_k": 350, "cfg_coef": 2.0},
                        user_attrs={_keys.BASELINE: "genre_baseline"})
    rng = np.random.default_rng(0)
    for i in range(n_trials):
        trial = study.ask()
        params = space.suggest(trial)
        clap = 0.4 - 0.3 * (params.temperature - 1.0) ** 2 + 0.02 * params.cfg_coef + 0.01 * rng.standard_normal()
        repetition = 0.0 if flat_repetition else 0.9 - 0.5 * params.temperature + 0.02 * rng.standard_normal()
        per_prompt = [{"prompt": p, "clap": clap + 0.05 * k, "repetition": repetition - 0.02 * k}
                      for k, p in enumerate(PROMPTS)]
        trial.set_user_attr(_keys.PARAMS, params.to_dict())
        trial.set_user_attr(_keys.SCORES, {"clap": {"mean": clap, "stderr": 0.01 + 0.001 * i, "n": 6},
                                           "repetition": {"mean": repetition, "stderr": 0.02, "n": 6},
                                           "diversity": 0.1})
        trial.set_user_attr(_keys.PER_PROMPT, per_prompt)
        trial.set_constraint("noise", 0.2 if degenerate_every and i % degenerate_every == degenerate_every - 1
                             else -0.1)
        study.tell(trial, [clap, repetition])
    return study, storage


class _Page(HTMLParser):
    """Figures (id -> img src), table rows (by table class) and the text of the page."""

    def __init__(self):
        super().__init__()
        self.images, self.rows, self.text, self.missing, self.ids = {}, {}, [], [], []
        self._figure = self._table = None
        self._row = self._cell = None
        self._in_missing = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "figure":
            self._figure = a.get("id")
        elif tag == "img":
            self.images[self._figure] = a["src"]
        elif tag == "table":
            self._table = a.get("class")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p" and a.get("class") == "missing":
            self._in_missing = True
            self.missing.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            self.rows.setdefault(self._table, []).append(self._row)
            self._row = None
        elif tag == "p":
            self._in_missing = False

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_missing:
            self.missing[-1] += data


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _assert_png_not_blank(src):
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    png = base64.b64decode(src[len(prefix):], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[0] > 50 and pixels.shape[1] > 50
    assert float(pixels[..., :3].std()) > 0.01  # drawn on, not one flat colour


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _report(argv, capsys):
    code = main(["--genre", "jazz", "--model", "debug", "--storage", f"sqlite:///{STORAGE_FILE}", *argv])
    return code, capsys.readouterr().err


def test_report_has_every_figure_and_escapes_prompts(tmp_path, capsys):
    study, _ = _make_study(tmp_path, 30)
    code, err = _report([], capsys)
    assert code == 0, err
    out = tmp_path / "reports" / "jazz.html"
    assert f"Report written to {out.relative_to(tmp_path)}" in err
    page = _parse(out)
    expected = {"pareto", "hypervolume", "importance-clap", "importance-repetition", "preset-intervals",
                "per-prompt-heatmap"}
    assert set(page.images) == expected, page.missing
    assert len(page.ids) == len(set(page.ids)), page.ids
    for src in page.images.values():
        _assert_png_not_blank(src)
    raw = out.read_text(encoding="utf-8")
    # Self-contained: nothing is fetched from elsewhere.
    assert "http://" not in raw and "https://" not in raw and "<script" not in raw and "<link" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; brushes" in raw

    document = build_presets(study, genre="jazz")
    named = list(document["presets"]) + list(document["baselines"])
    rows = page.rows["per-prompt"][1:]
    legend = dict(page.rows["prompts"][1:])  # P1 -> prompt: each prompt's text appears once, in the legend
    assert sorted(legend.values()) == sorted(PROMPTS)
    assert len(rows) == len(named) * len(PROMPTS)
    assert {(r[0].split(" (#")[0], legend[r[1]]) for r in rows} == {(n, p) for n in named for p in PROMPTS}
    # The cells are the trial's stored per-prompt means.
    trial = study.trials[document["presets"]["max_clap"]["trial"]]
    stored = {row["prompt"]: row for row in trial.user_attrs[_keys.PER_PROMPT]}
    for r in rows:
        if r[0].startswith("max_clap "):
            prompt = legend[r[1]]
            assert r[2] == f"{stored[prompt]['clap']:.3f}" and r[3] == f"{stored[prompt]['repetition']:.3f}"


def test_confidence_intervals_in_the_table_come_from_the_stored_stderr(tmp_path, capsys):
    study, _ = _make_study(tmp_path, 12)
    assert _report([], capsys)[0] == 0
    page = _parse(tmp_path / "reports" / "jazz.html")
    head, *rows = page.rows["presets"]
    document = build_presets(study, genre="jazz")
    entries = {**document["presets"], **document["baselines"]}
    assert {r[0].replace(" (degenerate)", "") for r in rows} == set(entries)
    for row in rows:
        entry = entries[row[0].replace(" (degenerate)", "")]
        for score in ("clap", "repetition"):
            s = entry["scores"][score]
            low, high = s["mean"] - 1.96 * s["stderr"], s["mean"] + 1.96 * s["stderr"]
            assert row[head.index(f"{score.replace('clap', 'CLAP')} [95 % CI]")] == \
                f"{s['mean']:.3f} [{low:.3f}, {high:.3f}] n={s['n']}"
    assert "mean ± 1.96 × standard error" in "".join(page.text)


def test_held_out_validation_and_optimism_are_shown_with_their_own_interval(tmp_path, capsys):
    study, _ = _make_study(tmp_path, 12)
    document = build_presets(study, genre="jazz")
    path = tmp_path / "presets" / "jazz.json"
    write_presets(document, path)
    data = json.loads(path.read_text())
    data["presets"]["balanced"]["validation"] = {
        "clap": {"mean": 0.25, "stderr": 0.02, "n": 8, "ci95": [0.2111, 0.2899]},
        "repetition": {"mean": 0.4, "stderr": 0.05, "n": 8}}
    data["presets"]["balanced"]["optimism"] = {"clap": 0.0734, "repetition": -0.0123}
    path.write_text(json.dumps(data))  # newer fields than the schema knows: the report shows them anyway
    assert _report([], capsys)[0] == 0  # presets/jazz.json is the default
    page = _parse(tmp_path / "reports" / "jazz.html")
    head, *rows = page.rows["presets"]
    balanced = next(r for r in rows if r[0] == "balanced")
    assert balanced[head.index("held-out CLAP [95 % CI]")] == "0.250 [0.211, 0.290] n=8"
    low, high = 0.4 - 1.96 * 0.05, 0.4 + 1.96 * 0.05
    assert balanced[head.index("held-out repetition [95 % CI]")] == f"0.400 [{low:.3f}, {high:.3f}] n=8"
    assert balanced[head.index("optimism CLAP")] == "0.073"
    assert balanced[head.index("optimism repetition")] == "-0.012"
    other = next(r for r in rows if r[0] == "max_clap")
    assert other[head.index("held-out CLAP [95 % CI]")] == "-"
    assert "presets/jazz.json" in "".join(page.text)
    _assert_png_not_blank(page.images["preset-intervals"])


@pytest.mark.parametrize("n_trials", [1, 2])
def test_a_study_of_one_or_two_trials_still_reports_and_says_what_is_missing(tmp_path, capsys, n_trials):
    _make_study(tmp_path, n_trials, degenerate_every=0)
    code, err = _report([], capsys)
    assert code == 0, err
    page = _parse(tmp_path / "reports" / "jazz.html")
    assert {"pareto", "hypervolume", "preset-intervals", "per-prompt-heatmap"} <= set(page.images)
    assert not any(key.startswith("importance") for key in page.images)
    # Said once for the section, not once per objective.
    assert page.missing == [f"Importances need at least {MIN_TRIALS_FOR_IMPORTANCE} completed trials; the study "
                            f"has {n_trials}."]
    for src in page.images.values():
        _assert_png_not_blank(src)


def test_a_study_with_nothing_feasible_reports_without_presets(tmp_path, capsys):
    _make_study(tmp_path, 2, degenerate_every=1)
    code, err = _report([], capsys)
    assert code == 0, err
    page = _parse(tmp_path / "reports" / "jazz.html")
    assert "pareto" in page.images and "preset-intervals" not in page.images
    assert any("no feasible trial" in m for m in page.missing)
    assert any("hypervolume is zero" in m for m in page.missing)


def test_an_objective_that_never_varies_gets_a_sentence_not_a_ranking(tmp_path, capsys):
    _make_study(tmp_path, 12, flat_repetition=True)  # the debug models score repetition 0 everywhere
    assert _report([], capsys)[0] == 0
    page = _parse(tmp_path / "reports" / "jazz.html")
    assert "importance-clap" in page.images and "importance-repetition" not in page.images
    assert "Every completed trial has the same repetition, so no parameter can matter for it." in page.missing


def test_the_report_file_is_readable_by_others_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_report("<p>x</p>", tmp_path / "new" / "r.html", study="s", hint="h")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "<p>x</p>"


def test_reference_point_lies_beyond_the_worst_feasible_value(tmp_path):
    study, _ = _make_study(tmp_path, 20)
    feasible = np.array([t.values for t in study.trials
                         if t.state.is_finished() and all(v <= 0 for v in t.constraints.values())])
    clap_ref, repetition_ref = hypervolume_reference_point(study)
    clap_span, rep_span = np.ptp(feasible, axis=0)
    assert math.isclose(clap_ref, feasible[:, 0].min() - 0.1 * clap_span)  # CLAP is maximised
    assert math.isclose(repetition_ref, feasible[:, 1].max() + 0.1 * rep_span)  # repetition is minimised


def test_confidence_interval_prefers_a_stored_interval():
    assert confidence_interval({"mean": 0.5, "stderr": 0.1, "n": 4}) == pytest.approx((0.304, 0.696))
    assert confidence_interval({"mean": 0.5, "stderr": 0.1, "ci95": [0.1, 0.9]}) == (0.1, 0.9)
    with pytest.raises(ValueError, match="finite mean and stderr"):
        confidence_interval({"mean": float("nan"), "stderr": 0.1})


def _fails_cleanly(capsys, argv, match, tmp_path):
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, err = _report(argv, capsys)
    assert code == 2
    assert match in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    _fails_cleanly(capsys, [], "no storage at 'sqlite:///optuna.db'", tmp_path)
    _make_study(tmp_path, 3)
    _fails_cleanly(capsys, ["--study-name", "jazz/other"], "no study named 'jazz/other'", tmp_path)
    optuna.create_study(storage=f"sqlite:///{STORAGE_FILE}", study_name="jazz/empty", directions=SPEC.directions
                        ).set_user_attr(_keys.STUDY_SPEC, SPEC.to_dict())
    _fails_cleanly(capsys, ["--study-name", "jazz/empty"], "has no completed trial yet", tmp_path)
    optuna.create_study(storage=f"sqlite:///{STORAGE_FILE}", study_name="foreign")
    _fails_cleanly(capsys, ["--study-name", "foreign"], "was not created by optimize", tmp_path)
    _fails_cleanly(capsys, ["--presets", "nope.json"], "no such preset file", tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    _fails_cleanly(capsys, ["--presets", "bad.json"], "not a JSON file", tmp_path)
    (tmp_path / "other.json").write_text(json.dumps({"provenance": {"study": "rock/debug"}, "presets": {
        "balanced": {"trial": 0, "scores": {"clap": {"mean": 0.1, "stderr": 0.0, "n": 1},
                                            "repetition": {"mean": 0.1, "stderr": 0.0, "n": 1}}}}}))
    _fails_cleanly(capsys, ["--presets", "other.json"], "exported from study 'rock/debug', not 'jazz/debug'",
                   tmp_path)
    (tmp_path / "blocker").write_text("a file, not a folder")
    _fails_cleanly(capsys, ["--out", "blocker/report.html"], "is not a writable folder", tmp_path)
    _fails_cleanly(capsys, ["--out", "."], "is a folder", tmp_path)
    _fails_cleanly(capsys, ["--genre", "nosuch"], "unknown genre 'nosuch'", tmp_path)


def test_console_script_writes_the_report(tmp_path):
    _make_study(tmp_path, 12)
    exe = shutil.which("report")
    command = [exe] if exe else [sys.executable, "-m", "optimizer.cli._report"]
    out = tmp_path / "site" / "jazz report.html"
    result = subprocess.run([*command, "--genre", "jazz", "--model", "debug", "--storage",
                             f"sqlite:///{STORAGE_FILE}", "--out", str(out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    page = _parse(out)
    assert {"pareto", "hypervolume", "importance-clap", "importance-repetition"} <= set(page.images)
    for src in page.images.values():
        _assert_png_not_blank(src)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left behind


def _preset_file_of(study, path, count, *, name_length=8, padding=0):
    """A preset file of ``study`` with ``count`` presets plus baselines, all on one front trial, each name
    ``name_length`` characters long, each entry carrying ``padding`` extra small JSON objects."""
    document = build_presets(study, genre="jazz")
    entry = next(iter(document["presets"].values()))
    n = count - len(document["baselines"])
    document["presets"] = {f"{i:04d}".ljust(name_length, "x"): {**entry, "padding": [{}] * padding}
                           for i in range(n)}
    path.write_text(json.dumps(document, separators=(",", ":")))
    return path


def test_preset_files_beyond_what_a_report_can_draw_are_refused(tmp_path, capsys):
    """A preset file of 20 003 presets grew the report to 8 GB; a huge or deeply nested one is refused too."""
    study, _ = _make_study(tmp_path, 12)
    _preset_file_of(study, tmp_path / "issue.json", 20_003)  # 12 MB, as in the issue
    _fails_cleanly(capsys, ["--presets", "issue.json"], "larger than 2000000 bytes", tmp_path)
    slim = {"trial": 0, "scores": {"clap": {"mean": 0.1}, "repetition": {"mean": 0.1}}}
    (tmp_path / "many.json").write_text(json.dumps({"presets": {f"p{i}": slim for i in range(20_003)}}))
    _fails_cleanly(capsys, ["--presets", "many.json"], "20003 presets and baselines, more than the 64", tmp_path)
    _preset_file_of(study, tmp_path / "over.json", 64 + 1)
    _fails_cleanly(capsys, ["--presets", "over.json"], "more than the 64 a report can show", tmp_path)
    _preset_file_of(study, tmp_path / "long.json", 4, name_length=65)
    _fails_cleanly(capsys, ["--presets", "long.json"], "is longer than 64 characters", tmp_path)
    _preset_file_of(study, tmp_path / "big.json", 4, padding=700_000)
    _fails_cleanly(capsys, ["--presets", "big.json"], "larger than 2000000 bytes", tmp_path)
    (tmp_path / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    _fails_cleanly(capsys, ["--presets", "deep.json"], "nested too deeply", tmp_path)


def test_a_preset_file_at_every_limit_makes_a_report(tmp_path, capsys):
    """64 presets and baselines with 64-character names on one trial (one Pareto label naming all of them),
    in a file just under the byte limit: the report is written and shows every one."""
    study, _ = _make_study(tmp_path, 12)
    path = _preset_file_of(study, tmp_path / "full.json", 64, name_length=64, padding=10_000)
    assert 1_500_000 < path.stat().st_size < 2_000_000
    out = tmp_path / "report.html"
    code = main(["--genre", "jazz", "--model", "debug", "--storage", f"sqlite:///{STORAGE_FILE}",
                 "--presets", "full.json", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    page = _parse(out)
    assert len(page.rows["presets"]) == 1 + 64  # the head and one row each
    _assert_png_not_blank(page.images["preset-intervals"])


def test_the_summary_says_the_channel_count_and_the_conditioning(tmp_path, capsys):
    study, _ = _make_study(tmp_path, 12)
    code, err = _report([], capsys)
    assert code == 0, err
    raw = (tmp_path / "reports" / "jazz.html").read_text(encoding="utf-8")
    assert "<th>audio channels</th><td>mono (1)</td>" in raw and "<th>conditioning</th><td>text only</td>" in raw
    spec = dict(study.user_attrs[_keys.STUDY_SPEC])
    study.set_user_attr(_keys.STUDY_SPEC, {**spec, "audio_channels": 2, "melody": ["theme.wav sha256:0123456789ab"]})
    code, err = _report(["--out", str(tmp_path / "stereo.html")], capsys)
    assert code == 0, err
    raw = (tmp_path / "stereo.html").read_text(encoding="utf-8")
    assert "<th>audio channels</th><td>stereo (2)</td>" in raw
    assert "<th>conditioning</th><td>melodies: theme.wav sha256:0123456789ab</td>" in raw
