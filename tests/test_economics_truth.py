"""On the demo world, the scenario's interval covers the answer computed from the generator's true churn.

The generator (:mod:`cxlab.synth`) draws churn from a monthly proportional hazard,
``truth["baseline_monthly_hazard"][k - 1] * exp(lp)``, where ``lp`` combines
``truth["churn_hazard_ratios"]`` with covariates that change over a customer's life (survey
answers, follow-ups, effort scores). The survival curve the scenario needs is the
*population-average* one those hazards imply for the world's mix of customers -- not the
reference profile's ``baseline_monthly_hazard`` -- and it has no closed form because the mix
evolves with the answers. So the true curve is taken from a world five times larger,
simulated with the same settings (same period, generator and parameters) and an independent
seed: its Kaplan-Meier curve is the population curve up to a sampling error less than half of
the demo world's. Beyond the months anyone is observed, no world with these settings shows
survival; there the truth is the large world's late hazard held constant, which is the
generator's own form (its baseline hazard is flat after about three years:
0.0135 + 0.022 exp(-(k - 1) / 5)).

Revenue follows the revenue-weighted curve (the generator's revenue is related to the
customer's segment and so to churn); its truth is the large world's revenue-weighted curve,
taken the same way. The "true" profit applies exactly the same scenario arithmetic -- the demo
world's base, acquisition rate, revenue and CAC -- to those curves, so the comparison isolates
what the interval claims to cover: the uncertainty of the survival curves (and of the CAC, for
the acquisition comparison).
"""

import numpy as np
import pytest

from cxlab.economics import customer_base, joint_survival_draws, retention_lift_scenario
from cxlab.synth import DEFAULT_N_CUSTOMERS, baseline_monthly_hazard, simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_world):
    # the demo world's settings and seed (data/demo is written from these)
    return demo_world, customer_base(demo_world.customers, as_of=demo_world.as_of)


@pytest.fixture(scope="module")
def true_curve(demo):
    world, base = demo
    large = simulate(n_customers=5 * DEFAULT_N_CUSTOMERS, seed=20260930)
    large_base = customer_base(large.customers, as_of=large.as_of)
    return joint_survival_draws(large_base.life_table, horizon_months=base.max_tenure_months + 60, n_resamples=0)


def test_truth_is_the_generators_hazard(demo, true_curve):
    world, _ = demo
    # the generator's baseline hazard is the formula of its truth dict
    np.testing.assert_allclose(world.truth["baseline_monthly_hazard"][:24], baseline_monthly_hazard(24), rtol=1e-5)
    # the population's late hazard lies between the lowest- and highest-risk profiles' of the truth dict
    ratios = world.truth["churn_hazard_ratios"]
    late = true_curve[0].hazard[-1]
    assert 0.0135 * ratios["annual_vs_monthly"] * ratios["segment_Enterprise_vs_SMB"] < late
    assert late < 0.0135 * world.truth["churn_hazard_ratios_by_category"]["detractor_vs_passive"]


@pytest.mark.parametrize("lift_kind", ["relative", "absolute"])
def test_interval_covers_the_true_profit(demo, true_curve, lift_kind):
    _, base = demo
    settings = {"gross_margin_share": 0.35, "annual_discount_rate": 0.10, "retention_lift": 0.05,
                "lift_kind": lift_kind, "horizon_months": 60, "programme_cost_per_customer_year": 50.0}
    # one world, so a 99% interval: the check fails on a real miss, not on one world in twenty
    estimate = retention_lift_scenario(base, n_resamples=500, seed=0, level=0.99, **settings)
    customers, revenue = true_curve
    truth = retention_lift_scenario(base, survival=customers, revenue_survival=revenue, **settings)
    # The "truth" is itself estimated, from five times as many customers: its sampling variance is a fifth of the
    # demo's, so the difference between the two has sqrt(1 + 1/5) times the demo interval's half-width.
    widen = np.sqrt(1 + 1 / 5)
    for name in ("incremental_discounted_profit", "profit_increase_pct", "incremental_customers_at_horizon",
                 "acquisition_alternative_profit", "breakeven_vs_acquisition"):
        value, (low, high) = estimate.value(name), estimate.interval(name)
        low, high = value - widen * (value - low), value + widen * (high - value)
        assert low <= truth.value(name) <= high, (name, low, truth.value(name), high)
    yearly = estimate.by_year["incremental_discounted_profit"]
    low = yearly - widen * (yearly - estimate.by_year["incremental_discounted_profit_ci_low"])
    high = yearly + widen * (estimate.by_year["incremental_discounted_profit_ci_high"] - yearly)
    assert ((low <= truth.by_year["incremental_discounted_profit"])
            & (truth.by_year["incremental_discounted_profit"] <= high)).all()
