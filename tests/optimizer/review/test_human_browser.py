"""A listener rates a trial in a real browser: headless Chromium (Debian's, driven by Selenium through
/usr/bin/chromedriver) opens the trial page of a running ``optimize --human`` study in a separate
``optimize --dashboard`` process, finds the clip's ``<audio>`` player, moves the rating slider and submits the
dashboard's form. The storage must then hold the trial COMPLETE with the rating as submitted."""

from __future__ import annotations

import subprocess
import time

import httpx
import optuna
import pytest

from optimizer import _keys
from tests.browsers import SCREENSHOTS, chromium, needs_chromium
from tests.optimizer.review.test_human import RUN, optimize_command
from tests.servers import free_port, wait_until_serving

pytestmark = needs_chromium


def _wait(condition, what: str, timeout: float, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the run exited while waiting for {what}: {process.communicate()[0][-3000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _awaiting(storage: str) -> list[optuna.trial.FrozenTrial]:
    try:
        study = optuna.load_study(study_name="jazz/debug/human", storage=storage)
    except KeyError:
        return []
    return [t for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
            if _keys.AWAITING_RATING in t.user_attrs]


@pytest.fixture
def browser():
    with chromium("1400,2000") as driver:
        yield driver


def test_a_rating_submitted_in_the_browser_completes_the_trial(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    run = subprocess.Popen([*optimize_command(), *RUN, "--human", "--trials", "1", "--pending", "1",
                            "--storage", storage, "--presets-dir", str(tmp_path / "presets")],
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = free_port()
    dashboard = None
    try:
        trial = _wait(lambda: _awaiting(storage), "a trial to rate", 90, run)[0]
        dashboard = subprocess.Popen([*optimize_command(), "--dashboard", "--storage", storage, "--port", str(port)],
                                     cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/api/studies", dashboard)
        study_id = httpx.get(f"{base}/api/studies", timeout=5).json()["study_summaries"][0]["study_id"]
        browser.get(f"{base}/dashboard/studies/{study_id}/trials?numbers={trial.number}")
        audio = _wait(lambda: browser.find_elements(By.TAG_NAME, "audio"), "the clip's audio player", 30)
        source = audio[0].find_element(By.TAG_NAME, "source")
        assert source.get_attribute("type") == "audio/flac" and "/artifacts/" in source.get_attribute("src")
        # The player loaded the clip: the browser read the FLAC header (the clip is --duration 1 s long).
        _wait(lambda: browser.execute_script("return arguments[0].readyState", audio[0]) >= 1, "the clip", 30)
        assert browser.execute_script("return arguments[0].duration", audio[0]) == pytest.approx(1.0, abs=0.05)
        slider = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "input[type=range]"), "the slider", 30)[0]
        assert [slider.get_attribute(a) for a in ("min", "max", "value")] == ["1", "10", "1"]
        browser.execute_script("arguments[0].focus()", slider)
        for _ in range(6):
            slider.send_keys(Keys.ARROW_RIGHT)
        assert slider.get_attribute("value") == "7"
        submit = next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text.strip().upper() == "SUBMIT")
        submit.click()
        output = run.communicate(timeout=90)[0]  # the rated trial was the last one: the run exports and exits
        _wait(lambda: any(e.text == "Complete" for e in browser.find_elements(By.CSS_SELECTOR, ".MuiChip-label")),
              "the page to show the trial complete", 30)
        SCREENSHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "human_rated_trial.png"))
    finally:
        for process in (run, dashboard):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    assert run.returncode == 0, output[-3000:]
    rated = optuna.load_study(study_name="jazz/debug/human", storage=storage).trials[trial.number]
    assert rated.state == optuna.trial.TrialState.COMPLETE
    scores = rated.user_attrs[_keys.SCORES]
    assert rated.values == [scores["clap"]["mean"], scores["repetition"]["mean"], 7.0]
    assert (SCREENSHOTS / "human_rated_trial.png").stat().st_size > 10_000
