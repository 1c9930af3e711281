"""CAC per channel, payback and LTV/CAC."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from cxlab.economics import (
    acquisition_costs,
    clv_by,
    customer_base,
    payback_months,
    recent_acquisitions,
    retention_lift_scenario,
    unit_economics,
)
from cxlab.economics.acquisition import ALL
from cxlab.economics.curves import survival_draws
from cxlab.synth import simulate
from cxlab.tenure import event_table, tenure_frame


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=3000, seed=11)


def test_cac_per_channel_matches_statsmodels(world):
    costs = acquisition_costs(world.customers, as_of=world.as_of, level=0.95)
    for channel, group in world.customers.groupby("acquisition_channel"):
        stats = DescrStatsW(group["acquisition_cost"].to_numpy())
        low, high = stats.tconfint_mean(alpha=0.05)
        row = costs.loc[channel]
        assert row["cac"] == pytest.approx(stats.mean)
        assert row["se"] == pytest.approx(stats.std_mean)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        assert row["n"] == len(group)
    assert costs.loc[ALL, "cac"] == pytest.approx(world.customers["acquisition_cost"].mean())
    # the generator records the realised mean cost per channel (6 significant digits) in its truth
    truth = world.truth["acquisition"]["mean_acquisition_cost_by_channel"]
    for channel, value in truth.items():
        assert costs.loc[channel, "cac"] == pytest.approx(value, rel=1e-5)


def test_missing_costs_and_window():
    customers = pd.DataFrame({
        "acquisition_channel": ["web", "web", "web", "partner"],
        "acquired_at": pd.to_datetime(["2023-01-10", "2024-06-01", "2024-11-01", "2024-12-01"]),
        "acquisition_cost": [900.0, 100.0, np.nan, 500.0],
    })
    costs = acquisition_costs(customers, as_of="2024-12-31")
    assert costs.loc["web", "cac"] == pytest.approx(500.0)
    assert costs.loc["web", "n"] == 2 and costs.loc["web", "n_missing_cost"] == 1
    recent = acquisition_costs(customers, as_of="2024-12-31", window_months=12)
    assert recent.loc["web", "cac"] == pytest.approx(100.0) and recent.loc["web", "n"] == 1
    assert np.isnan(recent.loc["web", "se"])  # one cost: no standard error
    with pytest.raises(ValueError, match="lacks column"):
        acquisition_costs(customers.drop(columns="acquisition_cost"), as_of="2024-12-31")
    with pytest.raises(ValueError, match="negative"):
        acquisition_costs(customers.assign(acquisition_cost=-1.0), as_of="2024-12-31")


def test_recent_window_is_shortened_to_the_data():
    customers = pd.DataFrame({"acquired_at": pd.to_datetime(["2024-10-01", "2024-11-15", "2024-12-20"])})
    recent, months = recent_acquisitions(customers, as_of="2024-12-31", window_months=12)
    # the data start 92 days before the as-of instant (the end of 31 December): a 12-month window
    # would understate the monthly rate
    assert months == pytest.approx(92 / (365.25 / 12))
    assert len(recent) == 2  # the first customer is at the window's open end
    with pytest.raises(ValueError, match="no customer"):
        recent_acquisitions(customers, as_of="2020-01-01", window_months=12)


def test_unit_economics_is_consistent_with_its_parts(world):
    table = unit_economics(world.customers, as_of=world.as_of, gross_margin_share=0.35, annual_discount_rate=0.1,
                           n_resamples=200, seed=0)
    values = clv_by(tenure_frame(world.customers, as_of=world.as_of), by="acquisition_channel", gross_margin_share=0.35,
                    annual_discount_rate=0.1, n_resamples=200, seed=0).set_index("acquisition_channel")
    costs = acquisition_costs(world.customers, as_of=world.as_of, window_months=12)
    for channel in values.index:
        row = table.loc[channel]
        assert row["clv"] == pytest.approx(values.loc[channel, "clv"], rel=1e-12)
        assert row["cac"] == pytest.approx(costs.loc[channel, "cac"])
        assert row["ltv_cac"] == pytest.approx(row["clv"] / row["cac"])
        assert row["ltv_cac_ci_low"] < row["ltv_cac"] < row["ltv_cac_ci_high"]
        assert row["payback_months_ci_low"] <= row["payback_months"] <= row["payback_months_ci_high"]
    # the all-customers payback by hand from the same curve
    frame = tenure_frame(world.customers, as_of=world.as_of)
    curve = survival_draws(event_table(frame["tenure_months"], frame["churned"]),
                           horizon_months=600 + int(frame["tenure_months"].max()), n_resamples=0)
    margin = 0.35 * frame["monthly_revenue"].mean()
    cumulative = np.cumsum(margin * curve.survival()[1:601])
    cac = costs.loc[ALL, "cac"]
    assert table.loc[ALL, "payback_months"] == np.argmax(cumulative >= cac) + 1
    assert table.loc[ALL, "payback_months"] == payback_months(curve.survival()[1:601], margin_per_period=margin,
                                                              acquisition_cost=cac)
    # payback is later than the naive CAC / margin, which ignores churn
    assert table.loc[ALL, "payback_months"] >= np.ceil(cac / margin)


def test_unit_economics_without_costs(world):
    table = unit_economics(world.customers.assign(acquisition_cost=np.nan), as_of=world.as_of,
                           gross_margin_share=0.35, annual_discount_rate=0.1, n_resamples=20)
    assert np.isfinite(table.loc[ALL, "clv"])
    assert np.isnan(table.loc[ALL, "ltv_cac"]) and np.isnan(table.loc[ALL, "payback_months"])


def test_missing_revenue_is_an_error_not_nan():
    customers = pd.DataFrame({
        "customer_id": ["A", "B"], "acquired_at": pd.to_datetime(["2024-01-01", "2024-02-01"]),
        "churned_at": pd.to_datetime([None, "2024-06-01"]), "monthly_revenue": [100.0, np.nan],
        "acquisition_cost": [500.0, 400.0], "segment": ["SMB", "SMB"],
    })
    base = customer_base(customers, as_of="2024-12-31")  # the life table and CAC need no revenue
    assert base.n_customers == 2
    with pytest.raises(ValueError, match="some customers have no monthly revenue"):
        retention_lift_scenario(base, n_resamples=10)
    with pytest.raises(ValueError, match="1 customer\\(s\\) have no monthly_revenue"):
        clv_by(tenure_frame(customers, as_of="2024-12-31"), by="segment", gross_margin_share=0.3,
               annual_discount_rate=0.1)
