"""Kaplan-Meier on aggregated counts, its summaries, RMST standard error and log-rank tests."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test, pairwise_logrank_test
from lifelines.utils import restricted_mean_survival_time

from cxlab.survival import km_by, km_summary, logrank_table, plot_km, rmst, survival_at, survival_se
from cxlab.tenure import tenure_frame

matplotlib.use("Agg")


def _frame(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["SMB", "Mid-market", "Enterprise"], n, p=[0.5, 0.3, 0.2])
    rate = np.select([group == "SMB", group == "Mid-market"], [0.04, 0.03], 0.02)
    churn = np.ceil(rng.exponential(1 / rate)).astype(int)
    censor = rng.integers(0, 60, n)
    return pd.DataFrame({"tenure_months": np.minimum(churn, censor), "churned": (churn <= censor).astype(int),
                         "segment": group})


def test_km_on_counts_equals_lifelines_on_rows():
    frame = _frame()
    fitters = km_by(frame, "segment")
    assert list(fitters) == ["Enterprise", "Mid-market", "SMB"]
    for group, kmf in fitters.items():
        part = frame[frame["segment"] == group]
        raw = KaplanMeierFitter().fit(part["tenure_months"], part["churned"])
        np.testing.assert_allclose(kmf.survival_function_.to_numpy(), raw.survival_function_.to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(kmf.confidence_interval_.to_numpy(), raw.confidence_interval_.to_numpy(),
                                   rtol=1e-10)
        assert kmf.median_survival_time_ == raw.median_survival_time_
        assert kmf.event_table["at_risk"].iloc[0] == len(part)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 1)), min_size=1, max_size=60))
def test_km_on_counts_equals_rows_for_any_data(rows):
    frame = pd.DataFrame(rows, columns=["tenure_months", "churned"])
    frame.loc[frame["tenure_months"] == 0, "churned"] = 0
    kmf = km_by(frame)
    raw = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    np.testing.assert_allclose(kmf.survival_function_.to_numpy(), raw.survival_function_.to_numpy(), rtol=1e-12)


def test_km_by_hand():
    # 5 customers: churn in months 2, 2, 5; censored at 3 and 6.
    frame = pd.DataFrame({"tenure_months": [2, 2, 3, 5, 6], "churned": [1, 1, 0, 1, 0]})
    kmf = km_by(frame)
    s2 = 3 / 5
    s5 = s2 * (1 - 1 / 2)
    assert survival_at(kmf, 1)[0] == 1.0
    assert survival_at(kmf, 2)[0] == pytest.approx(s2)
    assert survival_at(kmf, 4)[0] == pytest.approx(s2)
    assert survival_at(kmf, 5)[0] == pytest.approx(s5)
    assert np.isnan(survival_at(kmf, 7)[0])  # nobody followed for 7 months
    # Greenwood variance at month 2, log-log interval
    var_log = 2 / (5 * 3)
    se_loglog = np.sqrt(var_log) / abs(np.log(s2))
    z = 1.959963984540054
    low, high = s2 ** np.exp(z * se_loglog), s2 ** np.exp(-z * se_loglog)
    assert survival_at(kmf, 2)[1:] == pytest.approx((low, high))


def test_rmst_and_its_greenwood_standard_error_by_hand():
    # churn at 1 and 2, censored at 2 and 4; tau = 3
    kmf = KaplanMeierFitter().fit([1, 2, 2, 4], [1, 1, 0, 0])
    estimate, se = rmst(kmf, 3)
    # S = 1 on [0,1), 3/4 on [1,2), 1/2 on [2,3)
    assert estimate == pytest.approx(1 + 0.75 + 0.5)
    area_after_1, area_after_2 = 0.75 + 0.5, 0.5
    variance = area_after_1**2 * 1 / (4 * 3) + area_after_2**2 * 1 / (3 * 2)
    assert se == pytest.approx(np.sqrt(variance))
    assert estimate == pytest.approx(restricted_mean_survival_time(kmf, t=3))
    assert rmst(kmf, 4)[0] == pytest.approx(restricted_mean_survival_time(kmf, t=4))
    assert np.isnan(rmst(kmf, 5)[0])


def test_rmst_standard_error_matches_the_spread_over_repeated_samples():
    rng = np.random.default_rng(0)
    estimates, ses = [], []
    for _ in range(300):
        churn = np.ceil(rng.exponential(30, 400)).astype(int)
        censor = rng.integers(10, 80, 400)
        estimate, se = rmst(KaplanMeierFitter().fit(np.minimum(churn, censor), churn <= censor), 36)
        estimates.append(estimate)
        ses.append(se)
    assert np.mean(ses) == pytest.approx(np.std(estimates, ddof=1), rel=0.12)


def test_summary_table_values_and_sentences():
    frame = _frame()
    fitters = km_by(frame, "segment")
    table = km_summary(fitters, times_months=(12, 24), rmst_months=36)
    assert set(table["measure"]) == {"median tenure", "survival", "rmst"}
    smb = table[table["group"] == "SMB"].set_index(["measure", "horizon_months"], drop=False)
    raw = KaplanMeierFitter().fit(frame.loc[frame["segment"] == "SMB", "tenure_months"],
                                  frame.loc[frame["segment"] == "SMB", "churned"])
    row = smb.loc[("survival", 12)]
    assert row["estimate"] == pytest.approx(float(raw.survival_function_at_times(12).iloc[0]))
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["sentence"].startswith(f"{row['estimate']:.0%} of 'SMB' customers stay more than 12 months")
    median = table[(table["group"] == "SMB") & (table["measure"] == "median tenure")].iloc[0]
    assert median["estimate"] == raw.median_survival_time_
    assert row["n"] == (frame["segment"] == "SMB").sum()
    assert row["events"] == frame.loc[frame["segment"] == "SMB", "churned"].sum()
    small = km_summary(fitters, min_cell_size=1000)
    enterprise = small[small["group"] == "Enterprise"]
    assert (frame["segment"] == "Enterprise").sum() < 1000
    assert enterprise["estimate"].isna().all() and enterprise["note"].str.startswith("suppressed").all()
    assert small.loc[small["group"] == "SMB", "estimate"].notna().all()


def test_all_censored_means_no_median_and_full_survival():
    frame = pd.DataFrame({"tenure_months": [3, 5, 12, 14, 20], "churned": 0})
    table = km_summary(km_by(frame), times_months=(12,), rmst_months=12).set_index("measure")
    assert np.isnan(table.loc["median tenure", "estimate"])
    assert table.loc["median tenure", "note"] == "not reached"
    assert "not reached" in table.loc["median tenure", "sentence"]
    assert table.loc["survival", "estimate"] == 1.0
    assert table.loc["rmst", "estimate"] == pytest.approx(12.0)
    assert table.loc["rmst", "se"] == 0.0


def test_churn_on_the_acquisition_day_counts_in_month_one():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "acquired_at": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-02-01", "2026-01-01"]),
        "churned_at": pd.to_datetime(["2024-01-10", None, "2024-05-01", None]),
    })
    frame = tenure_frame(customers, as_of="2025-01-01")  # d is acquired after the as-of date: left out
    assert list(frame["customer_id"]) == ["a", "b", "c"]
    kmf = km_by(frame)
    assert survival_at(kmf, 1)[0] == pytest.approx(2 / 3)
    assert kmf.event_table["at_risk"].iloc[0] == 3


def test_logrank_on_counts_equals_lifelines_on_rows():
    frame = _frame()
    table = logrank_table(frame, "segment")
    overall = multivariate_logrank_test(frame["tenure_months"], frame["segment"], frame["churned"])
    first = table.iloc[0]
    assert first["comparison"] == "overall" and first["df"] == 2
    assert first["test_statistic"] == pytest.approx(overall.test_statistic, rel=1e-9)
    assert first["p"] == pytest.approx(overall.p_value, rel=1e-6)
    pairs = pairwise_logrank_test(frame["tenure_months"], frame["segment"], frame["churned"]).summary
    for row in table[table["comparison"] == "pair"].itertuples():
        assert row.test_statistic == pytest.approx(pairs.loc[(row.group_a, row.group_b), "test_statistic"],
                                                   rel=1e-9)
    p = table.loc[table["comparison"] == "pair", "p"].to_numpy()
    order = np.argsort(p)
    holm = np.maximum.accumulate(np.minimum(1, p[order] * (len(p) - np.arange(len(p)))))
    np.testing.assert_allclose(table.loc[table["comparison"] == "pair", "p_holm"].to_numpy()[order], holm)
    assert "differs across segment groups" in first["sentence"]
    assert logrank_table(frame, "segment", group_label="segments").iloc[0]["sentence"].startswith(
        "Survival differs across segments (log-rank chi² = ")
    two = frame[frame["segment"] != "Enterprise"]
    pair = logrank_test(two.loc[two["segment"] == "SMB", "tenure_months"],
                        two.loc[two["segment"] != "SMB", "tenure_months"],
                        two.loc[two["segment"] == "SMB", "churned"], two.loc[two["segment"] != "SMB", "churned"])
    assert logrank_table(two, "segment").iloc[0]["test_statistic"] == pytest.approx(pair.test_statistic)
    assert logrank_table(frame, "segment", min_cell_size=10_000).empty


def test_bad_input_names_the_column():
    with pytest.raises(ValueError, match=r"\['tenure_months'\]"):
        km_by(pd.DataFrame({"churned": [1]}))
    with pytest.raises(ValueError, match="'churned' must be 0"):
        km_by(pd.DataFrame({"tenure_months": [1], "churned": [3]}))
    with pytest.raises(ValueError, match="no customers"):
        km_by(pd.DataFrame({"tenure_months": [], "churned": []}))


def test_plot_km_hides_small_groups():
    frame = _frame()
    ax = plot_km(km_by(frame, "segment"), min_cell_size=1000)
    assert ax.get_xlabel() == "Tenure (months)"
    assert ax.get_ylabel() == "Share of customers still active"
    assert ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any(label.startswith("Enterprise") for label in labels)
    assert ax.get_legend().get_title().get_text() == "1 group(s) under 1000 customers not shown"


def test_summary_takes_one_month_and_reports_greenwood_standard_errors():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"tenure_months": rng.integers(1, 30, 800), "churned": rng.integers(0, 2, 800)})
    kmf = km_by(frame)
    table = km_summary(kmf, times_months=12, rmst_months=None)
    survival = table[table["measure"] == "survival"].iloc[0]
    assert survival["horizon_months"] == 12
    # lifelines keeps the Greenwood sum of d / (Y (Y - d)) as _cumulative_sq_
    reference = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    expected = reference.survival_function_.loc[12].item() * np.sqrt(reference._cumulative_sq_.loc[12])
    assert survival["se"] == pytest.approx(expected, rel=1e-10)
    assert survival_se(kmf, 12) == pytest.approx(expected, rel=1e-10)
    assert np.isnan(survival_se(kmf, 40))  # nobody followed that long
    median = table[table["measure"] == "median tenure"].iloc[0]
    assert np.isnan(median["se"]) and median["ci_low"] <= median["estimate"] <= median["ci_high"]
