import numpy as np
import pytest

from cxlab.patterns import identical_rows
from cxlab.resampling import profile_draw_counts


@pytest.mark.parametrize("n_customers, n_values", [(3000, 3), (300, 300)], ids=["few profiles", "many profiles"])
def test_draw_counts_give_the_customer_bootstrap_variance_of_a_total(n_customers, n_values):
    # Resampling n customers with replacement: the total of x has variance n * (mean(x^2) - mean(x)^2)
    # (a multinomial with n draws of probability 1/n each); both ways of drawing must reproduce it.
    rng = np.random.default_rng(0)
    x = rng.integers(0, n_values, n_customers) * 1.7 + rng.integers(0, 2, n_customers)
    profile = identical_rows([x], n_customers)
    values = np.bincount(profile, weights=x) / np.bincount(profile)
    totals = np.concatenate([counts @ values for counts in profile_draw_counts(profile, 4000, seed=3)])
    assert totals.mean() == pytest.approx(x.sum(), rel=0.01)
    # 4,000 resamples estimate a variance within about 2.2%; 10% is over four of those
    assert totals.var(ddof=1) == pytest.approx(n_customers * x.var(), rel=0.10)


def test_draws_are_reproducible_and_sum_to_the_customers():
    profile = np.repeat([0, 1, 2], [5, 1, 4])
    first = np.vstack(list(profile_draw_counts(profile, 7, seed=9, batch=3)))
    again = np.vstack(list(profile_draw_counts(profile, 7, seed=9, batch=3)))
    np.testing.assert_array_equal(first, again)
    assert first.shape == (7, 3) and (first.sum(axis=1) == 10).all()
