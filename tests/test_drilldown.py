"""The drill-down by a customer attribute: per-group figures equal each metric on the subset, suppression,
Holm's adjustment, and the flags on the demo world (region has no effect) and with a planted difference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cxlab.io
from cxlab import loop, metrics, touchpoints
from cxlab.attributes import NOT_RECORDED, DrillDownError, attributes, check_attribute
from cxlab.datasets import demo_path
from cxlab.drilldown import ALL_CUSTOMERS, drill_down
from cxlab.periods import analysis_as_of
from cxlab.schema import RELATIONSHIP
from cxlab.survival.km import km_by, survival_at
from cxlab.tenure import tenure_frame

PLANTED = "Latin America"


@pytest.fixture(scope="module")
def demo():
    data = cxlab.io.load(demo_path())
    quarter, as_of = analysis_as_of(None, data.as_of)
    return data, quarter, as_of


@pytest.fixture(scope="module")
def by_region(demo):
    data, quarter, as_of = demo
    return drill_down(data, "region", quarter=quarter, as_of=as_of)


def _value(drill, figure, group):
    rows = drill.figures[(drill.figures["figure"] == figure) & (drill.figures["group"] == group)]
    assert len(rows) == 1, (figure, group)
    return rows.iloc[0]


# --------------------------------------------------------------------------- the attribute
def test_attributes_are_the_customers_text_columns_but_identifiers():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "region": ["N", "S"], "segment": ["x", "y"],
                              "acquired_at": pd.to_datetime(["2024-01-01"] * 2), "monthly_revenue": [1.0, 2.0],
                              "churn_reason": [None, "price"]})
    assert attributes(customers) == ["region", "segment"]
    assert attributes(customers, gaps={"customers.segment"}) == ["region"]


@pytest.mark.parametrize(("by", "message"), [
    ("team", r"no column 'team'; 'team' is a column of the cases table, not an attribute of customers; "
             r"customer attributes available: region, segment"),
    ("Region", r"no column 'Region'; customer attributes available: region, segment"),
    ("customer_id", r"'customer_id': it is an identifier; customer attributes available: region, segment"),
    ("acquired_at", r"'acquired_at': it is a date"),
    ("monthly_revenue", r"'monthly_revenue': it is a number"),
    ("plan", r"every customer has the same value \('basic'\), so there is nothing to compare"),
    ("account_manager", r"'account_manager': it has 25 distinct values, more than the 20 groups a drill-down shows"),
])
def test_unusable_attributes_are_refused_naming_the_column_and_the_choices(by, message):
    n = 50
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "region": ["N", "S"] * 25,
                              "segment": ["x"] * 49 + ["y"], "acquired_at": pd.Timestamp("2024-01-01"),
                              "monthly_revenue": 1.0, "plan": "basic",
                              "account_manager": [f"AM{i % 25}" for i in range(n)]})
    cases = pd.DataFrame({"case_id": ["K1"], "team": ["blue"]})
    with pytest.raises(DrillDownError, match=message):
        check_attribute(customers, by, other_tables={"cases": cases, "surveys": None})
    assert check_attribute(customers, "account_manager", max_groups=25)[:2] == ["AM0", "AM1"]


def test_customers_without_a_value_form_a_group_named_so_listed_last():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["S", None, "N"]})
    assert check_attribute(customers, "region") == ["N", "S", NOT_RECORDED]


# --------------------------------------------------------------------------- per-group values
def test_each_group_figure_is_the_metric_computed_on_the_groups_rows(demo, by_region):
    data, quarter, as_of = demo
    answers = touchpoints.surveys_as_of(data.surveys, as_of=as_of)
    answers = answers[(answers["quarter"] == quarter) & answers["responded"]]
    region = data.customers.set_index("customer_id")["region"]
    followups = loop.detractor_followups(data.surveys, data.cases, as_of=as_of, customers=data.customers)
    followups = followups[followups["quarter"] == quarter]
    tenure = tenure_frame(data.customers, as_of=as_of)
    for group in [ALL_CUSTOMERS, *sorted(data.customers["region"].unique())]:
        def rows(frame, column="customer_id", group=group):
            return frame if group == ALL_CUSTOMERS else frame[region.reindex(frame[column]).to_numpy() == group]
        mine = rows(answers)
        rel = mine[(mine["touchpoint"] == RELATIONSHIP) & mine["nps"].notna()]
        other = mine[(mine["touchpoint"] != RELATIONSHIP) & mine["csat"].notna()]
        for key, estimate in (("nps", metrics.nps(rel["nps"], clusters=rel["customer_id"])),
                              ("csat", metrics.csat(other["csat"], clusters=other["customer_id"])),
                              ("ces", metrics.ces(other["ces"], clusters=other["customer_id"]))):
            row = _value(by_region, key, group)
            assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
                (estimate.value, estimate.ci_low, estimate.ci_high)), (key, group)
            assert row["n"] == estimate.n and not row["suppressed"]
        kpis = loop.loop_kpis(rows(followups)).iloc[0]
        coverage = _value(by_region, "followup_coverage", group)
        assert (coverage["value"], coverage["ci_low"], coverage["n"]) == pytest.approx(
            (100 * kpis["coverage"], 100 * kpis["coverage_ci_low"], kpis["mature_detractors"]))
        assert _value(by_region, "sla_share", group)["value"] == pytest.approx(100 * kpis["within_sla_share"])
        estimate, low, high = survival_at(km_by(rows(tenure)), 12)
        retention = _value(by_region, "retention", group)
        assert (retention["value"], retention["ci_low"], retention["ci_high"]) == pytest.approx(
            (100 * estimate, 100 * low, 100 * high))


def test_a_groups_difference_is_its_value_minus_the_other_customers(demo, by_region):
    data, quarter, as_of = demo
    answers = touchpoints.surveys_as_of(data.surveys, as_of=as_of)
    rel = answers[(answers["quarter"] == quarter) & (answers["touchpoint"] == RELATIONSHIP) & answers["nps"].notna()]
    inside = data.customers.set_index("customer_id")["region"].reindex(rel["customer_id"]).to_numpy() == "North America"
    expected = metrics.nps(rel.loc[inside, "nps"]).value - metrics.nps(rel.loc[~inside, "nps"]).value
    row = by_region.differences[(by_region.differences["figure"] == "nps")
                                & (by_region.differences["group"] == "North America")].iloc[0]
    assert row["difference"] == pytest.approx(expected)
    assert row["n_group"] + row["n_rest"] == _value(by_region, "nps", ALL_CUSTOMERS)["n"]
    tenure = tenure_frame(data.customers, as_of=as_of)
    inside = tenure["region"] == "Asia Pacific"
    expected = survival_at(km_by(tenure[inside]), 12)[0] - survival_at(km_by(tenure[~inside]), 12)[0]
    row = by_region.differences[(by_region.differences["figure"] == "retention")
                                & (by_region.differences["group"] == "Asia Pacific")].iloc[0]
    assert row["difference"] == pytest.approx(100 * expected)


def test_p_values_are_holm_adjusted_across_groups_and_figures(by_region):
    tested = by_region.differences
    assert len(tested) == 5 * 6  # five regions x six figures, one family
    # Holm by hand: the k-th smallest of m p-values times (m - k + 1), made monotone, capped at 1
    p = np.sort(tested["p_value"].to_numpy())
    m = len(p)
    expected = np.minimum(np.maximum.accumulate(p * (m - np.arange(m))), 1.0)
    assert np.sort(tested["p_adjusted"].to_numpy()) == pytest.approx(expected)
    assert (tested["significant"] == (tested["p_adjusted"] < 0.05)).all()


def test_no_region_differs_beyond_chance_in_the_demo_world(by_region):
    # the generator draws region independently of experience, loyalty and churn (it sets comment language only)
    assert by_region.flagged.empty
    assert by_region.groups["customers"].sum() == _value(by_region, "retention", ALL_CUSTOMERS)["n"]


# --------------------------------------------------------------------------- suppression
def test_groups_below_the_minimum_size_are_suppressed_and_not_tested(demo):
    data, quarter, as_of = demo
    customers = data.customers.copy()
    tiny = customers.index[customers["region"] == "Latin America"][:20]
    customers.loc[tiny, "region"] = "Antarctica"
    drill = drill_down(dataclasses.replace(data, customers=customers), "region", quarter=quarter, as_of=as_of)
    antarctica = drill.figures[drill.figures["group"] == "Antarctica"]
    assert antarctica["suppressed"].all() and antarctica[["value", "ci_low", "ci_high"]].isna().all().all()
    assert drill.groups.set_index("group").loc["Antarctica", "suppressed"]
    assert "Antarctica" not in set(drill.differences["group"])
    # a figure is suppressed by its own count: 422 NPS answers in Latin America, but 2,000 customers
    big = drill_down(data, "region", quarter=quarter, as_of=as_of, min_cell_size=500)
    assert _value(big, "nps", "Latin America")["suppressed"] and np.isnan(_value(big, "nps", "Latin America")["value"])
    assert not _value(big, "retention", "Latin America")["suppressed"]
    assert not ((big.differences["figure"] == "nps") & (big.differences["group"] == "Latin America")).any()


# --------------------------------------------------------------------------- a planted difference
def planted_world(data, quarter, as_of, *, promoters_demoted: float = 0.6, cases_kept: float = 0.5, seed: int = 0):
    """The demo with one region truly worse: ``promoters_demoted`` of its promoters' relationship answers in the
    quarter become 8 (passives: its NPS falls, its detractors stay the same answers) and only ``cases_kept`` of its
    detractor follow-ups are kept (the others dropped at random)."""
    rng = np.random.default_rng(seed)
    region = data.customers.set_index("customer_id")["region"]
    surveys = data.surveys.copy()
    in_region = region.reindex(surveys["customer_id"]).to_numpy() == PLANTED
    quarter_rows = surveys["sent_at"].dt.to_period("Q").astype(str) == quarter
    promoters = in_region & quarter_rows & (surveys["touchpoint"] == RELATIONSHIP) & (surveys["nps"] >= 9)
    surveys.loc[promoters & (rng.random(len(surveys)) < promoters_demoted), "nps"] = 8
    cases = data.cases
    theirs = (cases["kind"] == "detractor_followup") & (region.reindex(cases["customer_id"]).to_numpy() == PLANTED)
    dropped = theirs & (rng.random(len(cases)) > cases_kept)
    return dataclasses.replace(data, surveys=surveys, cases=cases[~dropped].reset_index(drop=True))


def test_a_region_planted_worse_is_flagged_on_what_was_planted_and_nothing_else(demo, by_region):
    data, quarter, as_of = demo
    drill = drill_down(planted_world(data, quarter, as_of), "region", quarter=quarter, as_of=as_of)
    assert set(zip(drill.flagged["figure"], drill.flagged["group"], strict=True)) == {
        ("nps", PLANTED), ("followup_coverage", PLANTED)}
    assert (drill.flagged["difference"] < 0).all()
    # the planted truth: NPS loses 60% of the region's promoter share (in points), coverage keeps half its level
    nps_before = _value(by_region, "nps", PLANTED)
    answers = touchpoints.surveys_as_of(data.surveys, as_of=as_of)
    rel = answers[(answers["quarter"] == quarter) & (answers["touchpoint"] == RELATIONSHIP) & answers["nps"].notna()]
    theirs = rel[data.customers.set_index("customer_id")["region"].reindex(rel["customer_id"]).to_numpy() == PLANTED]
    planted_nps = nps_before["value"] - 0.6 * 100 * (theirs["nps"] >= 9).mean()
    nps_after = _value(drill, "nps", PLANTED)
    assert nps_after["ci_low"] < planted_nps < nps_after["ci_high"]
    coverage = _value(drill, "followup_coverage", PLANTED)
    assert coverage["ci_low"] < 0.5 * _value(by_region, "followup_coverage", PLANTED)["value"] < coverage["ci_high"]
    # untouched figures of the region are the demo's
    assert _value(drill, "retention", PLANTED)["value"] == _value(by_region, "retention", PLANTED)["value"]


def test_two_groups_are_compared_once_not_mirrored(demo):
    data, quarter, as_of = demo
    drill = drill_down(data, "contract", quarter=quarter, as_of=as_of)
    assert set(drill.differences["group"]) == {"annual"} and len(drill.differences) == 6
    tenure = tenure_frame(data.customers, as_of=as_of)
    annual = tenure["contract"] == "annual"
    expected = survival_at(km_by(tenure[annual]), 12)[0] - survival_at(km_by(tenure[~annual]), 12)[0]
    row = drill.differences[drill.differences["figure"] == "retention"].iloc[0]
    assert row["difference"] == pytest.approx(100 * expected) and row["significant"]
