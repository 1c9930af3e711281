"""The tenure convention shared by retention, survival and economics, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.sbg import fit_by
from cxlab.survival.km import km_by, survival_at
from cxlab.tenure import DAYS_PER_MONTH, event_table, tenure_frame


def _customers(acquired, churned):
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(acquired))],
                         "acquired_at": pd.to_datetime(acquired, format="ISO8601"),
                         "churned_at": pd.to_datetime(churned, format="ISO8601")})


def test_tenure_by_hand():
    as_of = "2025-01-01"  # the as-of instant is the end of that day: 2025-01-02 00:00
    frame = tenure_frame(_customers(
        ["2024-01-01", "2024-01-01", "2024-06-01", "2024-12-15", "2024-03-01", "2025-03-01"],
        ["2024-02-15", "2024-01-01", None, None, "2025-06-01", None],
    ), as_of=as_of)
    # Observable: C0, C1 367 days = 12.06 months -> 12; C2 215 days = 7.06 -> 7; C3 18 days -> 0;
    # C4 307 days = 10.09 -> 10.
    # C0 churned after 45 days -> during month 2 (fully observable); C1 churned on the acquisition
    # day -> month 1; C2, C3 active -> censored at their observable months; C4 churns after the
    # as-of date -> active then, censored at 10; C5 acquired after the as-of date -> not in the frame.
    assert frame["customer_id"].tolist() == ["C0", "C1", "C2", "C3", "C4"]
    assert frame["observable_months"].tolist() == [12, 12, 7, 0, 10]
    assert frame["tenure_months"].tolist() == [2, 1, 7, 0, 10]
    assert frame["churned"].tolist() == [1, 1, 0, 0, 0]
    assert frame.attrs["acquired_after_as_of"] == 1
    assert frame.attrs["churned_in_unfinished_month"] == 0
    assert frame["tenure_days"].tolist() == [45.0, 0.0, 215.0, 18.0, 307.0]
    assert frame.loc[frame.customer_id == "C4", "end_at"].item() == pd.Timestamp("2025-01-02")


def test_churn_in_a_month_not_yet_over_is_censored_at_the_last_complete_month():
    # acquired 2024-10-01; as-of instant 2025-01-01 00:00 -> 92 days = 3.02 months observable.
    # A churns after 50 days (month 2: complete -> counts); B after 91.5 days (month 4 began after
    # 91.31 days and is not over -> censored at 3); C is active -> censored at 3.
    frame = tenure_frame(_customers(["2024-10-01"] * 3,
                                    ["2024-11-20", "2024-12-31 12:00", None]), as_of="2024-12-31")
    assert frame["tenure_months"].tolist() == [2, 3, 3]
    assert frame["churned"].tolist() == [1, 0, 0]
    assert frame.attrs["churned_in_unfinished_month"] == 1
    # B's churn is known (it happened by the as-of instant) even though it is not yet counted
    assert frame["end_at"].tolist()[1] == pd.Timestamp("2024-12-31 12:00")


def test_the_as_of_date_is_the_end_of_that_day():
    # churn at 15:00 on the as-of date is known; an acquisition at 23:00 on the as-of date exists
    frame = tenure_frame(_customers(["2024-01-01", "2024-12-31 23:00"], ["2024-12-31 15:00", None]),
                         as_of="2024-12-31")
    assert frame["customer_id"].tolist() == ["C0", "C1"]
    # C0: 365.6 days -> churn in month 13; observable 366 days = 12.02 months -> month 13 is not over
    assert frame["tenure_months"].tolist() == [12, 0]
    assert frame["churned"].tolist() == [0, 0]
    assert frame["end_at"].tolist()[0] == pd.Timestamp("2024-12-31 15:00")
    # the same churn a year later than acquisition by 11 months is in a finished month and counts
    frame = tenure_frame(_customers(["2024-01-01"], ["2024-12-01 15:00"]), as_of="2024-12-31")
    assert (frame["tenure_months"].item(), frame["churned"].item()) == (12, 1)


def test_exact_month_boundaries():
    acquired = pd.Timestamp("2020-01-01")
    churn = acquired + pd.Timedelta(days=DAYS_PER_MONTH * 3)  # 2020-04-01 07:30
    frame = tenure_frame(_customers([acquired] * 2, [churn, None]), as_of="2020-04-01")
    # churn exactly at 3 months is churn during month 3 (over by 07:30 of the as-of day);
    # observable 92 days = 3.02 months, so the active customer survived 3 whole months
    assert frame["tenure_months"].tolist() == [3, 3]
    assert frame["churned"].tolist() == [1, 0]


def _constant_churn_world(n: int, seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Customers acquired over 36 months (more each month) with a constant 5% monthly churn in continuous time."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2026-09-30")
    start = as_of - pd.Timedelta(days=36 * DAYS_PER_MONTH)
    acquired = start + pd.to_timedelta(np.sqrt(rng.random(n)) * 36 * DAYS_PER_MONTH, unit="D")
    lifetime_months = rng.exponential(1 / -np.log(0.95), n)
    churned = acquired + pd.to_timedelta(lifetime_months * DAYS_PER_MONTH, unit="D")
    return _customers(acquired, churned), as_of


def test_kaplan_meier_recovers_constant_churn_through_the_report_path():
    # The reproduction of the convention's bias: 200,000 customers, true S(k) = 0.95 ** k.
    # The former convention (churn in an unfinished month counted) gave 52.7 / 34.2 / 19.3 %.
    customers, as_of = _constant_churn_world(200_000, seed=0)
    kmf = km_by(tenure_frame(customers, as_of=as_of))
    for months in (12, 20, 30):
        estimate, low, high = survival_at(kmf, months)
        assert abs(estimate - 0.95 ** months) < 0.006, months
        assert low <= 0.95 ** months <= high, months


def test_sbg_recovers_alpha_beta_on_annual_periods_with_churn_late_in_the_year():
    # Each customer churns with a Beta(1, 3)-distributed yearly probability, late in the contract
    # year (months 10-12 of it); acquisitions spread over 8 years. Periods still in progress at
    # the as-of date must not count their churners: the fit covers the true (1, 3).
    rng = np.random.default_rng(1)
    n = 60_000
    as_of = pd.Timestamp("2026-09-30")
    start = as_of - pd.Timedelta(days=96 * DAYS_PER_MONTH)
    acquired = start + pd.to_timedelta(rng.random(n) * 96 * DAYS_PER_MONTH, unit="D")
    year = np.minimum(rng.geometric(rng.beta(1.0, 3.0, n)), 40)
    months = (year - 1) * 12 + 9 + 3 * rng.random(n)
    customers = _customers(acquired, acquired + pd.to_timedelta(months * DAYS_PER_MONTH, unit="D"))
    fit = fit_by(tenure_frame(customers, as_of=as_of).assign(everyone="all"), "everyone",
                 months_per_period=12).iloc[0]
    assert fit["alpha_ci_low"] <= 1.0 <= fit["alpha_ci_high"]
    assert fit["beta_ci_low"] <= 3.0 <= fit["beta_ci_high"]


def test_input_not_modified_and_missing_column():
    customers = _customers(["2024-01-01"], [None])
    before = customers.copy()
    tenure_frame(customers, as_of="2024-06-01")
    pd.testing.assert_frame_equal(customers, before)
    with pytest.raises(ValueError, match="churned_at"):
        tenure_frame(customers.drop(columns="churned_at"), as_of="2024-06-01")


def test_event_table_matches_lifelines_kaplan_meier():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 30, size=2_000)
    d = rng.integers(0, 2, size=2_000)
    table = event_table(t, d)
    km = KaplanMeierFitter().fit(t, d)
    expected = km.survival_function_.reindex(table.index)["KM_estimate"]
    np.testing.assert_allclose(table["survival"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert table["at_risk"].iloc[0] == 2_000
    assert table["churned"].sum() == d.sum()
    assert (table["churned"] + table["censored"]).sum() == 2_000


def test_event_table_weights_equal_repeated_rows():
    weighted = event_table([1, 2, 2], [1, 0, 1], weights=[3, 2, 1])
    repeated = event_table([1, 1, 1, 2, 2, 2], [1, 1, 1, 0, 0, 1])
    pd.testing.assert_frame_equal(weighted, repeated)


def test_active_means_no_churn_known_by_the_as_of_instant():
    frame = tenure_frame(_customers(["2024-10-01"] * 3, ["2024-11-20", "2024-12-31 12:00", None]), as_of="2024-12-31")
    # the second churned in a month not yet over: censored (not a counted churn) but not active either
    assert frame["churned"].tolist() == [1, 0, 0]
    assert frame["active"].tolist() == [False, False, True]
