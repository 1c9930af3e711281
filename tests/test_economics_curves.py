"""Survival draws from the life table, tails and retention lifts."""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.economics.curves import (
    SurvivalDraws,
    annual_retention_from_monthly_hazard,
    apply_lift,
    monthly_hazard_from_annual_retention,
    percentile_interval,
    survival_draws,
)
from cxlab.economics.plots import plot_survival
from cxlab.sbg import ShiftedBetaGeometric, sbg_retention_rate
from cxlab.survival.parametric import fit_parametric
from cxlab.tenure import event_table


@pytest.fixture(scope="module")
def tenures():
    """3,000 customers: geometric churn (hazard 0.04) with random censoring up to 40 months."""
    rng = np.random.default_rng(0)
    churn_month = rng.geometric(0.04, 3000)
    follow_up = rng.integers(0, 41, 3000)
    churned = (churn_month <= follow_up).astype(int)
    return np.where(churned == 1, churn_month, follow_up), churned


def test_kaplan_meier_part_matches_lifelines(tenures):
    tenure, churned = tenures
    curve = survival_draws(event_table(tenure, churned), horizon_months=60, n_resamples=0, min_at_risk=30)
    km = KaplanMeierFitter().fit(tenure, churned)
    months = np.arange(1, curve.window_months + 1)
    expected = km.survival_function_at_times(months).to_numpy()
    np.testing.assert_allclose(curve.survival(months), expected, rtol=1e-12)
    at_risk = event_table(tenure, churned)["at_risk"]
    assert at_risk[curve.window_months] >= 30 > at_risk[curve.window_months + 1]


def test_geometric_tail_is_the_pooled_late_hazard(tenures):
    tenure, churned = tenures
    table = event_table(tenure, churned)
    curve = survival_draws(table, horizon_months=80, n_resamples=0, min_at_risk=30, tail_fit_months=12)
    window = curve.window_months
    late = table.loc[window - 11:window]
    pooled = late["churned"].sum() / late["at_risk"].sum()
    np.testing.assert_allclose(curve.hazard[window:], pooled)
    assert curve.tail == "geometric"
    # the generator's hazard is 0.04: the pooled late estimate is near it
    assert abs(pooled - 0.04) < 0.015


def test_bootstrap_spread_matches_greenwood(tenures):
    tenure, churned = tenures
    table = event_table(tenure, churned)
    curve = survival_draws(table, horizon_months=40, n_resamples=4000, seed=1, min_at_risk=30)
    draws = curve.survival_draws()
    d, n = table["churned"].to_numpy(), table["at_risk"].to_numpy()
    for month in (6, 12, 24):
        s = curve.survival(month)
        greenwood = s * np.sqrt(np.sum(d[1:month + 1] / (n[1:month + 1] * (n[1:month + 1] - d[1:month + 1]))))
        assert draws[:, month].std() == pytest.approx(greenwood, rel=0.08)
        assert draws[:, month].mean() == pytest.approx(s, abs=greenwood / 5)


def test_draws_are_seeded(tenures):
    table = event_table(*tenures)
    a = survival_draws(table, horizon_months=50, n_resamples=20, seed=3)
    b = survival_draws(table, horizon_months=50, n_resamples=20, seed=3)
    c = survival_draws(table, horizon_months=50, n_resamples=20, seed=4)
    np.testing.assert_array_equal(a.hazard_draws, b.hazard_draws)
    assert not np.array_equal(a.hazard_draws, c.hazard_draws)


def test_sbg_tail_is_the_fitted_models_conditional_hazard():
    # churn probability varies across customers as Beta(2, 30): the sBG model's own world
    rng = np.random.default_rng(8)
    theta = rng.beta(2.0, 30.0, 4000)
    churn_month = rng.geometric(theta)
    follow_up = rng.integers(0, 41, 4000)
    churned = (churn_month <= follow_up).astype(int)
    tenure = np.where(churned == 1, churn_month, follow_up)
    curve = survival_draws(event_table(tenure, churned), horizon_months=70, n_resamples=300, seed=2, tail="sbg")
    # fitted independently on the customer rows (months as periods)
    model = ShiftedBetaGeometric().fit_from_tenure(tenure, churned)
    months = np.arange(curve.window_months + 1, 71)
    np.testing.assert_allclose(curve.hazard[curve.window_months:], 1 - model.retention_rate(months), rtol=1e-6)
    draws = model.sample_parameters(300, seed=2)
    expected = 1 - sbg_retention_rate(months, draws[["alpha"]].to_numpy(), draws[["beta"]].to_numpy())
    np.testing.assert_allclose(curve.hazard_draws[:, curve.window_months:], expected, rtol=1e-6)
    assert curve.tail == "sbg"


def test_sbg_tail_without_heterogeneity_falls_back_to_geometric(tenures):
    with pytest.warns(RuntimeWarning, match="no heterogeneity"):
        curve = survival_draws(event_table(*tenures), horizon_months=70, n_resamples=10, tail="sbg")
    geometric = survival_draws(event_table(*tenures), horizon_months=70, n_resamples=10)
    np.testing.assert_array_equal(curve.hazard_draws, geometric.hazard_draws)
    assert curve.tail.startswith("geometric")


def test_parametric_tail_matches_a_fit_on_customer_rows(tenures):
    tenure, churned = tenures
    curve = survival_draws(event_table(tenure, churned), horizon_months=70, n_resamples=50, seed=2, tail="weibull")
    # the tail is fitted on the life table's counts; the same fit on one row per customer gives the same model
    fit = fit_parametric(pd.DataFrame({"tenure_months": tenure, "churned": churned}), ("weibull",))
    window = curve.window_months
    assert fit.observed_through_months_ == window
    s_model = fit.fitters_["weibull"].survival_function_at_times(np.arange(window, 71).astype(float)).to_numpy()
    np.testing.assert_allclose(curve.survival()[window + 1:] / curve.survival(window), s_model[1:] / s_model[0],
                               rtol=1e-4)
    # replicates spread around it
    tail_draws = curve.survival_draws()[:, 70] / curve.survival_draws()[:, window]
    assert tail_draws.min() < s_model[-1] / s_model[0] < tail_draws.max()
    with pytest.raises(ValueError, match="tail must be one of"):
        survival_draws(event_table(tenure, churned), horizon_months=70, tail="gompertz")


def test_window_rule_and_bad_tables():
    table = event_table([1, 2, 2, 3, 5, 5, 5, 5], [1, 1, 0, 1, 0, 0, 0, 0])
    curve = survival_draws(table, horizon_months=24, n_resamples=0, min_at_risk=3)
    # at risk: month 1: 8, 2: 7, 3: 5, 4: 4, 5: 4 -> all >= 3, so the window is 5 months
    assert curve.window_months == 5
    assert curve.survival(2) == pytest.approx((1 - 1 / 8) * (1 - 1 / 7))
    assert survival_draws(table, horizon_months=24, n_resamples=0, min_at_risk=5).window_months == 3
    with pytest.raises(ValueError, match="fewer than min_at_risk"):
        survival_draws(table, horizon_months=24, min_at_risk=9)
    with pytest.raises(ValueError, match="lacks column"):
        survival_draws(pd.DataFrame({"at_risk": [3, 2]}), horizon_months=5)


def test_from_survival_round_trip_and_validation():
    s = np.array([0.9, 0.8, 0.8, 0.5])
    curve = SurvivalDraws.from_survival(s)
    np.testing.assert_allclose(curve.survival()[1:], s)
    np.testing.assert_allclose(curve.hazard, [0.1, 1 - 0.8 / 0.9, 0.0, 1 - 0.5 / 0.8])
    assert curve.n_resamples == 0
    assert np.isnan(curve.summary["ci_low"]).all()
    with pytest.raises(ValueError, match="non-increasing"):
        SurvivalDraws.from_survival([0.5, 0.7])
    with pytest.raises(ValueError, match="between 0 and"):
        curve.survival(9)


def test_relative_lift_by_hand():
    # 5% relative lift: every monthly hazard x 0.95
    np.testing.assert_allclose(apply_lift([0.02, 0.10], 0.05, "relative"), [0.019, 0.095])


def test_absolute_lift_by_hand():
    # hazard 0.02 a month: annual retention 0.98^12 = 0.784717; +5 points = 0.834717;
    # monthly hazard 1 - 0.834717^(1/12) = 0.014942
    assert 0.98 ** 12 == pytest.approx(0.784717, abs=1e-6)
    assert float(apply_lift(0.02, 0.05, "absolute")) == pytest.approx(1 - 0.834717 ** (1 / 12), abs=1e-7)
    assert float(apply_lift(0.02, 0.05, "absolute")) == pytest.approx(0.014942, abs=1e-6)
    # on a curve: each tenure year's retention rises by exactly 5 points, the shape within the year is kept
    hazard = np.concatenate([np.linspace(0.05, 0.02, 12), np.full(12, 0.01), np.full(6, 0.01)])
    lifted = apply_lift(hazard, 0.05, "absolute")
    for year in (slice(0, 12), slice(12, 24)):
        before, after = np.prod(1 - hazard[year]), np.prod(1 - lifted[year])
        assert after == pytest.approx(before + 0.05)
    # a six-month last block is annualised: its annual-equivalent retention rises by 5 points
    assert np.prod(1 - lifted[24:]) ** 2 == pytest.approx(np.prod(1 - hazard[24:]) ** 2 + 0.05)
    ratio = np.log1p(-lifted[:12]) / np.log1p(-hazard[:12])
    np.testing.assert_allclose(ratio, ratio[0])
    # retention cannot exceed 100%
    assert float(apply_lift(0.003, 0.05, "absolute")) == 0.0
    np.testing.assert_array_equal(apply_lift(np.full(12, 0.003), 0.05, "absolute"), 0.0)


def test_annual_monthly_conversions_are_inverse():
    h = np.array([0.001, 0.02, 0.1])
    np.testing.assert_allclose(monthly_hazard_from_annual_retention(annual_retention_from_monthly_hazard(h)), h)


def test_lift_validation_and_zero_lift():
    h = np.array([[0.02, 0.03]])
    for kind in ("relative", "absolute"):
        np.testing.assert_array_equal(apply_lift(h, 0.0, kind), h)
    with pytest.raises(ValueError, match="kind"):
        apply_lift(h, 0.05, "percent")
    with pytest.raises(ValueError, match="between 0 and 1"):
        apply_lift(h, 5, "relative")


def test_raised_to_moves_the_level_and_keeps_replicates_aligned(tenures):
    curve = survival_draws(event_table(*tenures), horizon_months=40, n_resamples=10, seed=0)
    squared = curve.raised_to(2.0)
    np.testing.assert_allclose(squared.survival(), curve.survival() ** 2)
    np.testing.assert_allclose(squared.survival_draws(), curve.survival_draws() ** 2)


def test_percentile_interval():
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))
    low, high = percentile_interval(np.empty((0, 3)))
    assert np.isnan(low).all() and np.isnan(high).all()
    assert percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 1.0) == (1.0, 3.0)


def test_plot_survival(tenures):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = survival_draws(event_table(*tenures), horizon_months=120, n_resamples=50, seed=0)
    ax = plot_survival(curve)
    assert ax.get_title() and ax.get_xlabel() == "Tenure (months)"
    assert ax.get_xlim()[1] == curve.window_months + 60
    labels = [line.get_label() for line in ax.get_lines()]
    assert "Kaplan-Meier (data)" in labels and "tail: geometric" in labels
    plt.close(ax.figure)


def test_absolute_lift_with_a_reference_curve_by_hand():
    # Customers churn 2% a month: annual retention 0.98^12 = 0.78472, five points more is 0.83472, reached by
    # the power k = log(0.83472) / log(0.78472) of the monthly retention. A revenue-weighted curve churning 1% a
    # month gets the same power: 1 - 0.99^k (and the customers' own lift is unchanged by naming itself).
    k = np.log(0.98 ** 12 + 0.05) / np.log(0.98 ** 12)
    customers, revenue = np.full(24, 0.02), np.full(24, 0.01)
    np.testing.assert_allclose(apply_lift(revenue, 0.05, "absolute", reference=customers), 1 - 0.99 ** k)
    np.testing.assert_allclose(apply_lift(customers, 0.05, "absolute", reference=customers),
                               apply_lift(customers, 0.05, "absolute"))
    assert float(apply_lift(0.01, 0.05, "absolute", reference=0.02)) == pytest.approx(1 - 0.99 ** k)
    with pytest.raises(ValueError, match="reference hazards"):
        apply_lift(revenue, 0.05, "absolute", reference=customers[:12])
