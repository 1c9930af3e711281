"""The tenure convention shared by retention, survival and economics, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.tenure import DAYS_PER_MONTH, event_table, tenure_frame


def _customers(acquired, churned):
    return pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(acquired))],
                         "acquired_at": pd.to_datetime(acquired), "churned_at": pd.to_datetime(churned)})


def test_tenure_by_hand():
    as_of = "2025-01-01"
    frame = tenure_frame(_customers(
        ["2024-01-01", "2024-01-01", "2024-06-01", "2024-12-15", "2024-03-01", "2025-03-01"],
        ["2024-02-15", "2024-01-01", None, None, "2025-06-01", None],
    ), as_of=as_of)
    # C0 churned after 45 days -> during month 2; C1 churned on the acquisition day -> month 1;
    # C2 active 214 days = 7.03 months -> censored at 7; C3 active 17 days -> censored at 0;
    # C4 churns after the as-of date -> active then: 306 days = 10.05 months -> censored at 10;
    # C5 acquired after the as-of date -> not in the frame.
    assert frame["customer_id"].tolist() == ["C0", "C1", "C2", "C3", "C4"]
    assert frame["tenure_months"].tolist() == [2, 1, 7, 0, 10]
    assert frame["churned"].tolist() == [1, 1, 0, 0, 0]
    assert frame.attrs["acquired_after_as_of"] == 1
    assert frame["tenure_days"].tolist() == [45.0, 0.0, 214.0, 17.0, 306.0]
    assert frame.loc[frame.customer_id == "C4", "end_at"].item() == pd.Timestamp(as_of)


def test_exact_month_boundaries():
    days = np.array([DAYS_PER_MONTH * 3, DAYS_PER_MONTH * 3])
    acquired = pd.Timestamp("2020-01-01")
    ends = acquired + pd.to_timedelta(days, unit="D")
    frame = tenure_frame(_customers([acquired] * 2, [ends[0], None]), as_of=ends[1])
    # churn exactly at 3 months is churn during month 3; censoring exactly at 3 months survived 3
    assert frame["tenure_months"].tolist() == [3, 3]


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
