"""Survival frames: timing of covariates by hand, no look-ahead, landmark vs time-varying agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from cxlab.survival import nps_category, survival_frame, time_varying_frame
from cxlab.synth import simulate
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

AS_OF = pd.Timestamp("2025-01-01")
T = pd.Timestamp


@pytest.fixture
def tables():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "segment": ["SMB", "Enterprise", "SMB", "SMB", "SMB"],
        "region": "North",
        "acquisition_channel": "partner",
        "acquired_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-12-20", "2025-02-01", "2024-03-01"]),
        "churned_at": pd.to_datetime(["2024-06-20", None, None, None, "2024-03-01"]),
        "contract": ["monthly", "annual", "monthly", "monthly", "monthly"],
        "monthly_revenue": 100.0,
        "acquisition_cost": 500.0,
    })
    rows = [  # invitation, customer, touchpoint, responded_at, nps, csat, ces
        ("s1", "a", "relationship", T("2024-03-05"), 4, None, None),   # 2.10 months -> known from month 3
        ("s2", "a", "support", T("2024-02-10"), None, 2, 5),            # 1.31 months -> from month 2
        ("s3", "b", "relationship", T("2024-04-15"), 9, None, None),    # 3.45 months -> from month 4
        ("s4", "b", "relationship", T("2024-10-15"), 5, None, None),    # 9.46 months -> from month 10
        ("s5", "b", "relationship", None, None, None, None),            # not answered
        ("s6", "b", "relationship", T("2025-02-01"), 10, None, None),   # after the as-of date
        ("s7", "a", "relationship", T("2024-06-25"), 10, None, None),   # after churn
    ]
    surveys = pd.DataFrame(rows, columns=["invitation_id", "customer_id", "touchpoint", "responded_at", "nps",
                                          "csat", "ces"])
    surveys = surveys.assign(channel="email", sent_at=surveys["responded_at"].fillna(T("2024-12-01")),
                             comment=None)
    for col in ("nps", "csat", "ces"):
        surveys[col] = surveys[col].astype(float)
    cases = pd.DataFrame({
        "case_id": ["k1", "k2", "k3"],
        "customer_id": ["a", "b", "b"],
        "kind": ["detractor_followup", "detractor_followup", "service_request"],
        "opened_at": [T("2024-03-05 10:00"), T("2024-10-15 12:00"), T("2024-05-01")],
        "first_response_at": [T("2024-03-06"), T("2024-11-20"), T("2024-05-02")],   # b: 10.64 months -> 11
        "closed_at": [T("2024-03-07"), T("2024-11-21"), T("2024-05-03")],
        "sla_hours": [24.0, 24.0, 8.0],
        "invitation_id": ["s1", "s4", None],
    })
    return {"customers": customers, "surveys": surveys, "cases": cases, "as_of": AS_OF}


def test_nps_category():
    assert nps_category([0, 6, 7, 8, 9, 10, np.nan]).tolist() == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter", "no_response"]


def test_time_varying_frame_by_hand(tables):
    before = {name: tables[name].copy() for name in ("customers", "surveys", "cases")}
    tv = time_varying_frame(tables["customers"], tables["surveys"], tables["cases"], as_of=AS_OF)
    got = tv[["customer_id", "start_months", "stop_months", "churned", "nps_category", "followup", "ces",
              "touchpoint_csat"]].astype(object).where(tv.notna(), None).values.tolist()
    assert got == [
        ["a", 0, 2, 0, "no_response", 0, None, None],
        ["a", 2, 3, 0, "no_response", 0, 5.0, 2.0],
        ["a", 3, 6, 1, "detractor", 1, 5.0, 2.0],      # the answer after churn (s7) is never used
        ["b", 0, 4, 0, "no_response", 0, None, None],
        ["b", 4, 10, 0, "promoter", 0, None, None],
        ["b", 10, 11, 0, "detractor", 0, None, None],   # follow-up answered only in month 11
        ["b", 11, 12, 0, "detractor", 1, None, None],   # s6 (after the as-of date) is never used
        ["e", 0, 1, 1, "no_response", 0, None, None],   # churned on the acquisition day: month 1
    ]
    assert tv["segment"].tolist() == ["SMB"] * 3 + ["Enterprise"] * 4 + ["SMB"]
    assert tv.attrs["customers_without_time_at_risk"] == 1  # c: acquired 12 days before the as-of date
    assert tv.attrs["covariates"] == ["nps_category", "followup", "ces", "touchpoint_csat", "segment", "contract"]
    for name, table in before.items():
        pd.testing.assert_frame_equal(tables[name], table)


def test_time_varying_frame_without_surveys_or_cases(tables):
    no_surveys = time_varying_frame(tables["customers"], None, None, as_of=AS_OF)
    assert no_surveys[["customer_id", "start_months", "stop_months", "churned"]].values.tolist() == [
        ["a", 0, 6, 1], ["b", 0, 12, 0], ["e", 0, 1, 1]]
    assert no_surveys.attrs["covariates"] == ["segment", "contract"]
    no_cases = time_varying_frame(tables["customers"], tables["surveys"], None, as_of=AS_OF)
    assert (no_cases["followup"] == 0).all()
    with pytest.raises(ValueError, match=r"\['tier'\]"):
        time_varying_frame(tables["customers"], None, None, as_of=AS_OF, static=["tier"])


def test_landmark_frame_by_hand(tables):
    frame = survival_frame(tables, landmark_months=3).set_index("customer_id")
    assert list(frame.index) == ["a", "b"]  # e churned in month 1, c has 0 months, d not yet acquired
    assert frame.loc["a", ["nps_category", "followup", "ces", "touchpoint_csat", "responded"]].tolist() == [
        "detractor", 1, 5.0, 2.0, 1]
    assert frame.loc["b", ["nps_category", "followup", "responded"]].tolist() == ["no_response", 0, 0]
    assert np.isnan(frame.loc["b", "ces"])
    assert frame.loc["a", "tenure_months"] == 6 and frame.loc["a", "churned"] == 1
    assert (frame["landmark_months"] == 3).all()
    assert frame.attrs["not_active_at_landmark"] == 2 and frame.attrs["acquired_after_as_of"] == 1
    assert frame.attrs["look_ahead"] is False
    later = survival_frame(tables, landmark_months=4).set_index("customer_id")
    assert later.loc["b", "nps_category"] == "promoter"


def test_landmark_frame_rows_all_have_time_at_risk_after_the_landmark(tables):
    # b is censored at 12 months: a landmark at 12 leaves it no time at risk, so it is left out,
    # and the frame goes to lifelines with its own entry column as it is
    frame = survival_frame(tables, landmark_months=12, covariates=["segment"])
    assert frame.empty and frame.attrs["not_active_at_landmark"] == 4
    world = simulate(n_customers=1500, seed=2)
    landmark = survival_frame(world, landmark_months=12, covariates=["contract"])
    assert (landmark["tenure_months"] > 12).all()
    fitted = CoxPHFitter().fit(landmark.assign(annual=(landmark["contract"] == "annual").astype(int))[
        ["tenure_months", "churned", "landmark_months", "annual"]], "tenure_months", "churned",
        entry_col="landmark_months")
    assert np.isfinite(fitted.params_["annual"])


def test_frame_without_landmark_uses_everything_known_and_says_so(tables):
    latest = survival_frame(tables).set_index("customer_id")
    assert latest.loc["a", "nps_category"] == "detractor"  # s7 came after the churn
    assert latest.loc["b", ["nps_category", "followup"]].tolist() == ["detractor", 1]
    assert latest.loc["c", "nps_category"] == "no_response" and latest.loc["c", "responded"] == 0
    assert latest.attrs["look_ahead"] is True
    first = survival_frame(tables, answer="first").set_index("customer_id")
    assert first.loc["b", ["nps_category", "followup"]].tolist() == ["promoter", 0]
    only_customers = survival_frame(tables["customers"], as_of=AS_OF)
    assert only_customers.attrs["covariates"] == ["segment", "contract"]
    assert "nps_category" not in only_customers


def test_bad_arguments(tables):
    with pytest.raises(ValueError, match="pass as_of"):
        survival_frame(tables["customers"])
    with pytest.raises(ValueError, match="answer must be one of"):
        survival_frame(tables, answer="middle")
    with pytest.raises(ValueError, match="landmark_months"):
        survival_frame(tables, landmark_months=-1)
    with pytest.raises(ValueError, match=r"\['tier'\]"):
        survival_frame(tables, covariates=["tier"])
    with pytest.raises(ValueError, match=r"surveys table lacks column\(s\) \['ces'\]"):
        survival_frame({**tables, "surveys": tables["surveys"].drop(columns="ces")})


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=1500, seed=11)


def test_time_varying_rows_tile_each_tenure(world):
    tv = time_varying_frame(world.customers, world.surveys, world.cases, as_of=world.as_of)
    tenure = tenure_frame(world.customers, as_of=world.as_of).set_index("customer_id")
    tenure = tenure[tenure["tenure_months"] > 0]
    first = tv.groupby("customer_id")["start_months"].min()
    last = tv.groupby("customer_id")["stop_months"].max()
    assert (first == 0).all()
    assert last.sort_index().equals(tenure["tenure_months"].sort_index().rename("stop_months"))
    gaps = tv.groupby("customer_id")["start_months"].shift(-1).dropna()
    assert (gaps.to_numpy() == tv.loc[gaps.index, "stop_months"].to_numpy()).all()
    assert tv["churned"].sum() == tenure["churned"].sum()
    assert (tv.groupby("customer_id")["churned"].last() == tv.groupby("customer_id")["churned"].max()).all()
    assert set(tv["nps_category"]) == {"detractor", "passive", "promoter", "no_response"}
    assert (tv.loc[tv["followup"] == 1, "nps_category"] == "detractor").all()


@pytest.mark.parametrize("landmark", [3, 12])
def test_landmark_covariates_equal_the_time_varying_row_after_the_landmark(world, landmark):
    frame = survival_frame(world, landmark_months=landmark)
    tv = time_varying_frame(world.customers, world.surveys, world.cases, as_of=world.as_of)
    row = tv[(tv["start_months"] <= landmark) & (tv["stop_months"] > landmark)]
    both = frame.merge(row, on="customer_id", suffixes=("", "_tv"))
    assert len(both) == (frame["tenure_months"] > landmark).sum()
    for col in ("nps_category", "followup", "ces", "touchpoint_csat"):
        pd.testing.assert_series_equal(both[col], both[f"{col}_tv"], check_names=False)
    assert (frame["tenure_months"] >= landmark).all()


def test_answers_after_the_landmark_cannot_change_the_frame(world):
    landmark = 6
    frame = survival_frame(world, landmark_months=landmark)
    acquired = world.customers.set_index("customer_id")["acquired_at"]
    cutoff = world.surveys["customer_id"].map(acquired) + pd.Timedelta(days=landmark * DAYS_PER_MONTH)
    after = world.surveys["responded_at"] > cutoff
    scrambled = world.surveys.copy()
    scrambled.loc[after, "nps"] = 0.0          # every later answer becomes a detractor
    scrambled.loc[after, "ces"] = 7.0
    tables = {"customers": world.customers, "surveys": scrambled, "cases": world.cases, "as_of": world.as_of}
    pd.testing.assert_frame_equal(survival_frame(tables, landmark_months=landmark), frame)
