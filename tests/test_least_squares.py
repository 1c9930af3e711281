"""Least squares with robust standard errors against statsmodels' OLS fits."""

import numpy as np
import pytest
import statsmodels.api as sm

from cxlab.least_squares import robust_ols, robust_ols_on_patterns


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 5_000
    flags = (rng.random((n, 6)) < 0.2).astype(float)
    x = np.column_stack([np.ones(n), flags, rng.normal(size=n)])
    groups = rng.integers(0, 1_200, n)
    y = 100.0 * (rng.integers(0, 3, n) - 1) + 25 * flags[:, 0] - 10 * flags[:, 3] + rng.normal(size=n)
    return y, x, groups


def _same(fit, reference, level):
    ci = reference.conf_int(1 - level)
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fit.bse, reference.bse, rtol=1e-10)
    np.testing.assert_allclose(fit.ci_low, ci[:, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fit.ci_high, ci[:, 1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fit.pvalues, reference.pvalues, rtol=1e-8, atol=1e-300)
    assert fit.nobs == reference.nobs


def test_clustered_fit_equals_statsmodels(data):
    y, x, groups = data
    reference = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    _same(robust_ols(y, x, groups=groups, level=0.9), reference, 0.9)


def test_hc1_fit_without_clusters_equals_statsmodels(data):
    y, x, _ = data
    _same(robust_ols(y, x), sm.OLS(y, x).fit(cov_type="HC1"), 0.95)


def test_text_clusters_count_as_their_distinct_values(data):
    y, x, groups = data
    as_text = np.array([f"customer-{g}" for g in groups], dtype=object)
    np.testing.assert_array_equal(robust_ols(y, x, groups=as_text).bse, robust_ols(y, x, groups=groups).bse)


def test_dependent_columns_get_the_minimum_norm_solution_statsmodels_gives(data):
    y, x, groups = data
    dependent = np.column_stack([x, x[:, 1]])  # a theme flag twice
    with pytest.warns(Warning):  # statsmodels warns that the design is rank-deficient
        reference = sm.OLS(y, dependent).fit(cov_type="cluster", cov_kwds={"groups": groups})
    fit = robust_ols(y, dependent, groups=groups)
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.bse, reference.bse, rtol=1e-8)
    assert fit.params[1] == pytest.approx(fit.params[-1])  # the effect is split evenly between the copies


@pytest.mark.parametrize("clustered", [True, False])
def test_a_design_of_flags_fitted_on_its_patterns_equals_statsmodels(data, clustered):
    y, x, groups = data
    flags = x[:, :7]  # the constant and six 0/1 flags: at most 64 distinct rows for 5,000
    patterns, pattern_of_row = np.unique(flags, axis=0, return_inverse=True)
    assert len(patterns) <= 64
    fit = robust_ols_on_patterns(y, patterns, pattern_of_row, groups=groups if clustered else None, level=0.9)
    model = sm.OLS(y, flags)
    _same(fit, model.fit(cov_type="cluster", cov_kwds={"groups": groups}) if clustered else model.fit(cov_type="HC1"),
          0.9)


def test_patterns_with_a_dependent_column_give_the_minimum_norm_solution(data):
    y, x, groups = data
    dependent = np.column_stack([x[:, :7], x[:, 1]])
    patterns, pattern_of_row = np.unique(dependent, axis=0, return_inverse=True)
    fit = robust_ols_on_patterns(y, patterns, pattern_of_row, groups=groups)
    full = robust_ols(y, dependent, groups=groups)
    np.testing.assert_allclose(fit.params, full.params, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fit.bse, full.bse, rtol=1e-9)
