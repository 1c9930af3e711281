"""Logistic models on distinct covariate patterns: the row-level fit, estimate for estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlab.patterns import fit_logit, fit_logit_on_patterns, identical_rows


def _invitations(n=20_000, seed=0):
    """Categorical covariates with a known response model."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["SMB", "Mid-market", "Enterprise"], n)
    channel = rng.choice(["email", "sms"], n, p=[0.7, 0.3])
    annual = rng.integers(0, 2, n)
    logit = -0.5 + 0.4 * (segment == "Enterprise") - 0.3 * (segment == "SMB") - 0.8 * (channel == "sms") + 0.5 * annual
    responded = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    design = sm.add_constant(pd.get_dummies(pd.DataFrame({"segment": segment, "channel": channel}),
                                            drop_first=True, dtype=float).assign(annual=annual * 1.0))
    return design, responded


def test_patterns_give_the_row_level_glm_and_logit():
    design, responded = _invitations()
    fit = fit_logit_on_patterns(design, responded)
    assert len(fit.patterns) <= 24 and fit.patterns["count"].sum() == len(design)
    rows = sm.GLM(responded, design, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.params, rows.params, rtol=1e-9, atol=1e-12)
    # the covariance is the inverse information X'WX at the estimate, W = p(1 - p) (IRLS's own
    # covariance uses the weights of its last iteration, one step before the estimate: 4e-7 apart)
    x = design.to_numpy()
    p = 1 / (1 + np.exp(-x @ rows.params.to_numpy()))
    information = x.T @ (x * (p * (1 - p))[:, None])
    np.testing.assert_allclose(fit.result.cov_params(), np.linalg.inv(information), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(fit.bse, rows.bse, rtol=1e-6)
    assert fit.result.llf == pytest.approx(rows.llf, rel=1e-12)
    np.testing.assert_allclose(fit.predict(), rows.fittedvalues, rtol=1e-9)
    logit = sm.Logit(responded, design).fit(disp=0)
    np.testing.assert_allclose(fit.params, logit.params, rtol=1e-7)
    np.testing.assert_allclose(fit.bse, logit.bse, rtol=1e-6)
    # the generator's coefficients (reference: Enterprise, email) lie within four standard errors
    truth = {"const": -0.1, "segment_SMB": -0.7, "segment_Mid-market": -0.4, "channel_sms": -0.8, "annual": 0.5}
    for name, value in truth.items():
        assert abs(fit.params[name] - value) < 4 * fit.bse[name], name


def test_frequency_weights_give_the_weighted_row_fit():
    design, responded = _invitations(n=5000, seed=1)
    weights = np.random.default_rng(2).integers(1, 4, len(design)).astype(float)
    fit = fit_logit_on_patterns(design, responded, weights=weights)
    rows = sm.GLM(responded, design, family=sm.families.Binomial(), freq_weights=weights).fit()
    np.testing.assert_allclose(fit.params, rows.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.bse, rows.bse, rtol=1e-6)
    # and the fit of the rows repeated as many times as their weight
    repeated = np.repeat(np.arange(len(design)), weights.astype(int))
    expanded = sm.GLM(responded[repeated], design.iloc[repeated], family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.params, expanded.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.bse, expanded.bse, rtol=1e-6)


def test_mostly_distinct_rows_are_fitted_as_they_are():
    # a continuous covariate makes nearly every row a pattern of its own: the rows are fitted, weights and all
    design, responded = _invitations(n=5000, seed=3)
    rng = np.random.default_rng(4)
    design = design.assign(tenure=rng.exponential(20, len(design)).round(1))
    design = pd.DataFrame(design.to_numpy(), columns=design.columns)  # one block, as the non-response design
    weights = rng.integers(1, 4, len(design)).astype(float)
    fit = fit_logit_on_patterns(design, responded, weights=weights)
    assert len(fit.patterns) == len(design) and fit.row_pattern.tolist() == list(range(len(design)))
    np.testing.assert_array_equal(fit.patterns["count"], weights)
    assert np.shares_memory(fit.patterns["tenure"].to_numpy(), design.to_numpy())  # no copy of the design
    rows = sm.GLM(responded, design, family=sm.families.Binomial(), freq_weights=weights).fit()
    np.testing.assert_allclose(fit.params, rows.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.bse, rows.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.predict(), rows.fittedvalues, rtol=1e-9)


def test_bad_outcomes_are_named():
    design, responded = _invitations(n=100)
    responded = responded.astype(float)
    responded[[4, 7]] = [2, np.nan]
    with pytest.raises(ValueError, match=r"the outcome must be 0 or 1; rows \[4, 7\] \(2 in all\)"):
        fit_logit_on_patterns(design, responded)
    with pytest.raises(ValueError, match="99 outcomes for 100 design rows"):
        fit_logit_on_patterns(design, np.zeros(99))
    with pytest.raises(ValueError, match=r"design column\(s\) \['annual'\] hold missing or infinite values"):
        fit_logit_on_patterns(design.assign(annual=design["annual"].where(design.index != 3)), np.zeros(100))


def test_identical_rows_treats_missing_values_as_a_value():
    codes = identical_rows([np.array([1.0, np.nan, np.nan, 1.0]), np.array(["a", "b", "b", "a"])], 4)
    assert codes.tolist() == [0, 1, 1, 0]


def test_the_fit_holds_no_temporary_as_large_as_the_design():
    # the information is summed over blocks of rows: at 300,000 rows of 20 columns the fit holds one
    # block and a few vectors of the rows' length, where statsmodels' Newton fit holds a copy of the design
    import tracemalloc

    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(300_000), rng.normal(size=(300_000, 19))])
    y = (rng.random(300_000) < 1 / (1 + np.exp(-x @ np.linspace(-0.5, 0.5, 20)))).astype(float)
    tracemalloc.start()
    fit = fit_logit(x, y, np.ones(len(y)), names=[f"x{i}" for i in range(20)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.4 * x.nbytes
    rows = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.params, rows.params, rtol=1e-9, atol=1e-12)
    assert fit.llf == pytest.approx(rows.llf, rel=1e-12)


def test_separated_outcomes_warn_that_the_estimate_has_not_settled():
    x = np.column_stack([np.ones(8), [0.0] * 4 + [1.0] * 4])
    y = np.array([0.0] * 4 + [1.0] * 4)  # the covariate predicts the outcome exactly: no finite maximum
    with pytest.warns(RuntimeWarning, match="has not settled after 100 Newton steps"):
        fit = fit_logit(x, y, np.ones(8), names=["const", "x"])
    assert fit.iterations == 100 and fit.params["x"] > 10
