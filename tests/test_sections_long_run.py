"""One tail model per run: the ten-year survival figure is the same on the retention, churn and economics pages."""

from dataclasses import replace

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from cxlab.sections import churn, economics, open_report, retention
from cxlab.sections.long_run import LONG_RUN_MONTHS
from cxlab.synth import simulate, write_demo


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(simulate(n_customers=3000, seed=5), folder)
    return folder


def _ten_years(folder, tail):
    pages = (("04_retention_cohorts", retention.retention_forecast, {"n_resamples": 200}),
             ("05_churn_survival", churn.beyond_observed_window, {}),
             ("06_retention_economics", economics.survival_curve,
              {"settings": replace(economics.DEFAULTS, survival_tail=tail)}))
    found = {}
    for notebook, section, extra in pages:
        report = open_report(notebook, data_dir=folder)
        if notebook != "06_retention_economics":
            extra = {**extra, "survival_tail": tail}
        result = report.show(section, **extra)
        found[notebook] = (result.headline("survival_10y"), result.answer)
    return found


def test_the_three_pages_show_one_figure_naming_one_model(folder):
    found = _ten_years(folder, "geometric")
    headlines = [h for h, _ in found.values()]
    assert len({(h.value, h.ci_low, h.ci_high, h.label, h.note) for h in headlines}) == 1
    assert [h.section for h in headlines] == ["sbg", "extrapolation", "survival"]  # each links its own page
    one = headlines[0]
    assert one.label == "New customers still active after 10 years (geometric tail beyond the observed months)"
    for _, answer in found.values():
        assert (f"one tail model, constant churn after the observed months (geometric tail): {one.value:.1f}% of new "
                "customers") in answer

    # independently: lifelines' Kaplan-Meier to the end of the window (the last month with at least 30 customers at
    # risk), then the pooled monthly hazard of the window's last 12 months held constant
    report = open_report("05_churn_survival", data_dir=folder)
    tenure = report.tenure
    kmf = KaplanMeierFitter().fit(tenure["tenure_months"], tenure["churned"])
    table = kmf.event_table.reindex(range(0, int(tenure["tenure_months"].max()) + 1), fill_value=0)
    at_risk = np.array([(tenure["tenure_months"] >= m).sum() for m in table.index])
    window = int(np.argmax(at_risk[1:] < 30)) if (at_risk[1:] < 30).any() else len(at_risk) - 1
    churned = table["observed"].to_numpy()
    last12 = slice(window - 11, window + 1)
    hazard = churned[last12].sum() / at_risk[last12].sum()
    expected = float(kmf.survival_function_at_times(window).iloc[0]) * (1 - hazard) ** (LONG_RUN_MONTHS - window)
    assert one.value == pytest.approx(100 * expected, rel=1e-9)
    assert one.ci_low < one.value < one.ci_high


def test_another_tail_model_moves_every_page_together(folder):
    found = _ten_years(folder, "sbg")
    headlines = [h for h, _ in found.values()]
    assert len({(h.value, h.ci_low, h.ci_high) for h in headlines}) == 1
    assert headlines[0].label.startswith("New customers still active after 10 years (sbg tail")
    geometric = _ten_years(folder, "geometric")["04_retention_cohorts"][0]
    assert headlines[0].value != pytest.approx(geometric.value)
