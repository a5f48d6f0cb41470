"""The HTML report shows trials racing stopped as stopped at stage s/S with their partial scores, not as failures."""

from __future__ import annotations

import optuna

from optimizer.report import build_report
from tests.optimizer.export.test_racing_export import _with_a_stopped_trial
from tests.optimizer.synthetic import make_study


def test_a_stopped_trial_is_counted_and_listed_with_its_stage_and_partial_scores():
    study = _with_a_stopped_trial()
    html = build_report(study, genre="jazz", document=None, presets_source="none")
    assert "2 complete (2 feasible, 0 degenerate), 1 stopped by racing, 0 failed" in html
    section = html[html.index("<section id='sec-racing'>"):]
    section = section[:section.index("</section>")]
    assert "<td>1/3</td>" in section and "dominated at level 0.05" in section and "<td>2/8</td>" in section
    assert "0.950 ± 0.010" in section  # the partial CLAP, labelled partial
    assert "partial" in section and "never presets" in section
    assert study.trials[-1].state == optuna.trial.TrialState.PRUNED


def test_without_racing_the_report_has_no_racing_section():
    html = build_report(make_study([(0.4, 0.1), (0.3, 0.05)]), genre="jazz", document=None, presets_source="none")
    assert "sec-racing" not in html and "stopped by racing" not in html
