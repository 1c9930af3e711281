"""Revenue at risk of the active base, checked against a hand-built base with a known constant churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab.economics.at_risk import revenue_at_risk
from cxlab.tenure import DAYS_PER_MONTH


def _constant_churn_base(n: int, monthly_churn: float, seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2026-09-30")
    acquired = as_of - pd.to_timedelta(rng.uniform(0, 48, n) * DAYS_PER_MONTH, unit="D")
    lifetime = rng.exponential(1 / -np.log(1 - monthly_churn), n) * DAYS_PER_MONTH
    churned = acquired + pd.to_timedelta(lifetime, unit="D")
    revenue = rng.choice([100.0, 1000.0], n)
    customers = pd.DataFrame({"customer_id": np.arange(n).astype(str), "acquired_at": acquired.floor("D"),
                              "churned_at": churned.where(churned < as_of).floor("D"), "monthly_revenue": revenue})
    return customers, as_of


def test_constant_churn_loses_the_known_share_of_the_active_revenue():
    # With a constant 3% monthly churn, a customer active now is still active after 12 months with
    # probability 0.97 ** 12 whatever their tenure: 30.6% of today's monthly revenue is lost by then,
    # and the revenue not earned over the 12 months is sum_m (1 - 0.97 ** m) monthly revenues.
    customers, as_of = _constant_churn_base(40_000, 0.03, seed=1)
    risk = revenue_at_risk(customers, as_of=as_of, n_resamples=300)
    active_revenue = customers.loc[customers["churned_at"].isna(), "monthly_revenue"].sum()
    assert risk.monthly_revenue == pytest.approx(active_revenue)
    assert risk.share_at_risk == pytest.approx(1 - 0.97 ** 12, abs=0.02)
    assert risk.run_rate_lost_ci_low <= (1 - 0.97 ** 12) * active_revenue <= risk.run_rate_lost_ci_high
    expected_lost = active_revenue * sum(1 - 0.97 ** m for m in range(1, 13))
    assert risk.revenue_lost_ci_low <= expected_lost <= risk.revenue_lost_ci_high


def test_missing_revenue_is_named():
    customers, as_of = _constant_churn_base(200, 0.03, seed=2)
    customers.loc[5, "monthly_revenue"] = np.nan
    with pytest.raises(ValueError, match="monthly_revenue is missing for 1 customer"):
        revenue_at_risk(customers, as_of=as_of, n_resamples=20)
