"""Tests of the shifted-beta-geometric model against published values, closed forms and simulation."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special
from statsmodels.tools.numdiff import approx_hess3

from cxlab.sbg import (
    ShiftedBetaGeometric,
    fit_by,
    sbg_churn_probability,
    sbg_derl,
    sbg_retention_rate,
    sbg_survival,
    tenure_in_periods,
)

# Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention", Journal of
# Interactive Marketing 21(1), 76-90: customers of two 1000-customer cohorts still active at
# years 0-12. The paper fits the sBG model to years 0-7 and reports
# alpha = 0.704, beta = 1.182 (regular) and alpha = 0.668, beta = 3.806 (high end).
REGULAR = np.array([1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173])
HIGH_END = np.array([1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394])


def brute_force_log_likelihood(alive_by_cohort, alpha, beta):
    """Log-likelihood written out with the beta function itself (no log-beta shortcuts)."""
    total = 0.0
    for alive in alive_by_cohort:
        alive = np.asarray(alive, dtype=float)
        for t in range(1, len(alive)):
            p_t = special.beta(alpha + 1, beta + t - 1) / special.beta(alpha, beta)
            total += (alive[t - 1] - alive[t]) * np.log(p_t)
        s_last = special.beta(alpha, beta + len(alive) - 1) / special.beta(alpha, beta)
        total += alive[-1] * np.log(s_last)
    return total


def simulate_tenures(alpha, beta, n, horizon, rng):
    """Churn period of sBG customers (theta ~ Beta, T ~ Geometric(theta)), censored at ``horizon``."""
    theta = rng.beta(alpha, beta, size=n)
    churn_period = rng.geometric(theta)
    churned = (churn_period <= horizon).astype(int)
    return np.minimum(churn_period, horizon), churned


@pytest.mark.parametrize(
    ("alive", "alpha", "beta"),
    [(REGULAR[:8], 0.704, 1.182), (HIGH_END[:8], 0.668, 3.806)],
    ids=["regular", "high_end"],
)
def test_paper_estimates(alive, alpha, beta):
    model = ShiftedBetaGeometric().fit(alive)
    assert model.converged_
    assert round(model.alpha_, 3) == alpha
    assert round(model.beta_, 3) == beta
    assert model.log_likelihood_ == pytest.approx(brute_force_log_likelihood([alive], alpha=model.alpha_,
                                                                             beta=model.beta_), rel=1e-10)
    assert model.AIC_ == pytest.approx(4 - 2 * model.log_likelihood_)
    assert model.n_customers_ == 1000
    assert model.n_churned_ == 1000 - alive[-1]




def test_recovers_parameters_from_a_large_customer_base():
    # 300,000 customers with low churn and up to 72 months of tenure, as in a big company's base.
    # The optimiser once stopped at its starting point (alpha = beta = 1) on data this large.
    rng = np.random.default_rng(3)
    alpha, beta = 0.45, 15.0
    tenure, churned = simulate_tenures(alpha, beta, n=300_000, horizon=72, rng=rng)
    model = ShiftedBetaGeometric().fit_from_tenure(tenure, churned)
    assert model.converged_
    ci = model.confidence_intervals_
    assert ci.loc["alpha"].iloc[0] < alpha < ci.loc["alpha"].iloc[1]
    assert ci.loc["beta"].iloc[0] < beta < ci.loc["beta"].iloc[1]

@pytest.mark.parametrize("alive", [REGULAR, HIGH_END], ids=["regular", "high_end"])
def test_projection_years_8_to_12(alive):
    model = ShiftedBetaGeometric().fit(alive[:8])
    years = np.arange(8, 13)
    projected = 1000 * model.survival(years)
    # closed form by another route: S(t) is the product of the retention rates r(1)..r(t)
    a, b = model.alpha_, model.beta_
    product = [np.prod([(b + i - 1) / (a + b + i - 1) for i in range(1, t + 1)]) for t in years]
    np.testing.assert_allclose(projected, 1000 * np.array(product), rtol=1e-12)
    # the paper's point: the 7-year fit tracks the held-out years 8-12 closely (within 5%)
    np.testing.assert_allclose(projected, alive[8:], rtol=0.05)
    assert model.retention_rate(years) == pytest.approx((b + years - 1) / (a + b + years - 1))
    assert model.churn_probability(years) == pytest.approx(model.survival(years - 1) - model.survival(years))


def test_standard_errors_match_independent_hessian():
    model = ShiftedBetaGeometric().fit(REGULAR[:8])
    # observed information in (alpha, beta) by statsmodels' numerical Hessian of the brute-force likelihood
    hess = approx_hess3(np.array([model.alpha_, model.beta_]),
                        lambda p: brute_force_log_likelihood([REGULAR[:8]], p[0], p[1]))
    cov = np.linalg.inv(-hess)
    np.testing.assert_allclose(model.variance_matrix_.to_numpy(), cov, rtol=1e-4)
    np.testing.assert_allclose(model.standard_errors_.to_numpy(), np.sqrt(np.diag(cov)), rtol=1e-4)
    summary = model.summary
    assert list(summary.index) == ["alpha", "beta"]
    lower, upper = summary["ci_low"], summary["ci_high"]
    log_se = summary["se(log coef)"]
    np.testing.assert_allclose(lower, summary["coef"] * np.exp(-1.959963984540054 * log_se))
    np.testing.assert_allclose(upper, summary["coef"] * np.exp(1.959963984540054 * log_se))
    assert (lower < summary["coef"]).all() and (summary["coef"] < upper).all()


def test_functions_closed_forms():
    assert sbg_survival(0, 0.5, 2.0) == pytest.approx(1.0)
    assert sbg_survival(1, 0.5, 2.0) == pytest.approx(2.0 / 2.5)
    assert sbg_survival(2, 0.5, 2.0) == pytest.approx(2.0 / 2.5 * 3.0 / 3.5)
    assert sbg_churn_probability(1, 0.5, 2.0) == pytest.approx(0.5 / 2.5)
    assert sbg_retention_rate(3, 0.5, 2.0) == pytest.approx(4.0 / 4.5)
    # broadcasting: one curve per parameter draw
    curves = sbg_survival(np.arange(4), np.array([[0.5], [1.0]]), np.array([[2.0], [3.0]]))
    assert curves.shape == (2, 4)
    assert curves[1, 1] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="whole numbers >= 1"):
        sbg_retention_rate(0, 1.0, 1.0)
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        sbg_survival(1.5, 1.0, 1.0)


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (2.5, 40.0), (0.3, 120.0)])
@pytest.mark.parametrize("discount", [0.1, 0.008])
def test_derl_equals_brute_force_discounted_sum(alpha, beta, discount):
    renewals = np.array([0, 1, 5, 36, 240])
    derl = sbg_derl(discount, renewals, alpha, beta)
    for value, r in zip(derl, renewals, strict=True):
        n = r + 1
        t = np.arange(n, n + 20_000)
        brute = np.sum(sbg_survival(t, alpha, beta) / sbg_survival(n - 1, alpha, beta) * (1 + discount) ** -(t - n))
        assert value == pytest.approx(brute, rel=1e-10)


def test_derl_matches_paper_hypergeometric_form():
    # Fader & Hardie (2010), eq. for DERL: (b + n - 1) / (a + b + n - 1) * 2F1(1, b + n; a + b + n; 1 / (1 + d)),
    # evaluated with scipy.special.hyp2f1 where it is accurate (annual periods, moderate n)
    d = 0.1
    model = ShiftedBetaGeometric().fit(REGULAR[:8])
    a, b = model.alpha_, model.beta_
    for n in range(1, 9):
        closed = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1, b + n, a + b + n, 1 / (1 + d))
        assert model.derl(d, renewals=n - 1) == pytest.approx(closed, rel=1e-10)
    # discounted expected lifetime of a new customer: 2F1(1, b; a + b; 1 / (1 + d))
    assert model.expected_lifetime(d) == pytest.approx(special.hyp2f1(1, b, a + b, 1 / (1 + d)), rel=1e-10)
    # alpha < 1: the undiscounted mean lifetime is unbounded
    assert model.expected_lifetime() == np.inf
    assert model.derl(0.0, renewals=3) == np.inf


def test_undiscounted_lifetime_closed_form():
    a, b = 3.0, 4.0
    assert sbg_derl(0.0, 0, a, b) == pytest.approx(b / (a - 1))
    t = np.arange(0, 2_000_000)
    assert float(np.sum(sbg_survival(t, a, b))) == pytest.approx((a + b - 1) / (a - 1), rel=1e-6)


def test_recovers_simulated_parameters_with_interval_coverage():
    rng = np.random.default_rng(0)
    alpha, beta = 0.9, 2.5
    tenure, churned = simulate_tenures(alpha, beta, n=20_000, horizon=24, rng=rng)
    model = ShiftedBetaGeometric().fit_from_tenure(tenure, churned)
    ci = model.confidence_intervals_
    assert ci.loc["alpha"].iloc[0] < alpha < ci.loc["alpha"].iloc[1]
    assert ci.loc["beta"].iloc[0] < beta < ci.loc["beta"].iloc[1]
    assert model.alpha_ == pytest.approx(alpha, rel=0.1)
    assert model.beta_ == pytest.approx(beta, rel=0.1)
    # the standard errors describe the spread of the estimates over repeated samples
    estimates = np.array([
        ShiftedBetaGeometric().fit_from_tenure(*simulate_tenures(alpha, beta, 20_000, 24, rng)).alpha_
        for _ in range(40)
    ])
    assert np.std(estimates, ddof=1) == pytest.approx(model.standard_errors_["alpha"], rel=0.35)


def test_interval_coverage_over_replications():
    # 95% intervals from the observed information should cover the truth in about 95% of samples
    rng = np.random.default_rng(4)
    alpha, beta = 0.7, 1.2
    covered = []
    for _ in range(200):
        model = ShiftedBetaGeometric().fit_from_tenure(*simulate_tenures(alpha, beta, 1000, 7, rng))
        ci = model.confidence_intervals_.to_numpy()
        covered.append([ci[0, 0] < alpha < ci[0, 1], ci[1, 0] < beta < ci[1, 1]])
    coverage = np.mean(covered, axis=0)
    assert np.all((coverage > 0.90) & (coverage < 0.99)), coverage


def test_staircase_of_cohorts_recovers_truth_and_censors_each_cohort():
    rng = np.random.default_rng(0)
    alpha, beta = 0.7, 4.0
    horizons = [12, 9, 6, 3, 1]
    rows, tenures, events = [], [], []
    for horizon in horizons:
        tenure, churned = simulate_tenures(alpha, beta, n=4000, horizon=horizon, rng=rng)
        survival_counts = [np.sum((tenure > t) | ((tenure == t) & (churned == 0))) for t in range(horizon + 1)]
        rows.append(survival_counts)
        tenures.append(tenure)
        events.append(churned)
    staircase = pd.DataFrame(rows)  # NaN after each cohort's last observed period
    assert staircase.isna().sum().sum() == sum(12 - h for h in horizons)
    model = ShiftedBetaGeometric().fit(staircase)
    per_customer = ShiftedBetaGeometric().fit_from_tenure(np.concatenate(tenures), np.concatenate(events))
    assert model.alpha_ == pytest.approx(per_customer.alpha_, rel=1e-6)
    assert model.beta_ == pytest.approx(per_customer.beta_, rel=1e-6)
    assert model.log_likelihood_ == pytest.approx(brute_force_log_likelihood(rows, model.alpha_, model.beta_))
    assert ShiftedBetaGeometric().fit(rows).alpha_ == pytest.approx(model.alpha_, rel=1e-9)
    ci = model.confidence_intervals_
    assert ci.loc["alpha"].iloc[0] < alpha < ci.loc["alpha"].iloc[1]
    assert ci.loc["beta"].iloc[0] < beta < ci.loc["beta"].iloc[1]
    assert model.n_customers_ == 4000 * len(horizons)


def test_fit_from_tenure_equals_fit_on_alive_counts():
    # the paper's regular cohort as 1000 customer records; the 241 survivors are censored at year 7
    alive = REGULAR[:8]
    churn_years = np.repeat(np.arange(1, 8), -np.diff(alive))
    tenure = np.r_[churn_years, np.full(alive[-1], 7)]
    churned = np.r_[np.ones(len(churn_years), int), np.zeros(alive[-1], int)]
    from_counts = ShiftedBetaGeometric().fit(alive)
    from_tenure = ShiftedBetaGeometric().fit_from_tenure(tenure, churned)
    assert from_tenure.alpha_ == pytest.approx(from_counts.alpha_, rel=1e-7)
    assert from_tenure.beta_ == pytest.approx(from_counts.beta_, rel=1e-7)
    assert from_tenure.log_likelihood_ == pytest.approx(from_counts.log_likelihood_, rel=1e-12)
    # fully uncensored data: every customer has churned by the last period
    rng = np.random.default_rng(2)
    tenure, churned = simulate_tenures(1.5, 3.0, n=3000, horizon=10_000, rng=rng)
    assert churned.all()
    counts = [np.sum(tenure > t) for t in range(tenure.max() + 1)]
    a = ShiftedBetaGeometric().fit(counts)
    b = ShiftedBetaGeometric().fit_from_tenure(tenure, churned)
    assert (a.alpha_, a.beta_) == pytest.approx((b.alpha_, b.beta_), rel=1e-7)
    # weights are counts of customers
    w = ShiftedBetaGeometric().fit_from_tenure(np.r_[np.arange(1, 8), 7], np.r_[np.ones(7), 0],
                                               weights=np.r_[-np.diff(alive), alive[-1]])
    assert w.alpha_ == pytest.approx(from_counts.alpha_, rel=1e-7)


def test_sample_parameters_follow_the_asymptotic_normal():
    model = ShiftedBetaGeometric().fit(REGULAR[:8])
    draws = model.sample_parameters(20_000, seed=0)
    assert list(draws.columns) == ["alpha", "beta"]
    log_draws = np.log(draws)
    np.testing.assert_allclose(log_draws.mean(), np.log([model.alpha_, model.beta_]), atol=0.005)
    np.testing.assert_allclose(np.cov(log_draws.T), model.log_variance_matrix_, rtol=0.05)
    assert model.sample_parameters(5, seed=3).equals(model.sample_parameters(5, seed=3))
    projection = model.projection(12, n_resamples=4000, seed=0)
    assert (projection["survival_ci_low"] <= projection["survival"]).all()
    assert (projection["survival"] <= projection["survival_ci_high"]).all()
    np.testing.assert_allclose(projection["observed"].iloc[:8], REGULAR[:8] / 1000)
    assert projection["observed"].iloc[8:].isna().all()


def test_no_heterogeneity_is_reported_not_hidden():
    # exactly geometric counts (20% churn every period): alpha, beta -> infinity
    alive = [10000, 8000, 6400, 5120, 4096, 3277]
    with pytest.warns(RuntimeWarning, match="no heterogeneity"):
        model = ShiftedBetaGeometric().fit(alive)
    assert not model.converged_
    assert model.retention_rate(3) == pytest.approx(0.8, abs=1e-3)
    assert model.standard_errors_.isna().all()
    with pytest.raises(ValueError, match="no usable covariance"):
        model.sample_parameters(10)


@pytest.mark.parametrize(
    ("alive", "message"),
    [
        ([100, 63.1, 40], "whole numbers"),
        ([100, 120, 50], "cannot increase"),
        ([100, -1], "whole numbers"),
        ([100], "at least periods 0 and 1"),
        ([[100], [50]], "at least periods 0 and 1"),
        ([0, 0], "cohort size"),
        ([[100, 80, np.nan, 50]], "only after the last observed period"),
    ],
)
def test_bad_alive_counts_raise(alive, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit(alive)


def test_bad_tenure_input_raises():
    with pytest.raises(ValueError, match="churned must hold only 0"):
        ShiftedBetaGeometric().fit_from_tenure([1, 2], [1, 2])
    with pytest.raises(ValueError, match="churner's tenure_periods must be >= 1"):
        ShiftedBetaGeometric().fit_from_tenure([0, 2], [1, 0])
    with pytest.raises(ValueError, match="no customer churned"):
        ShiftedBetaGeometric().fit_from_tenure([3, 2], [0, 0])
    with pytest.raises(ValueError, match="not fitted"):
        ShiftedBetaGeometric().survival(1)


def test_tenure_in_periods_follows_the_timing_convention():
    months = [1, 11, 12, 12, 13, 13, 24, 25, 13, 25]
    churned = [1, 1, 1, 0, 1, 0, 0, 1, 1, 1]
    observable = [40, 40, 40, 12, 40, 13, 24, 40, 23, 35]
    # the last two churned in a year still in progress (year 2 ends at 24, year 3 at 36 months):
    # censored at the whole years observed, 1 and 2
    assert tenure_in_periods(months, churned, observable, months_per_period=12).tolist() == [
        1, 1, 1, 1, 2, 1, 2, 3, 1, 2]
    assert tenure_in_periods(months, churned, months_per_period=1).tolist() == months
    with pytest.raises(ValueError, match="observable_months"):
        tenure_in_periods(months, churned, months_per_period=12)


def test_fit_by_groups():
    rng = np.random.default_rng(3)
    parts = []
    for segment, (a, b) in {"smb": (0.8, 2.0), "enterprise": (1.2, 9.0)}.items():
        months, churned = simulate_tenures(a, b, n=6000, horizon=30, rng=rng)
        parts.append(pd.DataFrame({"segment": segment, "tenure_months": months, "churned": churned}))
    frame = pd.concat(parts, ignore_index=True)
    before = frame.copy()
    table = fit_by(frame, "segment")
    pd.testing.assert_frame_equal(frame, before)
    assert list(table.index) == ["enterprise", "smb"]
    assert table.loc["smb", "n"] == 6000
    smb = ShiftedBetaGeometric().fit_from_tenure(frame.loc[frame.segment == "smb", "tenure_months"],
                                                 frame.loc[frame.segment == "smb", "churned"])
    assert table.loc["smb", "alpha"] == pytest.approx(smb.alpha_)
    assert table.loc["smb", "beta_ci_high"] == pytest.approx(smb.confidence_intervals_.iloc[1, 1])
    assert table.loc["enterprise", "alpha_ci_low"] < 1.2 < table.loc["enterprise", "alpha_ci_high"]
    assert table.loc["enterprise", "beta_ci_low"] < 9.0 < table.loc["enterprise", "beta_ci_high"]
    with pytest.raises(ValueError, match="lacks column"):
        fit_by(frame, "region")


def test_repr_and_html():
    model = ShiftedBetaGeometric()
    assert "not fitted" in repr(model)
    model.fit(REGULAR[:8], label="regular")
    assert "alpha=0.704" in repr(model)
    html = model._repr_html_()
    assert "regular" in html and "<table" in html


def test_plot_projection_labels():
    import matplotlib

    matplotlib.use("Agg")
    model = ShiftedBetaGeometric().fit(REGULAR[:8], label="regular")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = model.plot_projection(12, period_label="years")
    assert ax.get_xlabel() == "tenure (years)"
    assert "regular" in ax.get_title()
    assert len(ax.lines) >= 2


def test_derl_of_a_customer_censored_mid_period_discounts_the_first_renewal():
    # Hand calculation, alpha = beta = 1 (S(t) = 1 / (1 + t)), annual periods, d = 10%: a customer censored at
    # 17 months has made 1 renewal and is 5 months into the year, 7 months from the next payment. Valued today
    # the payments of periods t >= 2 are worth sum_t S(t) / S(1) * 1.1^-(t - 2 + 7/12)
    # = 1.1^(-7/12) * 2 z^-3 (-log(1 - z) - z - z^2 / 2) with z = 1 / 1.1.
    z = 1 / 1.1
    at_decision = 2 * z**-3 * (-np.log(1 - z) - z - z**2 / 2)
    months, per_period = 17, 12
    today = sbg_derl(0.1, months // per_period, 1.0, 1.0, time_to_renewal=1 - (months % per_period) / per_period)
    assert today == pytest.approx(at_decision * 1.1 ** (-7 / 12), rel=1e-12)
    assert sbg_derl(0.1, 1, 1.0, 1.0) == pytest.approx(at_decision, rel=1e-12)
    # one value per customer, and a whole period to go is one more period of discounting
    both = sbg_derl(0.1, [1, 1], 1.0, 1.0, time_to_renewal=[7 / 12, 1.0])
    np.testing.assert_allclose(both, [at_decision * 1.1 ** (-7 / 12), at_decision / 1.1], rtol=1e-12)
    with pytest.raises(ValueError, match="time_to_renewal"):
        sbg_derl(0.1, 1, 1.0, 1.0, time_to_renewal=1.5)
