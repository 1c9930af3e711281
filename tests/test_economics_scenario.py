"""The retention-lift scenario: hand calculations, invariants, and the acquisition comparison."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlab.economics import (
    CustomerBase,
    SurvivalDraws,
    customer_base,
    retention_lift_scenario,
    scenario_across_tails,
)
from cxlab.economics.curves import revenue_life_table, survival_draws
from cxlab.periods import as_of_end
from cxlab.synth import simulate
from cxlab.tenure import event_table, tenure_frame


def tiny_base(cac: float = 200.0) -> CustomerBase:
    """Ten active customers at tenure 0 paying 100 a month; 5 new customers a month paying 50 at a CAC of 200."""
    return CustomerBase(as_of=pd.Timestamp("2025-12-31"), life_table=event_table([0] * 10, [0] * 10),
                        active_by_tenure=np.array([10.0]), revenue_by_tenure=np.array([1000.0]),
                        new_customers_per_month=5.0, new_customer_monthly_revenue=50.0, cac=cac, cac_se=np.nan,
                        n_cac=60, n_recent=60, acquisition_window_months=12.0)


def test_two_months_by_hand():
    # Retention 0.9 a month; a 50% relative lift makes it 0.95. Margin share 0.5, no discounting.
    # Baseline  month 1: base 10 * 0.9 = 9,     new 5 * 0.9 = 4.5          revenue 900 + 225 = 1125
    #           month 2: base 10 * 0.81 = 8.1,  new 5 * (0.9 + 0.81) = 8.55 revenue 810 + 427.5 = 1237.5
    # Improved  month 1: base 9.5,  new 4.75                               revenue 950 + 237.5 = 1187.5
    #           month 2: base 9.025, new 5 * (0.95 + 0.9025) = 9.2625      revenue 902.5 + 463.125 = 1365.625
    # Acquisition spend 5 * 200 = 1000 a month in both; programme 100 in total, 50 a month.
    curve = SurvivalDraws.from_survival(0.9 ** np.arange(1, 3))
    result = retention_lift_scenario(tiny_base(), survival=curve, gross_margin_share=0.5, annual_discount_rate=0.0,
                                     retention_lift=0.5, lift_kind="relative", horizon_months=2,
                                     programme_cost_total=100.0)
    extra_revenue = (1187.5 - 1125) + (1365.625 - 1237.5)
    assert result.value("incremental_revenue") == pytest.approx(extra_revenue)  # 190.625
    assert result.value("incremental_gross_profit") == pytest.approx(0.5 * extra_revenue)
    assert result.value("programme_cost") == pytest.approx(100.0)
    assert result.value("incremental_profit") == pytest.approx(0.5 * extra_revenue - 100)  # -4.6875
    assert result.value("incremental_discounted_profit") == pytest.approx(0.5 * extra_revenue - 100)
    assert result.value("incremental_customers_at_horizon") == pytest.approx((9.025 + 9.2625) - (8.1 + 8.55))
    customer_years = ((9.5 + 4.75) - (9 + 4.5) + (9.025 + 9.2625) - (8.1 + 8.55)) / 12
    assert result.value("incremental_customer_years") == pytest.approx(customer_years)
    baseline = (0.5 * 1125 - 1000) + (0.5 * 1237.5 - 1000)
    assert result.value("baseline_discounted_profit") == pytest.approx(baseline)
    assert np.isnan(result.value("profit_increase_pct"))  # the baseline loses money: no percentage
    # Acquisition alternative: 50 a month buys 0.25 customers a month at CAC 200, each earning 0.5 * 50 = 25
    # a month while active: acquired in month 1 -> 25 * (0.9 + 0.81) = 42.75, in month 2 -> 25 * 0.9 = 22.5.
    assert result.value("acquisition_customers") == pytest.approx(0.5)
    assert result.value("acquisition_alternative_profit") == pytest.approx(0.25 * 42.75 + 0.25 * 22.5 - 100)
    # Break-even: retention earns G - c, acquisition c (U - 1) with G = 95.3125 and U = (42.75 + 22.5) / 2 / 200
    gain, per_unit = 0.5 * extra_revenue, (42.75 + 22.5) / 2 / 200
    assert result.value("breakeven_vs_acquisition") == pytest.approx(gain / per_unit)
    assert result.value("breakeven_programme_cost") == pytest.approx(gain)
    assert result.value("cost_per_customer_year_retained") == pytest.approx(100 / customer_years)
    assert result.value("acquisition_to_retention_cost_ratio") == pytest.approx(200 / (100 / customer_years))
    assert result.value("breakeven_cost_ratio") == pytest.approx(200 / (gain / per_unit / customer_years))
    # with a known curve there are no replicates, so no interval
    assert np.isnan(result.interval("incremental_profit")).all()


def test_discounting_and_programme_cost_per_customer_year_by_hand():
    # Same world, 1% a month discounting, programme 120 per customer-year = 10 per active customer-month
    # in the improved scenario: 10 * 14.25 in month 1 and 10 * 18.2875 in month 2.
    curve = SurvivalDraws.from_survival(0.9 ** np.arange(1, 3))
    result = retention_lift_scenario(tiny_base(), survival=curve, gross_margin_share=0.5,
                                     annual_discount_rate=1.01 ** 12 - 1, retention_lift=0.5, horizon_months=2,
                                     programme_cost_per_customer_year=120.0, cost_to_serve_per_customer_month=2.0)
    gain_1 = 0.5 * (1187.5 - 1125) - 2 * (14.25 - 13.5) - 10 * 14.25
    gain_2 = 0.5 * (1365.625 - 1237.5) - 2 * (18.2875 - 16.65) - 10 * 18.2875
    assert result.value("programme_cost") == pytest.approx(10 * (14.25 + 18.2875))
    assert result.value("incremental_profit") == pytest.approx(gain_1 + gain_2)
    assert result.value("incremental_discounted_profit") == pytest.approx(gain_1 / 1.01 + gain_2 / 1.01 ** 2)
    # the budget follows the improved base: spent at CAC 200, then valued at 0.5 * 50 - 2 = 23 a month
    acquired_value = (10 * 14.25 / 200 * 23 * (0.9 / 1.01 + 0.81 / 1.01 ** 2)
                      + 10 * 18.2875 / 200 * 23 * 0.9 / 1.01 ** 2)
    budget = 10 * 14.25 / 1.01 + 10 * 18.2875 / 1.01 ** 2
    assert result.value("acquisition_alternative_profit") == pytest.approx(acquired_value - budget)


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=2500, seed=7)


@pytest.fixture(scope="module")
def base(world):
    return customer_base(world.customers, as_of=world.as_of)


def test_customer_base_aggregates(world, base):
    frame = tenure_frame(world.customers, as_of=world.as_of)
    # active: no churn known by the end of the as-of day (a churn in a month not yet over is censored, not active)
    active = frame[~frame["churned_at"].lt(as_of_end(world.as_of))]
    assert base.n_active == len(active)
    assert base.revenue_by_tenure.sum() == pytest.approx(active["monthly_revenue"].sum())
    assert base.active_by_tenure[3] == (active["tenure_months"] == 3).sum()
    recent = world.customers[world.customers["acquired_at"] > as_of_end(world.as_of) - pd.Timedelta(days=365.25)]
    assert base.new_customers_per_month == pytest.approx(len(recent) / 12)
    assert base.cac == pytest.approx(recent["acquisition_cost"].mean())
    assert base.new_customer_monthly_revenue == pytest.approx(recent["monthly_revenue"].mean())
    assert base.summary.loc["active customers at the as-of date", "value"] == base.n_active
    with pytest.raises(ValueError, match="acquisition_cost"):
        customer_base(world.customers.drop(columns="acquisition_cost"), as_of=world.as_of)
    with pytest.raises(ValueError, match="no customer"):
        customer_base(world.customers, as_of="2000-01-01")


def test_zero_lift_gives_exactly_zero_gain(base):
    result = retention_lift_scenario(base, retention_lift=0.0, n_resamples=100, seed=3)
    for name in ("incremental_customers_at_horizon", "incremental_revenue", "incremental_profit",
                 "incremental_discounted_profit", "profit_increase_pct"):
        assert result.value(name) == 0.0
        assert np.all(result.draws[name] == 0.0)
    assert (result.by_year["incremental_discounted_profit"] == 0.0).all()
    # with a programme cost, a zero lift loses exactly the programme's cost
    costly = retention_lift_scenario(base, retention_lift=0.0, lift_kind="absolute", n_resamples=100, seed=3,
                                     programme_cost_per_customer_year=60.0)
    np.testing.assert_allclose(costly.draws["incremental_profit"], -costly.draws["programme_cost"], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 0.6), st.floats(0.0, 0.3), st.sampled_from(["relative", "absolute"]))
def test_larger_lift_never_gives_less_profit(base, lift, extra, kind):
    # holds in every replicate, because each customer-month earns more margin than the programme costs a month
    assert 0.35 * base.revenue_by_tenure[base.active_by_tenure > 0].min() > 30.0 / 12
    common = {"lift_kind": kind, "n_resamples": 40, "seed": 1, "programme_cost_per_customer_year": 30.0}
    smaller = retention_lift_scenario(base, retention_lift=lift, **common)
    larger = retention_lift_scenario(base, retention_lift=lift + extra, **common)
    for name in ("incremental_discounted_profit", "incremental_customers_at_horizon"):
        assert larger.value(name) >= smaller.value(name) - 1e-6
        assert np.all(larger.draws[name] >= smaller.draws[name] - 1e-6)


def test_per_year_table_adds_up(base):
    result = retention_lift_scenario(base, n_resamples=50, programme_cost_per_customer_year=50.0)
    by_year = result.by_year
    assert list(by_year.index) == [1, 2, 3, 4, 5]
    for name in ("incremental_revenue", "incremental_profit", "incremental_discounted_profit", "programme_cost"):
        assert by_year[name].sum() == pytest.approx(result.value(name))
        assert (by_year[f"{name}_ci_low"] <= by_year[f"{name}_ci_high"]).all()
    monthly = result.monthly
    year_end = monthly.loc[[12, 24, 36, 48, 60]]
    np.testing.assert_allclose(by_year["incremental_customers"],
                               year_end["improved_active"] - year_end["baseline_active"])
    assert by_year["incremental_customers"].iloc[-1] == pytest.approx(result.value("incremental_customers_at_horizon"))
    profit = (monthly["improved_profit"] - monthly["baseline_profit"]) * monthly["discount_factor"]
    assert profit.sum() == pytest.approx(result.value("incremental_discounted_profit"))
    assert by_year["baseline_profit"].sum() == pytest.approx(monthly["baseline_profit"].sum())
    # a horizon that is not whole years ends with a shorter year
    short = retention_lift_scenario(base, n_resamples=0, horizon_months=18)
    assert list(short.by_year.index) == [1, 2]
    assert short.by_year["incremental_revenue"].sum() == pytest.approx(short.value("incremental_revenue"))


def test_discounting_lowers_the_gain(base):
    undiscounted = retention_lift_scenario(base, n_resamples=0, annual_discount_rate=0.0)
    discounted = retention_lift_scenario(base, n_resamples=0, annual_discount_rate=0.10)
    assert discounted.value("incremental_discounted_profit") < undiscounted.value("incremental_discounted_profit")
    assert undiscounted.value("incremental_discounted_profit") == pytest.approx(
        undiscounted.value("incremental_profit"))
    assert discounted.value("incremental_profit") == pytest.approx(undiscounted.value("incremental_profit"))


def test_absolute_lift_is_the_lift_of_the_curve(base):
    curve = survival_draws(base.life_table, horizon_months=base.max_tenure_months + 60, n_resamples=30, seed=2)
    lifted = curve.with_lift(0.05, "absolute")
    direct = retention_lift_scenario(base, survival=curve, lift_kind="absolute")
    # the improved scenario is the baseline scenario of the lifted curve: the gain is their difference
    improved = retention_lift_scenario(base, survival=lifted, retention_lift=0.0)
    baseline = retention_lift_scenario(base, survival=curve, retention_lift=0.0)
    np.testing.assert_allclose(direct.monthly["improved_active"], improved.monthly["baseline_active"])
    np.testing.assert_allclose(direct.monthly["baseline_active"], baseline.monthly["baseline_active"])
    assert direct.value("incremental_discounted_profit") == pytest.approx(
        ((improved.monthly["baseline_profit"] - baseline.monthly["baseline_profit"])
         * baseline.monthly["discount_factor"]).sum())
    # five points of annual retention are far more than a 5% cut in churn at this company's churn level
    relative = retention_lift_scenario(base, survival=curve, lift_kind="relative")
    assert direct.value("incremental_discounted_profit") > 3 * relative.value("incremental_discounted_profit")


def test_interval_brackets_the_estimate(base):
    result = retention_lift_scenario(base, n_resamples=200, seed=0, programme_cost_per_customer_year=50.0)
    for name in ("incremental_discounted_profit", "profit_increase_pct", "acquisition_alternative_profit",
                 "breakeven_vs_acquisition"):
        low, high = result.interval(name)
        assert low < result.value(name) < high
    assert result.parameters["n_resamples"] == 200
    assert "incremental_discounted_profit" in result._repr_html_()


def test_bad_inputs_are_refused(base):
    with pytest.raises(ValueError, match="either per customer-year or as a total"):
        retention_lift_scenario(base, programme_cost_per_customer_year=10.0, programme_cost_total=1000.0)
    with pytest.raises(ValueError, match="lift_kind"):
        retention_lift_scenario(base, lift_kind="percent")
    with pytest.raises(ValueError, match="gross_margin_share"):
        retention_lift_scenario(base, gross_margin_share=35)
    with pytest.raises(ValueError, match="needs"):
        retention_lift_scenario(base, survival=SurvivalDraws.from_survival(0.9 ** np.arange(1, 20)))


def test_without_acquisition_costs_the_comparison_is_empty(world):
    customers = world.customers.assign(acquisition_cost=np.nan)
    base = customer_base(customers, as_of=world.as_of)
    assert np.isnan(base.cac)
    result = retention_lift_scenario(base, n_resamples=20, programme_cost_per_customer_year=50.0)
    assert np.isfinite(result.value("incremental_discounted_profit"))
    assert np.isnan(result.value("acquisition_alternative_profit"))
    assert np.isnan(result.value("breakeven_vs_acquisition"))


def _flat_replicates(survival: np.ndarray, n: int) -> SurvivalDraws:
    """A known curve with n identical replicates: any spread in the results comes from elsewhere."""
    curve = SurvivalDraws.from_survival(survival)
    return SurvivalDraws(curve.hazard, np.repeat(curve.hazard[None, :], n, axis=0), curve.window_months, "given", 0)


def test_cac_uncertainty_widens_the_acquisition_comparison_as_by_hand():
    # The two-month world above: the acquisition alternative earns 100 * (32.625 / CAC - 1) (32.625 = the mean
    # discounted margin of a customer bought in month 1 or 2). With CAC ~ Normal(200, 40) and the curve known,
    # its 95% interval is that function at CAC = 200 -/+ 1.96 * 40 (monotone in the CAC).
    curve = _flat_replicates(0.9 ** np.arange(1, 3), 4000)
    settings = {"gross_margin_share": 0.5, "annual_discount_rate": 0.0, "retention_lift": 0.5,
                "horizon_months": 2, "programme_cost_total": 100.0, "survival": curve}
    base = tiny_base()
    result = retention_lift_scenario(base, **settings, cac=200.0, cac_se=40.0)
    low, high = result.interval("acquisition_alternative_profit")
    assert result.value("acquisition_alternative_profit") == pytest.approx(3262.5 / 200 - 100)
    assert low + 100 == pytest.approx(3262.5 / (200 + 1.959964 * 40), rel=0.01)
    assert high + 100 == pytest.approx(3262.5 / (200 - 1.959964 * 40), rel=0.01)
    # the retention programme's own gain does not depend on the CAC: its interval stays a point
    gain_low, gain_high = result.interval("incremental_discounted_profit")
    assert gain_low == pytest.approx(gain_high)
    # a CAC given as an assumption, without a standard error, is fixed
    fixed = retention_lift_scenario(base, **settings, cac=200.0)
    assert fixed.interval("acquisition_alternative_profit") == pytest.approx((3262.5 / 200 - 100,) * 2)
    # by default the data's CAC comes with its standard error
    data_cac = retention_lift_scenario(CustomerBase(**{**base.__dict__, "cac_se": 40.0}), **settings)
    assert data_cac.interval("acquisition_alternative_profit") == pytest.approx((low, high))


def test_revenue_follows_the_revenue_weighted_curve_and_recovers_the_true_projection():
    # Truth: three revenue bands with constant monthly churn 6%, 3% and 1.5% (the richest the most loyal):
    # today's active customer i still pays r_i after m months with probability (1 - h_i)^m.
    rng = np.random.default_rng(8)
    n = 20_000
    band = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    hazard, revenue = np.array([0.06, 0.03, 0.015])[band], np.array([50.0, 100.0, 300.0])[band]
    churn_month, censor_month = rng.geometric(hazard), rng.integers(0, 241, n)
    tenure = np.minimum(churn_month, censor_month)
    churned = (churn_month <= censor_month).astype(int)
    active = churned == 0
    base = CustomerBase(as_of=pd.Timestamp("2025-12-31"),
                        life_table=revenue_life_table(tenure, churned, revenue),
                        active_by_tenure=np.bincount(tenure[active]).astype(float),
                        revenue_by_tenure=np.bincount(tenure[active], weights=revenue[active]),
                        new_customers_per_month=0.0, new_customer_monthly_revenue=0.0, cac=np.nan, cac_se=np.nan,
                        n_cac=0, n_recent=0, acquisition_window_months=12.0)
    settings = {"gross_margin_share": 1.0, "annual_discount_rate": 0.0, "retention_lift": 0.0,
                "horizon_months": 36, "n_resamples": 0}
    months = np.array([12, 36])
    truth = (revenue[active, None] * (1 - hazard[active, None]) ** months).sum(axis=0)
    weighted = retention_lift_scenario(base, **settings).monthly.loc[months, "baseline_profit"].to_numpy()
    pooled = retention_lift_scenario(base, **settings, revenue_weighted=False).monthly.loc[
        months, "baseline_profit"].to_numpy()
    np.testing.assert_allclose(weighted, truth, rtol=0.03)
    assert np.all(pooled < 0.93 * truth)


def test_across_tails_the_interval_is_the_union_of_the_tails_sampling_intervals(base):
    settings = {"programme_cost_per_customer_year": 50.0, "n_resamples": 100, "seed": 1}
    result = scenario_across_tails(base, **settings)
    for tail in ("geometric", "sbg", "best"):
        alone = retention_lift_scenario(base, **settings, tail=tail)
        assert result.by_tail.loc["incremental_discounted_profit", tail] == pytest.approx(
            alone.value("incremental_discounted_profit"))
    row = result.summary.loc["incremental_discounted_profit"]
    lows = result.by_tail.loc["incremental_discounted_profit", ["geometric_ci_low", "sbg_ci_low", "best_ci_low"]]
    highs = result.by_tail.loc["incremental_discounted_profit", ["geometric_ci_high", "sbg_ci_high", "best_ci_high"]]
    assert (row["ci_low"], row["ci_high"]) == (lows.min(), highs.max())
    assert row["ci_low"] <= row["sampling_ci_low"] and row["sampling_ci_high"] <= row["ci_high"]
    assert row["value"] == result.by_tail.loc["incremental_discounted_profit", "geometric"]
    assert "union of the sampling intervals" in result.parameters["interval"]
    with pytest.raises(ValueError, match="do not pass survival"):
        scenario_across_tails(base, survival=SurvivalDraws.from_survival([0.9]))
