"""The report read as a person reads it: headless Chromium (Debian's, through Selenium) at 1280 px shows every
table inside the page, with nothing running off the right edge (the presets table with held-out columns did)."""

from __future__ import annotations

import json

import pytest

from optimizer import build_presets, write_presets
from tests.browsers import SCREENSHOTS, chromium, needs_chromium
from tests.optimizer.report.test_report import _make_study, _report

pytestmark = needs_chromium


@pytest.fixture
def browser_1280():
    with chromium("1280,1000") as driver:
        yield driver


def test_every_table_of_the_report_fits_a_1280_px_window(tmp_path, capsys, monkeypatch, browser_1280):
    monkeypatch.chdir(tmp_path)
    study, _ = _make_study(tmp_path, 30)
    path = tmp_path / "presets" / "jazz.json"
    write_presets(build_presets(study, genre="jazz"), path)
    data = json.loads(path.read_text())
    for entry in data["presets"].values():  # the widest table: held-out intervals and optimism for every preset
        entry["validation"] = {"clap": {"mean": 0.25, "stderr": 0.02, "n": 8, "ci95": [0.2111, 0.2899]},
                               "repetition": {"mean": 0.4, "stderr": 0.05, "n": 8}}
        entry["optimism"] = {"clap": 0.0734, "repetition": -0.0123}
    path.write_text(json.dumps(data))
    assert _report([], capsys)[0] == 0
    browser_1280.get((tmp_path / "reports" / "jazz.html").as_uri())
    width = browser_1280.execute_script("return document.documentElement.clientWidth")
    assert browser_1280.execute_script("return document.documentElement.scrollWidth") <= width
    overflowing = browser_1280.execute_script(
        "return [...document.querySelectorAll('table, img')]"
        ".filter(e => e.getBoundingClientRect().right > arguments[0])"
        ".map(e => e.className || e.alt)", width)
    assert overflowing == []
    SCREENSHOTS.mkdir(exist_ok=True)
    browser_1280.save_screenshot(str(SCREENSHOTS / "report_1280.png"))
