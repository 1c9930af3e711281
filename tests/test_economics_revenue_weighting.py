"""Revenue-weighted survival in lifetime values: simulated bases with a known truth, and the interval's honesty."""

import numpy as np
import pandas as pd
import pytest

from cxlab.economics import clv_across_tails, clv_by, monthly_rate
from cxlab.economics.clv import group_clv, group_curves
from cxlab.economics.curves import joint_survival_draws, revenue_life_table

BANDS = {"revenue": np.array([50.0, 100.0, 300.0]), "hazard": np.array([0.06, 0.03, 0.015]),
         "share": np.array([0.5, 0.35, 0.15])}


def _base(n: int, seed: int, follow_up: int = 240) -> pd.DataFrame:
    """Customers in three revenue bands: the richer the band, the lower its constant monthly churn hazard."""
    rng = np.random.default_rng(seed)
    band = rng.choice(3, n, p=BANDS["share"])
    churn_month = rng.geometric(BANDS["hazard"][band])
    censor_month = rng.integers(0, follow_up + 1, n)
    return pd.DataFrame({"tenure_months": np.minimum(churn_month, censor_month),
                         "churned": (churn_month <= censor_month).astype(int),
                         "monthly_revenue": BANDS["revenue"][band] * rng.uniform(0.9, 1.1, n),
                         "band": band, "everyone": "all"})


def _true_clv(margin_share: float, annual_rate: float) -> float:
    """Population mean of margin_i * sum_t (1 - h_i)^t / (1 + i)^t over 600 months (the generator's truth)."""
    i, t = monthly_rate(annual_rate), np.arange(1, 601)
    per_band = margin_share * BANDS["revenue"] * ((1 - BANDS["hazard"][:, None]) ** t * (1 + i) ** -t).sum(axis=1)
    return float(BANDS["share"] @ per_band)


def test_revenue_weighted_curve_recovers_the_true_mean_clv_where_pooled_survival_is_biased():
    frame = _base(20_000, seed=3)
    truth = _true_clv(0.35, 0.10)  # 1,110.2 per new customer
    weighted = clv_by(frame, by="everyone", gross_margin_share=0.35, annual_discount_rate=0.10,
                      n_resamples=300).iloc[0]
    pooled = clv_by(frame, by="everyone", gross_margin_share=0.35, annual_discount_rate=0.10, n_resamples=300,
                    revenue_weighted=False).iloc[0]
    assert weighted["clv"] == pytest.approx(truth, rel=0.03)
    assert weighted["clv_ci_low"] < truth < weighted["clv_ci_high"]
    # mean revenue x the customers' curve ignores that the 300-a-month band stays longest: about 25% too low
    assert pooled["clv"] < 0.8 * truth and pooled["clv_ci_high"] < truth


def test_constant_revenue_gives_the_customers_curve():
    # every customer paying the same: the weighted hazards are the customers' hazards, the mean revenue has
    # no sampling error and the weighted draws have the binomial (Greenwood) spread
    frame = _base(3_000, seed=4).assign(monthly_revenue=80.0)
    table = revenue_life_table(frame["tenure_months"], frame["churned"], frame["monthly_revenue"])
    customers, revenue = joint_survival_draws(table, horizon_months=300, n_resamples=400, seed=1)
    np.testing.assert_allclose(revenue.hazard, customers.hazard, rtol=1e-12)
    np.testing.assert_allclose(revenue.weight_mean_draws, 80.0, rtol=1e-9)
    h, n = customers.hazard[:12], table["at_risk"].to_numpy()[1:13]
    np.testing.assert_allclose(revenue.hazard_draws[:, :12].std(axis=0), np.sqrt(h * (1 - h) / n), rtol=0.2)


@pytest.mark.slow
def test_delta_method_spread_agrees_with_a_bootstrap_of_customers():
    # Reference: the customer bootstrap (resample customers with replacement, recompute the point estimate);
    # the joint delta-method replicates should have the same spread, and the same for the mean revenue.
    frame = _base(4_000, seed=5, follow_up=120)
    discount = monthly_rate(0.10)
    options = {"gross_margin_share": 0.35, "monthly_discount_rate": discount, "lifetime_months": 600}
    horizon = 600 + int(frame["tenure_months"].max())
    drawn = group_clv(frame, **options, n_resamples=1000, seed=2)["clv_draws"]
    rng = np.random.default_rng(7)
    boot = []
    for _ in range(300):
        sample = frame.iloc[rng.integers(0, len(frame), len(frame))]
        curves = group_curves(sample, horizon_months=horizon, n_resamples=0)
        boot.append(group_clv(sample, **options, curves=curves)["clv"])
    assert np.std(drawn) == pytest.approx(np.std(boot), rel=0.15)


@pytest.mark.slow
def test_interval_coverage_on_repeated_bases():
    # 60 independent bases from the same generator: the 90% interval should cover the truth in about 90% of
    # them (binomial 95% range for 60 trials: 48 to 58).
    truth = _true_clv(0.35, 0.10)
    covered = 0
    for seed in range(60):
        row = clv_by(_base(3_000, seed=100 + seed), by="everyone", gross_margin_share=0.35,
                     annual_discount_rate=0.10, n_resamples=300, seed=seed, level=0.90).iloc[0]
        covered += row["clv_ci_low"] <= truth <= row["clv_ci_high"]
    assert 48 <= covered <= 59


def test_headline_interval_is_the_union_across_tails():
    frame = _base(6_000, seed=6, follow_up=60)
    table = clv_across_tails(frame, gross_margin_share=0.35, annual_discount_rate=0.10, n_resamples=200)
    assert list(table.index) == ["geometric", "sbg", "best", "headline"]
    headline = table.loc["headline"]
    assert headline["clv"] == table.loc["geometric", "clv"]
    assert headline["clv_ci_low"] == table["clv_ci_low"].iloc[:3].min()
    assert headline["clv_ci_high"] == table["clv_ci_high"].iloc[:3].max()
    # with a short follow-up the tails disagree (a mixture of constant hazards: sBG sees the heterogeneity)
    assert table.loc["sbg", "clv"] > table.loc["geometric", "clv"]
    assert "union of the sampling intervals" in table.attrs["note"]
