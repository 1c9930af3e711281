"""Tests of cohort retention on hand-built tables with hand-computed shares."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.display import suppress_small
from cxlab.retention import (
    ShiftedBetaGeometric,
    cohort_table,
    plot_cohort_heatmap,
    ratio_sums,
    retention_over_time,
    revenue_retention,
    revenue_retention_from_sums,
)
from cxlab.synth import simulate
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

matplotlib.use("Agg")


def customers_table(rows):
    """rows: (customer_id, acquired_at, churned_at or None)."""
    ids, acquired, churned = zip(*rows, strict=True)
    return pd.DataFrame({
        "customer_id": list(ids),
        "acquired_at": pd.to_datetime(list(acquired)),
        "churned_at": pd.to_datetime(list(churned)),
    })


def cell(table, cohort, period, column="logo_retention"):
    return table.loc[(table["cohort"] == cohort) & (table["period"] == period), column].item()


def test_logo_retention_by_hand_with_censoring():
    customers = customers_table([
        # cohort 2024-11: four customers, observed for 5+ months by 2025-04-30
        ("a", "2024-11-01", "2024-11-20"),  # churns in month 1
        ("b", "2024-11-01", "2025-01-15"),  # 75 days: churns in month 3
        ("c", "2024-11-01", None),
        ("d", "2024-11-01", "2025-06-01"),  # churn after as_of: active at as_of
        # cohort 2025-02: acquired 88 days before as_of -> 2.9 months -> periods 0..2 only
        ("e", "2025-02-01", None),
        ("f", "2025-02-01", "2025-03-10"),  # 37 days: churns in month 2
    ])
    before = customers.copy()
    table = cohort_table(customers, as_of="2025-04-30", cohort="month", period="month")
    pd.testing.assert_frame_equal(customers, before)
    nov = table[table["cohort"] == "2024-11"]
    assert nov["logo_retention"].tolist() == [1.0, 0.75, 0.75, 0.5, 0.5, 0.5]
    assert nov["active"].tolist() == [4, 3, 3, 2, 2, 2]
    assert (nov["cohort_size"] == 4).all()
    feb = table[table["cohort"] == "2025-02"]
    np.testing.assert_array_equal(feb["logo_retention"], [1.0, 1.0, 0.5, np.nan, np.nan, np.nan])
    assert feb["active"].iloc[3:].isna().all()  # never 0, never carried forward
    assert table["months"].tolist() == table["period"].tolist()
    assert table.attrs["as_of"] == pd.Timestamp("2025-04-30")


def test_cohort_acquired_two_months_before_as_of_reports_periods_up_to_two():
    # b churns after 40 days = 1.31 months: in month 2, so active after 1 month, not after 2
    customers = customers_table([("a", "2025-01-01", None), ("b", "2025-01-01", "2025-02-10")])
    # 61 days = 2.004 months of 30.4375 days: two whole months reached
    table = cohort_table(customers, as_of="2025-03-03", cohort="month", period="month")
    np.testing.assert_array_equal(table["logo_retention"], [1.0, 1.0, 0.5])
    # 59 days = 1.94 months: only one whole month
    table = cohort_table(customers, as_of="2025-03-01", cohort="month", period="month")
    np.testing.assert_array_equal(table["logo_retention"], [1.0, 1.0])


def test_quarter_cohort_is_censored_by_its_newest_customer():
    customers = customers_table([
        ("a", "2025-01-02", None),
        ("b", "2025-01-02", "2025-03-01"),  # 58 days: month 2
        ("c", "2025-03-31", None),  # newest: 2025-03-31 -> end of 2025-06-30 is 92 days = 3.02 months
        ("d", "2024-10-01", "2025-01-05"),  # other cohort: 96 days: month 4
    ])
    table = cohort_table(customers, as_of="2025-06-30", cohort="quarter", period="month")
    q1 = table[table["cohort"] == "2025Q1"]
    np.testing.assert_array_equal(q1["logo_retention"], [1.0, 1.0, 2 / 3, 2 / 3, np.nan, np.nan, np.nan,
                                                         np.nan, np.nan])
    q4 = table[table["cohort"] == "2024Q4"]
    np.testing.assert_array_equal(q4["logo_retention"], [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def test_churn_exactly_at_a_period_boundary():
    start = pd.Timestamp("2025-01-01")
    one_month = pd.Timedelta(days=DAYS_PER_MONTH)
    customers = customers_table([
        ("at_boundary", start, start + one_month),  # churned in month 1: not active after 1 period
        ("just_after", start, start + one_month + pd.Timedelta(hours=1)),  # month 2
        ("stays", start, None),
        ("quarter_edge", start, start + 3 * one_month),  # month 3: not active after 1 quarter
    ])
    monthly = cohort_table(customers, as_of="2025-12-31", cohort="month", period="month")
    np.testing.assert_allclose(monthly["logo_retention"].iloc[:4], [1.0, 0.75, 0.5, 0.25])
    quarterly = cohort_table(customers, as_of="2025-12-31", cohort="month", period="quarter")
    np.testing.assert_allclose(quarterly["logo_retention"], [1.0, 0.25, 0.25, 0.25])
    assert quarterly["months"].tolist() == [0, 3, 6, 9]
    frame = tenure_frame(customers, as_of="2025-12-31")
    assert frame.set_index("customer_id").loc["at_boundary", "tenure_months"] == 1


def test_churn_after_as_of_is_active_and_later_acquisitions_are_left_out():
    customers = customers_table([
        ("a", "2025-01-01", "2025-03-15"),  # churn after as_of 2025-03-01
        ("b", "2025-01-01", None),
        ("c", "2025-03-02", None),  # acquired after as_of: does not exist yet
        ("d", "2025-04-01", "2025-05-01"),
    ])
    table = cohort_table(customers, as_of="2025-03-01", cohort="quarter", period="month")
    assert table["cohort"].unique().tolist() == ["2025Q1"]
    np.testing.assert_array_equal(table["logo_retention"], [1.0, 1.0])
    assert table["cohort_size"].iloc[0] == 2
    assert table.attrs["acquired_after_as_of"] == 2
    with pytest.raises(ValueError, match="no customer was acquired"):
        cohort_table(customers, as_of="2024-12-31")


def test_matches_kaplan_meier_of_each_cohort_on_a_simulated_world():
    world = simulate(n_customers=1500, seed=5)
    table = cohort_table(world.customers, as_of=world.as_of, cohort="quarter", period="quarter")
    frame = tenure_frame(world.customers, as_of=world.as_of)
    frame["cohort"] = frame["acquired_at"].dt.to_period("Q").astype(str)
    checked = 0
    for cohort, members in frame.groupby("cohort"):
        kmf = KaplanMeierFitter().fit(members["tenure_months"], members["churned"])
        rows = table[(table["cohort"] == cohort) & table["logo_retention"].notna()]
        km = kmf.survival_function_at_times(rows["months"]).to_numpy()
        np.testing.assert_allclose(rows["logo_retention"], km, rtol=1e-12)
        assert rows["cohort_size"].iloc[0] == len(members)
        checked += len(rows)
    assert checked > 100


def revenue_world():
    customers = customers_table([
        ("A", "2025-01-10", None),
        ("B", "2025-01-20", "2025-04-05"),  # 75 days: churns in month 3
        ("D", "2025-01-05", "2025-01-25"),  # churns in month 1
        ("E", "2024-12-15", None),  # another cohort
    ])
    revenue = pd.DataFrame(
        [("A", "2025-01-01", 50.0), ("A", "2025-02-01", 100.0), ("A", "2025-03-01", 120.0),
         ("A", "2025-04-01", 130.0), ("A", "2025-05-01", 999.0),  # May: after as_of, not used
         ("B", "2025-01-01", 30.0), ("B", "2025-02-01", 200.0), ("B", "2025-03-01", 150.0),
         ("B", "2025-04-01", 20.0),
         ("D", "2025-01-01", 40.0), ("D", "2025-03-01", 10.0),  # D's March row: after churn, not counted
         ("E", "2024-12-01", 10.0), ("E", "2025-01-01", 80.0), ("E", "2025-02-01", 80.0),
         ("E", "2025-03-01", 60.0), ("E", "2025-04-01", 100.0)],
        columns=["customer_id", "month", "amount"],
    )
    revenue["month"] = pd.to_datetime(revenue["month"])
    return customers, revenue


def test_revenue_retention_by_hand():
    customers, revenue = revenue_world()
    table = cohort_table(customers, as_of="2025-04-30", cohort="month", period="month", revenue=revenue)
    jan = table[table["cohort"] == "2025-01"].reset_index(drop=True)
    # logo: A stays, B churns in month 3, D in month 1; newest (B) has 100 days = 3.29 months
    np.testing.assert_allclose(jan["logo_retention"], [1.0, 2 / 3, 2 / 3, 1 / 3, np.nan], rtol=1e-12)
    # period 0 = first full billing month (February): A 100 + B 200 + D 0
    assert (jan["revenue_base"] == 300.0).all()
    # period 1 (March): A 120, B 150 -> net 270; gross min(120, 100) + min(150, 200) = 250
    # period 2 (April): A 130, B 20 (B is active after 2 months) -> net 150; gross 100 + 20
    # period 3 (May) is not complete at 2025-04-30; period 4 is not reached (the table runs to the
    # longest-observed cohort's last period)
    np.testing.assert_allclose(jan["revenue"], [300.0, 270.0, 150.0, np.nan, np.nan])
    np.testing.assert_allclose(jan["revenue_kept"], [300.0, 250.0, 120.0, np.nan, np.nan])
    np.testing.assert_allclose(jan["net_revenue_retention"], [1.0, 0.9, 0.5, np.nan, np.nan])
    np.testing.assert_allclose(jan["gross_revenue_retention"], [1.0, 250 / 300, 0.4, np.nan, np.nan])
    dec = table[table["cohort"] == "2024-12"].reset_index(drop=True)
    # E: base = January 80; Feb 80, Mar 60, Apr 100 (expansion counts in net, is capped in gross);
    # logo period 4 is reached (136 days) but its billing month (May) is not complete
    np.testing.assert_allclose(dec["logo_retention"], [1.0] * 5)
    np.testing.assert_allclose(dec["net_revenue_retention"], [1.0, 1.0, 0.75, 1.25, np.nan])
    np.testing.assert_allclose(dec["gross_revenue_retention"], [1.0, 1.0, 0.75, 1.0, np.nan])


def test_revenue_quarter_periods_by_hand():
    customers, revenue = revenue_world()
    table = cohort_table(customers, as_of="2025-04-30", cohort="month", period="quarter", revenue=revenue)
    dec = table[table["cohort"] == "2024-12"]
    # E's period 0 = Jan + Feb + Mar = 220; period 1 (Apr-Jun) is not complete
    assert dec["revenue_base"].iloc[0] == 220.0
    np.testing.assert_array_equal(dec["net_revenue_retention"], [1.0, np.nan])
    jan = table[table["cohort"] == "2025-01"]
    # Jan cohort's first quarter (Feb-Apr) is complete: A 350 + B 370 + D's March row 10 (period-0
    # revenue is the base of every customer, also of one who churned in that period)
    assert jan["revenue_base"].iloc[0] == 730.0


def test_revenue_rows_in_any_order_give_the_same_cohort_table():
    world = simulate(n_customers=2000, seed=4)
    in_order = cohort_table(world.customers, as_of=world.as_of, period="quarter", revenue=world.revenue)
    shuffled = world.revenue.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(
        cohort_table(world.customers, as_of=world.as_of, period="quarter", revenue=shuffled), in_order, rtol=1e-12)
    # the quarter's revenue of a cohort is the sum over its customers' complete months, by hand
    first = in_order[(in_order["period"] == 0)].iloc[0]
    cohort = world.customers[world.customers["acquired_at"].dt.to_period("Q").astype(str) == first["cohort"]]
    acquired = cohort.set_index("customer_id")["acquired_at"]
    acquired = acquired.dt.year * 12 + acquired.dt.month
    rows = world.revenue[world.revenue["customer_id"].isin(acquired.index)]
    after = rows["month"].dt.year * 12 + rows["month"].dt.month - acquired.reindex(rows["customer_id"]).to_numpy()
    assert first["revenue_base"] == pytest.approx(rows.loc[((after >= 1) & (after <= 3)).to_numpy(), "amount"].sum())


def test_a_revenue_table_without_rows_leaves_revenue_retention_unknown():
    world = simulate(n_customers=1000, seed=4)
    logos = cohort_table(world.customers, as_of=world.as_of)
    table = cohort_table(world.customers, as_of=world.as_of, revenue=world.revenue.iloc[:0])
    pd.testing.assert_frame_equal(table[logos.columns], logos)
    assert (table["revenue_base"] == 0).all()
    assert table[["revenue", "revenue_kept", "gross_revenue_retention", "net_revenue_retention"]].isna().all().all()


def test_pooled_revenue_retention_with_interval_by_hand():
    customers, revenue = revenue_world()
    result = revenue_retention(customers, revenue, as_of="2025-04-30", months=1)
    net = result.loc["net_revenue_retention"]
    # eligible: A, B, D (billing month 2 = March complete) and E (month 2 = February)
    # x = (100, 200, 0, 80), y_net = (120, 150, 0, 80) -> 350 / 380
    assert net["estimate"] == pytest.approx(350 / 380)
    assert net["n"] == 4 and net["revenue_base"] == 380.0
    ratio = 350 / 380
    x, y = np.array([100, 200, 0, 80.0]), np.array([120, 150, 0, 80.0])
    se = np.sqrt(4 / 3 * np.sum((y - ratio * x) ** 2)) / 380
    assert net["se"] == pytest.approx(se)
    assert net["ci_low"] == pytest.approx(ratio - 1.959963984540054 * se)
    gross = result.loc["gross_revenue_retention"]
    assert gross["estimate"] == pytest.approx((100 + 150 + 0 + 80) / 380)
    # no customer has a complete month 13 yet
    assert np.isnan(revenue_retention(customers, revenue, as_of="2025-04-30")["estimate"]).all()


def test_pooled_revenue_retention_matches_reference_and_bootstrap():
    world = simulate(n_customers=1500, seed=6)
    result = revenue_retention(world.customers, world.revenue, as_of=world.as_of, months=12)
    # reference: month-1 and month-13 revenue of each customer, written out directly
    frame = tenure_frame(world.customers, as_of=world.as_of).set_index("customer_id")
    acquired = frame["acquired_at"].dt.year * 12 + frame["acquired_at"].dt.month - 1
    rev = world.revenue.assign(number=world.revenue["month"].dt.year * 12 + world.revenue["month"].dt.month - 1)
    rev["index"] = rev["number"] - acquired.reindex(rev["customer_id"]).to_numpy()
    by_index = rev.pivot_table(index="customer_id", columns="index", values="amount", aggfunc="sum")
    last_complete = 2026 * 12 + 9 - 1  # as_of 2026-09-30: September is complete
    eligible = frame.index[(acquired + 13 <= last_complete).to_numpy()]
    x = by_index.reindex(eligible)[1].fillna(0).to_numpy()
    stays = ((frame.loc[eligible, "churned"] == 0) | (frame.loc[eligible, "tenure_months"] > 12)).to_numpy()
    y = np.where(stays, by_index.reindex(eligible)[13].fillna(0).to_numpy(), 0.0)
    net = result.loc["net_revenue_retention"]
    assert net["n"] == len(eligible)
    assert net["estimate"] == pytest.approx(y.sum() / x.sum(), rel=1e-12)
    assert result.loc["gross_revenue_retention", "estimate"] == pytest.approx(np.minimum(x, y).sum() / x.sum())
    # the linearised standard error describes the spread of the estimate over customer resamples
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(x), size=(2000, len(x)))
    boot = y[draws].sum(axis=1) / x[draws].sum(axis=1)
    assert np.std(boot, ddof=1) == pytest.approx(net["se"], rel=0.1)


def test_revenue_retention_from_sums_by_hand():
    # x: month-1 revenue, y: revenue 12 months later (0 for a customer who left). R = 22 / 40 = 0.55; residuals
    # y - R x = 6.5, -11, 4.5, squares 183.5; se = sqrt(n / (n - 1) * 183.5) / 40
    sums = ratio_sums(np.array([10.0, 20.0, 10.0]), np.array([12.0, 0.0, 10.0]))
    result = revenue_retention_from_sums(sums, as_of="2026-09-30", months=12)
    net, gross = result.loc["net_revenue_retention"], result.loc["gross_revenue_retention"]
    assert (net["estimate"], net["se"]) == pytest.approx((0.55, np.sqrt(1.5 * 183.5) / 40), rel=1e-12)
    # gross caps the 12 at its 10: R = 20 / 40, residuals 5, -10, 5, squares 150
    assert (gross["estimate"], gross["se"]) == pytest.approx((0.5, np.sqrt(1.5 * 150) / 40), rel=1e-12)
    assert (net["n"], net["revenue_base"], result.attrs["months"]) == (3, 40.0, 12)
    # revenue exactly proportional: the residuals vanish, and rounding never makes the variance negative
    flat = revenue_retention_from_sums(ratio_sums(np.array([0.1, 0.7, 0.3]), np.array([0.1, 0.7, 0.3]) * 1.1),
                                       as_of="2026-09-30", months=12)
    assert flat.loc["net_revenue_retention", "se"] == pytest.approx(0.0, abs=1e-7)
    assert flat["se"].notna().all()


def test_bad_input_raises():
    customers, revenue = revenue_world()
    with pytest.raises(ValueError, match="period must be one of"):
        cohort_table(customers, as_of="2025-04-30", period="week")
    with pytest.raises(ValueError, match="cohort must be one of"):
        cohort_table(customers, as_of="2025-04-30", cohort="decade")
    with pytest.raises(ValueError, match="lacks column"):
        cohort_table(customers.drop(columns="churned_at"), as_of="2025-04-30")
    with pytest.raises(ValueError, match=r"revenue table lacks column\(s\) \['amount'\]"):
        cohort_table(customers, as_of="2025-04-30", revenue=revenue.drop(columns="amount"))
    early = pd.concat([revenue, pd.DataFrame({"customer_id": ["A"], "month": [pd.Timestamp("2024-11-01")],
                                              "amount": [5.0]})])
    with pytest.raises(ValueError, match="billed before the customer's acquisition month"):
        cohort_table(customers, as_of="2025-04-30", revenue=early)


def test_heatmap_is_labelled_and_leaves_unreached_cells_blank():
    customers, revenue = revenue_world()
    table = cohort_table(customers, as_of="2025-04-30", cohort="month", period="month", revenue=revenue)
    ax = plot_cohort_heatmap(table)
    assert ax.get_xlabel() == "months since acquisition"
    assert ax.get_ylabel() == "acquisition cohort"
    assert "as of 2025-04-30" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["2024-12 (n=1)", "2025-01 (n=3)"]
    annotations = [t.get_text() for t in ax.texts]
    assert annotations == ["100", "100", "100", "100", "100", "100", "67", "67", "33"]
    shown = suppress_small(table, n_col="cohort_size", min_cell_size=2, value_cols=["net_revenue_retention"])
    ax = plot_cohort_heatmap(shown, value="net_revenue_retention")
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "2024-12 (small cohort)"
    assert "Net revenue retention" in ax.get_title()
    with pytest.raises(ValueError, match="lacks column"):
        plot_cohort_heatmap(table.drop(columns="cohort_size"))


def test_cohort_staircase_feeds_the_sbg_model():
    world = simulate(n_customers=1500, seed=7)
    table = cohort_table(world.customers, as_of=world.as_of, cohort="quarter", period="quarter")
    staircase = table.pivot(index="cohort", columns="period", values="active")
    model = ShiftedBetaGeometric().fit(staircase)
    # cohorts seen only at period 0 carry no information; every other customer is in the fit
    seen = table.groupby("cohort")["active"].count() > 1
    assert model.n_customers_ == table.groupby("cohort")["cohort_size"].first()[seen].sum()
    # each cohort's survivors at its last reported quarter are censored there
    last = staircase.apply(lambda row: row.dropna().iloc[-1], axis=1)[seen]
    assert model.n_customers_ - model.n_churned_ == last.sum()
    assert model.converged_ and 0 < model.alpha_ and 0 < model.beta_


def test_retention_over_time_equals_kaplan_meier_at_each_date_and_pairs_the_bootstrap():
    world = simulate(n_customers=3000, seed=8)
    dates = ["2025-09-30", "2026-06-30", "2026-09-30"]
    table = retention_over_time(world.customers, as_of_dates=dates, months=12, n_resamples=300)
    for date, row in zip(dates, table.itertuples(), strict=True):
        frame = tenure_frame(world.customers, as_of=date)
        kmf = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
        assert row.estimate == pytest.approx(float(kmf.survival_function_at_times(12).iloc[0]), abs=1e-12)
        assert row.n == len(frame) and row.ci_low < row.estimate < row.ci_high
    last = table.iloc[-1]
    assert (last["change"], last["change_ci_low"], last["change_ci_high"]) == (0.0, 0.0, 0.0)
    first = table.iloc[0]
    assert first["change"] == pytest.approx(last["estimate"] - first["estimate"])
    assert first["change_ci_low"] <= first["change"] <= first["change_ci_high"]
    # the two dates share most customers: the paired interval is narrower than treating them as independent
    independent = np.hypot(first["ci_high"] - first["ci_low"], last["ci_high"] - last["ci_low"])
    assert first["change_ci_high"] - first["change_ci_low"] < independent
