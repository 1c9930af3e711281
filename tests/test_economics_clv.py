"""Customer lifetime value: closed forms, hand calculations, per-group values."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import ExponentialFitter, KaplanMeierFitter

from cxlab.economics import SurvivalDraws, clv, clv_by, clv_difference, monthly_rate, payback_months
from cxlab.economics.clv import group_clv
from cxlab.economics.curves import survival_draws
from cxlab.tenure import event_table


@pytest.mark.parametrize(("r", "m", "i"), [(0.9, 10.0, 0.01), (0.75, 250.0, 0.10), (0.98, 40.0, 0.008)])
def test_constant_retention_equals_gupta_lehmann(r, m, i):
    # Gupta & Lehmann (2003), "Customers as assets", J. Interactive Marketing 17(1): CLV = m r / (1 + i - r)
    # for margin m at the end of each period survived, retention r and discount rate i. The finite sum
    # over 5,000 periods differs from the infinite one by m r (r / (1 + i))^5000 / (1 + i - r) < 1e-40.
    survival = r ** np.arange(1, 5001)
    expected = m * r / (1 + i - r)
    assert clv(survival, margin_per_period=m, discount_rate_per_period=i) == pytest.approx(expected, rel=1e-12)
    # a finite horizon H gives the geometric partial sum m r / (1 + i - r) (1 - (r / (1 + i))^H)
    partial = expected * (1 - (r / (1 + i)) ** 24)
    assert clv(survival, margin_per_period=m, discount_rate_per_period=i, horizon_periods=24) == pytest.approx(partial)


def test_two_periods_by_hand():
    # S(1) = 0.8, S(2) = 0.6, margin 100, discount 10%: 100 * 0.8 / 1.1 + 100 * 0.6 / 1.21
    # = 72.7273 + 49.5868 = 122.3140
    value = clv([0.8, 0.6], margin_per_period=100, discount_rate_per_period=0.10)
    assert value == pytest.approx(122.3140, abs=1e-4)
    # margin per period as an array: 100 in period 1, 50 in period 2 -> 72.7273 + 24.7934
    assert clv([0.8, 0.6], margin_per_period=[100, 50], discount_rate_per_period=0.10) == pytest.approx(
        97.5207, abs=1e-4)


def test_billing_in_advance_adds_one_margin():
    # The docstring's mapping: paying m at the start of each month begun, sum_t m S(t-1) / (1+i)^(t-1),
    # equals m + clv(S).
    s = np.array([0.9, 0.7, 0.6, 0.4, 0.1, 0.0])
    m, i = 30.0, 0.02
    s_before = np.concatenate([[1.0], s])
    in_advance = np.sum(m * s_before / (1 + i) ** np.arange(len(s_before)))
    assert in_advance == pytest.approx(m + clv(s, margin_per_period=m, discount_rate_per_period=i))


def test_replicates_and_models():
    rows = np.array([0.9 ** np.arange(1, 301), 0.8 ** np.arange(1, 301)])
    values = clv(rows, margin_per_period=np.array([[10.0], [20.0]]), discount_rate_per_period=0.01)
    np.testing.assert_allclose(values, [10 * 0.9 / 0.11, 20 * 0.8 / 0.21], rtol=1e-10)
    curve = SurvivalDraws.from_survival(0.9 ** np.arange(1, 301))
    assert clv(curve, margin_per_period=10, discount_rate_per_period=0.01, horizon_periods=300) == pytest.approx(
        10 * 0.9 / 0.11, rel=1e-10)
    with pytest.raises(ValueError, match="horizon_periods"):
        clv(curve, margin_per_period=10, discount_rate_per_period=0.01)


def test_lifelines_exponential_fit_matches_closed_form():
    # An exponential model with mean lifetime lambda has S(t) = exp(-t / lambda): constant retention
    # r = exp(-1 / lambda), so the value is Gupta & Lehmann's m r / (1 + i - r) with the fitted lambda.
    rng = np.random.default_rng(0)
    fitter = ExponentialFitter().fit(rng.exponential(20.0, 2000))
    r = np.exp(-1 / fitter.lambda_)
    value = clv(fitter, margin_per_period=50, discount_rate_per_period=0.01, horizon_periods=4000)
    assert value == pytest.approx(50 * r / (1.01 - r), rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=40), st.floats(0.0, 0.2), st.floats(0.001, 0.2),
       st.floats(1.0, 1000.0))
def test_discounting_lowers_value(steps, low_rate, extra_rate, margin):
    survival = np.cumprod(steps)
    undiscounted = clv(survival, margin_per_period=margin, discount_rate_per_period=low_rate)
    discounted = clv(survival, margin_per_period=margin, discount_rate_per_period=low_rate + extra_rate)
    assert discounted < undiscounted
    assert clv(survival, margin_per_period=margin, discount_rate_per_period=0.0) == pytest.approx(
        margin * survival.sum())


def test_bad_survival_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        clv([1.2, 0.5], margin_per_period=1, discount_rate_per_period=0.01)
    with pytest.raises(ValueError, match="non-empty"):
        clv([], margin_per_period=1, discount_rate_per_period=0.01)
    with pytest.raises(ValueError, match="exceeds"):
        clv([0.9, 0.8], margin_per_period=1, discount_rate_per_period=0.01, horizon_periods=3)
    with pytest.raises(ValueError, match="> -1"):
        clv([0.9], margin_per_period=1, discount_rate_per_period=-1.0)


def test_payback_by_hand():
    # expected margin 100 * S(t): 90, 80, 70 -> cumulative 90, 170, 240: a cost of 200 is recovered in month 3
    assert payback_months([0.9, 0.8, 0.7], margin_per_period=100, acquisition_cost=200) == 3.0
    # discounted at 10% a month: 81.82, 66.12, 52.59 -> cumulative 81.82, 147.93, 200.53 -> still month 3;
    # a cost of 201 is never recovered within the curve
    assert payback_months([0.9, 0.8, 0.7], margin_per_period=100, acquisition_cost=200,
                          discount_rate_per_period=0.10) == 3.0
    assert np.isnan(payback_months([0.9, 0.8, 0.7], margin_per_period=100, acquisition_cost=201,
                                   discount_rate_per_period=0.10))
    months = payback_months(np.array([[0.9, 0.8, 0.7], [1.0, 1.0, 1.0]]), margin_per_period=100,
                            acquisition_cost=np.array([100.0, 100.0]))
    np.testing.assert_array_equal(months, [2.0, 1.0])


def test_monthly_rate():
    assert (1 + monthly_rate(0.10)) ** 12 == pytest.approx(1.10)
    with pytest.raises(ValueError):
        monthly_rate(-1.5)


@pytest.fixture(scope="module")
def frame():
    """Two segments with different churn (geometric 3% and 8% a month), censored at random."""
    rng = np.random.default_rng(5)
    n = 1500
    segment = np.where(rng.random(n) < 0.5, "A", "B")
    churn_month = rng.geometric(np.where(segment == "A", 0.03, 0.08))
    follow_up = rng.integers(0, 37, n)
    churned = (churn_month <= follow_up).astype(int)
    return pd.DataFrame({"segment": segment, "tenure_months": np.where(churned == 1, churn_month, follow_up),
                         "churned": churned, "monthly_revenue": rng.gamma(4.0, 50.0, n)})


def _km_with_geometric_tail(group: pd.DataFrame, weight: pd.Series, window: int) -> np.ndarray:
    """S(1..600): lifelines' Kaplan-Meier to the window's end, then the pooled hazard of its last 12 months."""
    km = KaplanMeierFitter().fit(group["tenure_months"], group["churned"], weights=weight)
    late = range(window - 11, window + 1)
    pooled = (sum(weight[(group["tenure_months"] == t) & (group["churned"] == 1)].sum() for t in late)
              / sum(weight[group["tenure_months"] >= t].sum() for t in late))
    s_window = km.survival_function_at_times(np.arange(1, window + 1)).to_numpy()
    return np.concatenate([s_window, s_window[-1] * (1 - pooled) ** np.arange(1, 601 - window)])


@pytest.mark.filterwarnings("ignore:It looks like your weights are not integers")
@pytest.mark.parametrize("revenue_weighted", [True, False])
def test_clv_by_against_an_independent_calculation(frame, revenue_weighted):
    table = clv_by(frame, by="segment", gross_margin_share=0.4, annual_discount_rate=0.12, n_resamples=200,
                   revenue_weighted=revenue_weighted)
    # the groups come back as columns, as from nps_by and compare_by
    assert list(table.columns[:3]) == ["segment", "n_customers", "n_active"]
    assert list(table.index) == [0, 1] and list(table["segment"]) == ["A", "B"]
    table = table.set_index("segment")
    i = 1.12 ** (1 / 12) - 1
    for segment, group in frame.groupby("segment"):
        # survival to the end of the window (30 or more customers at risk), then the pooled hazard of the window's
        # last 12 months held constant, to 600 months; revenue-weighted, every customer counts with their revenue
        # in the Kaplan-Meier fit and in the pooled hazard
        ones = pd.Series(1.0, index=group.index)
        at_risk = np.array([(group["tenure_months"] >= t).sum() for t in range(1, 700)])
        window = int(np.argmax(at_risk < 30))
        weight = group["monthly_revenue"] if revenue_weighted else ones
        margin = 0.4 * group["monthly_revenue"].mean()
        expected = np.sum(margin * _km_with_geometric_tail(group, weight, window) / (1 + i) ** np.arange(1, 601))
        row = table.loc[segment]
        assert row["clv"] == pytest.approx(expected, rel=1e-9)
        assert row["km_window_months"] == window
        assert row["clv_ci_low"] < row["clv"] < row["clv_ci_high"]
        assert row["n_customers"] == len(group)
        assert row["expected_lifetime_months"] == pytest.approx(_km_with_geometric_tail(group, ones, window).sum(),
                                                                rel=1e-9)
    # the segment that churns less is worth more
    assert table.loc["A", "clv"] > 1.5 * table.loc["B", "clv"]


def test_residual_value_of_the_active_base_by_hand():
    # Three active customers at tenures 0, 2, 2 with margins 10, 20, 30 (revenue 100, 200, 300 at 10% margin),
    # a known curve S(t) = 0.9^t and no discounting: an active customer's remaining value over 600 months is
    # m * sum_{t=1}^{600} 0.9^t = 9 m (to 1e-20) whatever the tenure.
    frame = pd.DataFrame({"tenure_months": [0, 2, 2, 5], "churned": [0, 0, 0, 1],
                          "monthly_revenue": [100.0, 200.0, 300.0, 400.0]})
    curve = SurvivalDraws.from_survival(0.9 ** np.arange(1, 700))
    values = group_clv(frame, gross_margin_share=0.1, monthly_discount_rate=0.0, curves=(curve, curve))
    assert values["residual_value_per_active"] == pytest.approx(9 * (10 + 20 + 30) / 3, rel=1e-9)
    assert values["clv"] == pytest.approx(9 * 0.1 * 250, rel=1e-9)


def test_small_groups_are_empty_and_bad_frames_refused(frame):
    tiny = frame.head(20).assign(segment="tiny")
    table = clv_by(pd.concat([frame, tiny]), by="segment", gross_margin_share=0.4, annual_discount_rate=0.1,
                   n_resamples=50).set_index("segment")
    assert np.isnan(table.loc["tiny", "clv"]) and table.loc["tiny", "n_customers"] == 20
    with pytest.raises(ValueError, match="lacks column"):
        clv_by(frame.drop(columns="monthly_revenue"), by="segment", gross_margin_share=0.4, annual_discount_rate=0.1)
    with pytest.raises(ValueError, match="gross_margin_share"):
        clv_by(frame, by="segment", gross_margin_share=35, annual_discount_rate=0.1)


def test_clv_by_uses_the_same_curve_as_survival_draws(frame):
    group = frame[frame["segment"] == "A"]
    curve = survival_draws(event_table(group["tenure_months"], group["churned"]),
                           horizon_months=600 + int(group["tenure_months"].max()), n_resamples=0)
    margin = 0.35 * group["monthly_revenue"].mean()
    expected = clv(curve.survival()[1:601], margin_per_period=margin, discount_rate_per_period=monthly_rate(0.1))
    table = clv_by(frame, by="segment", gross_margin_share=0.35, annual_discount_rate=0.1, n_resamples=10,
                   revenue_weighted=False).set_index("segment")
    assert table.loc["A", "clv"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.filterwarnings("ignore:It looks like your weights are not integers")
def test_group_difference_with_its_interval_and_clear_errors(frame):
    table = clv_by(frame, by="segment", gross_margin_share=0.4, annual_discount_rate=0.12,
                   n_resamples=200).set_index("segment")
    groups = table.index.tolist()
    diff = clv_difference(frame, "segment", groups[0], groups[1], gross_margin_share=0.4, annual_discount_rate=0.12,
                          n_resamples=200)
    # each group's value is its clv_by value (the first group shares clv_by's seed)
    assert diff["clv_first"] == pytest.approx(table.loc[groups[0], "clv"])
    assert diff["difference"] == pytest.approx(diff["clv_first"] - diff["clv_second"])
    assert diff["ci_low"] < diff["difference"] < diff["ci_high"]
    # independent groups: the difference's interval is wider than either group's own
    width = diff["ci_high"] - diff["ci_low"]
    assert width > max(table.loc[g, "clv_ci_high"] - table.loc[g, "clv_ci_low"] for g in groups[:2])
    with pytest.raises(ValueError, match=r"no column\(s\) \['Segment'\] to group by"):
        clv_by(frame, by="Segment", gross_margin_share=0.4, annual_discount_rate=0.1)
    with pytest.raises(ValueError, match="no customer has segment = 'Nope'"):
        clv_difference(frame, "segment", groups[0], "Nope", gross_margin_share=0.4, annual_discount_rate=0.1)
