"""Sections of the churn survival page, run without a kernel, checked against lifelines."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from cxlab.sections import churn, open_report
from cxlab.survival import time_varying_frame
from cxlab.tenure import tenure_frame


@pytest.fixture(scope="module")
def world_folder(small_world_dir):
    return small_world_dir


@pytest.fixture(scope="module")
def report(world_folder):
    return open_report("05_churn_survival", data_dir=world_folder)


def test_how_long_customers_stay_matches_lifelines(report):
    result = report.show(churn.how_long_customers_stay)
    frame = tenure_frame(report.data.customers, as_of=report.as_of)
    kmf = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    median = result.headline("median_tenure")
    if np.isfinite(kmf.median_survival_time_):
        assert median.value == kmf.median_survival_time_
        low, high = median_survival_times(kmf.confidence_interval_).iloc[0]
        assert median.ci_low == low and (median.ci_high == high or (np.isinf(high) and median.ci_high is None))
    else:
        assert median.value is None and median.note.startswith("not reached")
    assert median.n == len(frame) and median.unit == "months"
    ci = kmf.confidence_interval_survival_function_
    at_24 = result.headline("survival_24m")
    assert at_24.value == pytest.approx(100 * kmf.survival_function_at_times(24).iloc[0], rel=1e-12)
    assert (at_24.ci_low, at_24.ci_high) == pytest.approx((100 * ci.loc[:24].iloc[-1, 0],
                                                           100 * ci.loc[:24].iloc[-1, 1]), rel=1e-12)
    rmst = result.headline("rmst_36m")
    assert rmst.value == pytest.approx(restricted_mean_survival_time(kmf, t=36), rel=1e-9)
    assert rmst.ci_low < rmst.value < rmst.ci_high
    table = result.tables[0].frame
    assert table.columns.tolist()[:4] == ["Customers in", "Customers", "Median tenure (months)",
                                          "Still active after 12 months"]
    assert table["Still active after 24 months"].iloc[0] == (
        f"{at_24.value:.1f}% ({at_24.ci_low:.1f}% to {at_24.ci_high:.1f}%)")
    assert "nan" not in result.tables[0].to_html().lower()


def test_hazard_ratios_match_lifelines(report):
    result = report.show(churn.churn_drivers)
    # lifelines' CoxTimeVaryingFitter on the same start/stop frame with hand-made dummies
    tv = time_varying_frame(report.data.customers, report.data.surveys, report.data.cases, as_of=report.as_of)
    ces_observed = tv["ces"].notna()
    design = pd.DataFrame({
        "start": tv["start_months"], "stop": tv["stop_months"], "event": tv["churned"],
        "detractor": (tv["nps_category"] == "detractor") * 1.0,
        "no_response": (tv["nps_category"] == "no_response") * 1.0,
        "promoter": (tv["nps_category"] == "promoter") * 1.0,
        "followup": tv["followup"] * 1.0,
        "ces": tv["ces"].fillna(tv.loc[ces_observed, "ces"].mean()),
        "ces_missing": (~ces_observed) * 1.0,
        "enterprise": (tv["segment"] == "Enterprise") * 1.0,
        "mid_market": (tv["segment"] == "Mid-market") * 1.0,
        "annual": (tv["contract"] == "annual") * 1.0,
    })
    ctv = CoxTimeVaryingFitter().fit(design, event_col="event", start_col="start", stop_col="stop")
    bounds = np.exp(ctv.confidence_intervals_)
    h = result.headline("hr_detractor")
    assert h.value == pytest.approx(np.exp(ctv.params_["detractor"]), rel=1e-6)
    assert (h.ci_low, h.ci_high) == pytest.approx(tuple(bounds.loc["detractor"]), rel=1e-6)
    assert h.unit == "x" and h.section == "cox"
    # one follow-up effect in the report, the feedback-loop page's: here the term only adjusts the others
    assert [h.key for h in result.headlines] == ["hr_detractor"]
    ratios = result.technical[0].frame  # the model table is technical detail
    followup = ratios[ratios["Customers who are"].str.startswith("Detractor followed up")]
    assert followup["Customers who are"].tolist() == ["Detractor followed up (adjustment only, see the feedback-loop "
                                                      "page)"]
    assert followup["Hazard ratio"].tolist() == [f"{np.exp(ctv.params_['followup']):.2f}"]
    assert result.answer.endswith(churn.FOLLOWUP_REFERENCE) and "followed up" not in result.answer.split(
        churn.FOLLOWUP_REFERENCE)[0].lower()
    assert "Detractor" in ratios["Customers who are"].tolist()


def test_landmark_sections_and_the_proportional_hazards_check(report):
    for section in (churn.by_nps_category, churn.followed_up_detractors, churn.answerers_vs_silent):
        result = report.show(section, landmark_months=6)
        assert result.available and result.answer.startswith(("Survival differs", "Survival shows no clear"))
        assert result.charts and result.charts[0].alt
    groups = report.show(churn.by_nps_category, landmark_months=6).tables[0].frame["NPS category"]
    assert set(groups) <= {"Detractors (0-6)", "Passives (7-8)", "Promoters (9-10)", "No answer yet"}
    ph = report.show(churn.proportional_hazards, landmark_months=6)
    assert set(ph.tables[0].frame["Same at every tenure"]) <= {"yes", "no"}


def test_customers_only_folder_says_what_is_missing(world_folder, tmp_path):
    for name in ("customers.csv", "meta.json"):
        shutil.copy(world_folder / name, tmp_path / name)
    report = open_report("05_churn_survival", data_dir=tmp_path)
    drivers = report.show(churn.churn_drivers)
    assert drivers.headline("hr_detractor").value is None and "no survey answers" in drivers.headline(
        "hr_detractor").note
    assert report.show(churn.how_long_customers_stay).headline("survival_24m").value is not None
    skipped = report.show(churn.by_nps_category, landmark_months=6)
    assert skipped.unavailable == "the data has no surveys table"


CHURN_PAGE = (churn.overview, churn.how_long_customers_stay, churn.by_segment_and_contract, churn.by_nps_category,
              churn.followed_up_detractors, churn.answerers_vs_silent, churn.churn_drivers, churn.proportional_hazards,
              churn.beyond_observed_window)


def test_the_page_from_engine_queries_equals_the_page_from_loaded_surveys_and_cases(report, world_folder,
                                                                                     same_sections):
    # as the notebook opens it: the surveys and the cases queried, only the follow-up cases brought in
    queried = open_report("05_churn_survival", data_dir=world_folder, tables=["customers"],
                          queried=["surveys", "cases"])
    assert queried.data.surveys is None and queried.data.cases is None
    same_sections(queried, report, CHURN_PAGE)
    followups = queried.answered_data.cases
    assert set(followups["kind"]) == {"detractor_followup"}
    expected = report.data.cases[report.data.cases["kind"] == "detractor_followup"].reset_index(drop=True)
    pd.testing.assert_frame_equal(followups, expected.astype(followups.dtypes.to_dict()))  # text as the engine gives it
    pd.testing.assert_frame_equal(report.answered_data.cases.reset_index(drop=True), expected)
