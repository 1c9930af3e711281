"""Tornado and claim map."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cxlab.economics import customer_base, retention_lift_scenario  # noqa: E402
from cxlab.economics.plots import plot_claim_map, plot_tornado  # noqa: E402
from cxlab.economics.sensitivity import (  # noqa: E402
    base_annual_retention,
    claim_map,
    point_survival,
    sensitivity_table,
)
from cxlab.synth import simulate  # noqa: E402


@pytest.fixture(scope="module")
def base():
    world = simulate(n_customers=2500, seed=21)
    return customer_base(world.customers, as_of=world.as_of)


@pytest.fixture(scope="module")
def table(base):
    return sensitivity_table(base, gross_margin_share=0.35, annual_discount_rate=0.10, retention_lift=0.05,
                             programme_cost_per_customer_year=50.0)


def test_sensitivity_directions(base, table):
    reference = retention_lift_scenario(base, n_resamples=0, programme_cost_per_customer_year=50.0)
    assert table.attrs["base"]["incremental_discounted_profit"] == pytest.approx(
        reference.value("incremental_discounted_profit"))
    profit = "incremental_discounted_profit"
    centre = table.attrs["base"][profit]
    assert table.loc["retention_lift", f"{profit}_low"] < centre < table.loc["retention_lift", f"{profit}_high"]
    assert table.loc["gross_margin_share", f"{profit}_low"] < centre < table.loc["gross_margin_share",
                                                                                 f"{profit}_high"]
    # a higher discount rate lowers the discounted gain
    assert table.loc["annual_discount_rate", f"{profit}_low"] > centre > table.loc["annual_discount_rate",
                                                                                   f"{profit}_high"]
    # CAC is paid alike in both scenarios: it does not change the gain, only the baseline and the alternative
    assert table.loc["cac", f"{profit}_low"] == pytest.approx(centre)
    assert table.loc["cac", "retention_minus_acquisition_low"] < table.loc["cac", "retention_minus_acquisition_high"]
    assert table.loc["cac", "base_value"] == pytest.approx(base.cac)
    assert list(table.loc["horizon_months", ["low_value", "high_value"]]) == [36, 120]


def test_unknown_range_is_refused(base):
    with pytest.raises(ValueError, match="unknown assumption"):
        sensitivity_table(base, ranges={"churn": (0.1, 0.2)})


def test_tornado_plot(table):
    ax = plot_tornado(table, outcome="profit_increase_pct")
    assert ax.get_title() and "%" in ax.get_xlabel()
    assert len(ax.patches) == 2 * len(table)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="outcome"):
        plot_tornado(table, outcome="npv")


def test_claim_map(base):
    settings = {"retention_lift": 0.05, "lift_kind": "absolute", "gross_margin_share": 0.35}
    grid = claim_map(base, annual_retention_grid=[0.6, 0.8], gross_margin_grid=[0.2, 0.4, 0.6], **settings)
    assert grid.shape == (2, 3)
    # without programme or serving costs the gain is margin x extra revenue, the baseline margin x revenue minus
    # acquisition spend, so a thinner margin means a larger percentage (Reichheld's point)
    finite = grid.to_numpy()
    assert np.all(np.diff(finite, axis=1) < 0)
    # the map's cell at the company's own retention and margin is the scenario's own answer
    current = grid.attrs["current_annual_retention"]
    own = claim_map(base, annual_retention_grid=[current], gross_margin_grid=[0.35], **settings)
    curve = point_survival(base, 72)
    direct = retention_lift_scenario(base, survival=curve, retention_lift=0.05, lift_kind="absolute", n_resamples=0)
    assert own.iloc[0, 0] == pytest.approx(direct.value("profit_increase_pct"), rel=1e-6)
    assert current == pytest.approx(base_annual_retention(base, curve))
    ax = plot_claim_map(grid)
    assert "folklore" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="strictly between"):
        claim_map(base, annual_retention_grid=[1.0])
