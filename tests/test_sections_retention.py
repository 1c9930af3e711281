"""Sections of the retention page, run without a kernel on a small simulated world."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.io import load
from cxlab.periods import analysis_as_of
from cxlab.retention import cohort_table, revenue_retention
from cxlab.sections import open_report, retention
from cxlab.synth import simulate, write_demo
from cxlab.tenure import tenure_frame


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=1500, seed=11)


@pytest.fixture(scope="module")
def folder(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(world, folder)
    return folder


@pytest.fixture(scope="module")
def report(folder):
    return open_report("04_retention_cohorts", data_dir=folder, tables=["customers", "revenue"])


def _visible_text(result) -> str:
    return re.sub(r"<img[^>]*>", "", result._repr_html_())


def test_retention_matches_lifelines(folder, world, report):
    result = report.show(retention.retention_at, months=12)
    # independent computation: customers read straight from the written CSV, lifelines Kaplan-Meier
    customers = pd.read_csv(folder / "customers.csv", parse_dates=["acquired_at", "churned_at"])
    _, as_of = analysis_as_of("", world.as_of)
    frame = tenure_frame(customers, as_of=as_of)
    kmf = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    expected = 100 * float(kmf.survival_function_at_times(12).iloc[0])
    ci = kmf.confidence_interval_survival_function_.loc[:12].iloc[-1]
    headline = result.headline("retention")
    assert (headline.value, headline.ci_low, headline.ci_high) == pytest.approx(
        (expected, 100 * ci.iloc[0], 100 * ci.iloc[1]), abs=1e-9)
    assert headline.n == len(frame) and headline.unit == "%" and headline.section == "retention-12m"
    assert headline.label == "Customers still active after 12 months"
    assert f"{expected:.1f}% of customers stay more than 12 months" in result.answer
    assert report.recorder.items["retention"] == headline
    shown = result.tables[0].frame
    assert shown.columns.tolist() == ["Customers", "Acquired by the as-of date", "Still active after 12 months",
                                      "95% interval"]
    assert "nan" not in _visible_text(result).lower()


def test_another_retention_horizon_keeps_the_key(report):
    headline = report.show(retention.retention_at, months=6).headline("retention")
    assert headline.label == "Customers still active after 6 months"


def test_sbg_forecast_and_revenue_retention(report):
    forecast = report.show(retention.retention_forecast, projection_months=60, n_resamples=300)
    alpha, beta = forecast.headline("sbg_alpha"), forecast.headline("sbg_beta")
    for h in (alpha, beta):
        assert 0 < h.ci_low < h.value < h.ci_high and h.section == "sbg"
    # the sBG fit describes the same data: its 12-month survival is close to Kaplan-Meier's
    sbg_12 = np.prod([(beta.value + t - 1) / (alpha.value + beta.value + t - 1) for t in range(1, 13)])
    kmf = KaplanMeierFitter().fit(report.tenure["tenure_months"], report.tenure["churned"])
    assert 100 * sbg_12 == pytest.approx(100 * float(kmf.survival_function_at_times(12).iloc[0]), abs=3)
    assert forecast.charts and "model" in forecast.charts[0].alt
    nrr = report.show(retention.revenue_kept, months=12).headline("nrr")
    assert nrr.ci_low < nrr.value < nrr.ci_high and 50 < nrr.value < 150 and nrr.n >= 30
    groups = report.show(retention.forecast_by_group)
    assert [t.frame.columns[0] for t in groups.tables] == ["Segment", "Year of acquisition"]


def test_without_revenue_the_section_says_why(folder, tmp_path):
    for name in ("customers.csv", "meta.json"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    report = open_report("04_retention_cohorts", data_dir=tmp_path)
    result = report.show(retention.revenue_kept, months=12)
    assert not result.available and result.unavailable == "the data has no revenue table"
    assert "This section is skipped: the data has no revenue table." in result._repr_html_()
    assert result.headline("nrr").value is None
    assert report.show(retention.retention_at).headline("retention").value is not None


def test_the_revenue_sections_read_revenue_as_aggregates_without_loading_it(folder):
    page = open_report("04_retention_cohorts", data_dir=folder, tables=["customers"], queried=["revenue"])
    assert page.data.revenue is None and page.availability.allows("revenue")
    nrr = page.show(retention.revenue_kept, months=12).headline("nrr")
    # independent: the pandas functions on the loaded tables
    loaded = load(folder)
    pooled = revenue_retention(loaded.customers, loaded.revenue, as_of=page.as_of, months=12)
    net = pooled.loc["net_revenue_retention"]
    assert (nrr.value, nrr.ci_low, nrr.ci_high) == pytest.approx(
        (100 * net["estimate"], 100 * net["ci_low"], 100 * net["ci_high"]), rel=1e-12)
    assert nrr.n == net["n"]
    cohorts = cohort_table(loaded.customers, as_of=page.as_of, cohort="quarter", period="quarter",
                           revenue=loaded.revenue)
    shown = page.cached(("cohorts", "quarter"), lambda: None)
    pd.testing.assert_series_equal(shown["net_revenue_retention"],
                                   cohorts["net_revenue_retention"].mask(shown["suppressed"]), rtol=1e-12)
    neither = open_report("04_retention_cohorts", data_dir=folder, tables=["customers"])
    assert not neither.availability.allows("revenue")
    assert neither.show(retention.revenue_kept, months=12).unavailable
