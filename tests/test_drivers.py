"""Key-driver analysis: dominance weights, robust regression, driver frame, recovery of ground truth."""

from __future__ import annotations

import os
from itertools import combinations
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from cxlab import synth
from cxlab.drivers import (
    asked_together,
    available_outcome,
    driver_frame,
    general_dominance,
    key_drivers,
    latest_before,
    pairwise_covariance,
    totals_before,
)

matplotlib.use("Agg")


def _correlated_problem(n=400, seed=0):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = pd.DataFrame(
        {
            "a": common + rng.normal(size=n),
            "b": 0.7 * common + rng.normal(size=n),
            "c": rng.normal(size=n),
            "d": 0.5 * common + rng.normal(size=n),
        }
    )
    x["y"] = 1.0 * x["a"] + 0.6 * x["b"] + 0.3 * x["c"] + 0.1 * x["d"] + rng.normal(scale=1.5, size=n)
    return x


def test_general_dominance_matches_brute_force_refits():
    df = _correlated_problem()
    drivers = ["a", "b", "c", "d"]
    # Brute force: R² of every subset by refitting OLS with statsmodels, then Shapley averaging.
    r2 = {(): 0.0}
    for k in range(1, 5):
        for subset in combinations(drivers, k):
            r2[subset] = sm.OLS(df["y"], sm.add_constant(df[list(subset)])).fit().rsquared
    p = len(drivers)
    expected = {}
    for d in drivers:
        others = [o for o in drivers if o != d]
        total = 0.0
        for k in range(p):
            gains = [r2[tuple(sorted((*s, d), key=drivers.index))] - r2[s] for s in combinations(others, k)]
            total += np.mean(gains) / p
        expected[d] = total
    result = key_drivers(df, outcome="y", drivers=drivers)
    got = result.summary.set_index("driver")["importance"]
    for d in drivers:
        assert got[d] == pytest.approx(expected[d], rel=1e-9, abs=1e-12)
    full = sm.OLS(df["y"], sm.add_constant(df[drivers])).fit()
    assert result.r2_ == pytest.approx(full.rsquared, rel=1e-10)
    assert result.summary["importance_share"].sum() == pytest.approx(100.0)


def test_orthogonal_drivers_share_equals_squared_standardized_coefficient():
    # Two exactly orthogonal, centred drivers: each general dominance weight is the squared
    # standardized coefficient (= squared correlation with the outcome).
    n = 8
    x1 = np.array([1, -1, 1, -1, 1, -1, 1, -1], dtype=float)
    x2 = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)
    assert x1 @ x2 == 0
    noise = np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, -0.2])
    y = 2.0 * x1 + 1.0 * x2 + noise
    df = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    result = key_drivers(df, outcome="y")
    fit = sm.OLS(y, sm.add_constant(np.column_stack([x1, x2]))).fit()
    std_beta = fit.params[1:] * np.array([x1.std(), x2.std()]) / y.std()
    got = result.summary.set_index("driver")["importance"]
    assert got["x1"] == pytest.approx(std_beta[0] ** 2, rel=1e-10)
    assert got["x2"] == pytest.approx(std_beta[1] ** 2, rel=1e-10)
    assert len(y) == n


def test_general_dominance_docstring_values_by_hand():
    # Uncorrelated drivers with r = 0.3 and 0.4: weights are r² = 0.09 and 0.16.
    c = np.array([[1.0, 0.3, 0.4], [0.3, 1.0, 0.0], [0.4, 0.0, 1.0]])
    np.testing.assert_allclose(general_dominance(c), [0.09, 0.16], atol=1e-12)


def test_ols_coefficients_and_hc3_errors_match_statsmodels():
    df = _correlated_problem(seed=1)
    result = key_drivers(df, outcome="y", drivers=["a", "b", "c", "d"], level=0.9)
    ref = sm.OLS(df["y"], sm.add_constant(df[["a", "b", "c", "d"]])).fit(cov_type="HC3")
    table = result.summary.set_index("driver")
    np.testing.assert_allclose(table.loc[["a", "b", "c", "d"], "coefficient"], ref.params[1:], rtol=1e-10)
    np.testing.assert_allclose(table.loc[["a", "b", "c", "d"], "robust_se"], ref.bse[1:], rtol=1e-10)
    ci = ref.conf_int(alpha=0.1)
    np.testing.assert_allclose(table.loc[["a", "b", "c", "d"], "ci_low"], ci.iloc[1:, 0], rtol=1e-10)
    assert result.outcome_kind_ == "continuous"
    assert result.n_ == len(df)
    assert table.loc["a", "rank"] == 1


def test_binary_outcome_recovers_known_logistic_ranking():
    rng = np.random.default_rng(0)
    n = 6000
    weights = {"seat": 1.2, "wifi": 0.8, "food": 0.4, "gate": 0.1}
    x = pd.DataFrame({k: rng.integers(1, 6, size=n).astype(float) for k in weights})
    x["wifi"] = np.clip(x["wifi"] + rng.integers(-1, 2, size=n) * (x["seat"] > 3), 1, 5)  # correlated
    eta = sum(w * (x[k] - 3) for k, w in weights.items())
    x["satisfied"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(bool)
    result = key_drivers(x, outcome="satisfied")
    assert result.outcome_kind_ == "binary"
    assert "linear probability" in result.importance_basis_
    assert result.summary["driver"].tolist() == list(weights)
    table = result.summary.set_index("driver")
    ref = sm.Logit(x["satisfied"].astype(float), sm.add_constant(x[list(weights)])).fit(
        disp=0, cov_type="HC0"
    )
    np.testing.assert_allclose(table.loc[list(weights), "coefficient"], ref.params[1:], rtol=1e-6)
    for k, w in weights.items():
        assert table.loc[k, "ci_low"] < w < table.loc[k, "ci_high"]


def test_ordinal_and_rating_outcomes():
    rng = np.random.default_rng(3)
    n = 2000
    x = pd.DataFrame({"staff": rng.normal(size=n), "wait": rng.normal(size=n)})
    latent = 1.0 * x["staff"] + 0.4 * x["wait"] + rng.logistic(size=n)
    x["rating"] = np.digitize(latent, [-2, -0.5, 0.5, 2]) + 1  # 1-5
    ordinal = key_drivers(x, outcome="rating", outcome_kind="ordinal")
    continuous = key_drivers(x, outcome="rating")
    assert continuous.outcome_kind_ == "continuous"
    assert ordinal.summary["driver"].tolist() == ["staff", "wait"]
    table = ordinal.summary.set_index("driver")
    assert table.loc["staff", "ci_low"] < 1.0 < table.loc["staff", "ci_high"]
    assert table.loc["wait", "ci_low"] < 0.4 < table.loc["wait", "ci_high"]
    assert ordinal.r2_ == pytest.approx(continuous.r2_)


def test_missing_values_dropped_drivers_and_errors():
    df = _correlated_problem(n=200, seed=2)
    df["constant"] = 3.0
    df["empty"] = np.nan
    df.loc[df.index[:50], "c"] = np.nan
    before = df.copy()
    imputed = key_drivers(df, outcome="y", drivers=["a", "b", "c", "constant", "empty"])
    assert imputed.dropped_ == {"constant": "constant", "empty": "all values missing"}
    assert imputed.n_ == 200
    assert imputed.summary.set_index("driver").loc["c", "n"] == 150
    assert imputed.summary.set_index("driver").loc["c", "mean_performance"] == pytest.approx(df["c"].mean())
    dropped = key_drivers(df, outcome="y", drivers=["a", "b", "c"], missing="drop")
    assert dropped.n_ == 150
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(ValueError, match="nope"):
        key_drivers(df, outcome="nope")
    with pytest.raises(ValueError, match="missing must be"):
        key_drivers(df, outcome="y", missing="zero")
    with pytest.raises(ValueError, match="binary outcome must be coded 0/1"):
        key_drivers(df, outcome="y", drivers=["a"], outcome_kind="binary")
    with pytest.raises(ValueError, match="no usable driver"):
        key_drivers(df, outcome="y", drivers=["constant", "empty"])


def test_importance_performance_plot_is_labelled():
    df = _correlated_problem(n=200)
    result = key_drivers(df, outcome="y", performance_label="Mean CSAT (1-5)")
    ax = result.plot_importance_performance()
    assert ax.get_xlabel() == "Mean CSAT (1-5)"
    assert "%" in ax.get_ylabel()
    assert "importance vs performance" in ax.get_title()
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c", "d"]
    assert "<table" in result._repr_html_()


def _survey_rows(rows):
    return pd.DataFrame(
        rows, columns=["invitation_id", "customer_id", "touchpoint", "responded_at", "csat", "nps"]
    ).assign(responded_at=lambda d: pd.to_datetime(d["responded_at"]))


def test_driver_frame_uses_only_the_window_before_each_answer():
    s = _survey_rows(
        [
            ("i1", "c1", "support", "2025-01-01", 1.0, None),  # outside 180 days of r2, inside r1
            ("i2", "c1", "support", "2025-03-01", 3.0, None),
            ("i3", "c1", "invoicing", "2025-03-05", 5.0, None),
            ("r1", "c1", "relationship", "2025-03-05", None, 8.0),  # same day as i3: i3 is not before it
            ("i4", "c1", "support", "2025-06-01", 5.0, None),  # after r1
            ("r2", "c1", "relationship", "2025-07-15", None, 4.0),
            ("i5", "c2", "support", "2025-02-01", 2.0, None),
            ("r3", "c2", "relationship", "2025-02-01", None, 10.0),  # only same-time answer: none before
            ("r4", "c2", "relationship", "2026-02-01", None, 7.0),  # after as_of
            ("x1", "c2", "invoicing", None, None, None),  # not answered
        ]
    )
    out = driver_frame(s, as_of="2025-12-31", window_days=180).set_index("invitation_id")
    assert list(out.index) == ["r3", "r1", "r2"]
    assert out.loc["r1", "support"] == pytest.approx(2.0)  # mean of 1 and 3
    assert np.isnan(out.loc["r1", "invoicing"])
    # r2 window [2025-01-16, 2025-07-15): support 3 and 5, invoicing 5
    assert out.loc["r2", "support"] == pytest.approx(4.0)
    assert out.loc["r2", "invoicing"] == pytest.approx(5.0)
    assert np.isnan(out.loc["r3", "support"])
    assert out.loc["r2", "nps"] == 4.0
    assert list(out.columns[-2:]) == ["support", "invoicing"]  # schema touchpoint order


def test_outcome_choice_and_same_questionnaire_detection():
    wide = _survey_rows(
        [
            ("a1", "c1", "seat", "2024-12-31", 4.0, None),
            ("a2", "c1", "relationship", "2024-12-31", None, None),
            ("b1", "c2", "seat", "2024-12-31", 2.0, None),
            ("b2", "c2", "relationship", "2024-12-31", None, None),
        ]
    ).assign(satisfied=[None, 1.0, None, 0.0])
    assert available_outcome(wide) == "satisfied"
    assert asked_together(wide, outcome="satisfied")
    strict = driver_frame(wide, as_of="2024-12-31", outcome="satisfied")
    assert strict["seat"].isna().all()  # same moment: not "before"
    together = driver_frame(wide, as_of="2024-12-31", outcome="satisfied", same_questionnaire=True)
    assert together.set_index("invitation_id")["seat"].to_dict() == {"a2": 4.0, "b2": 2.0}
    longitudinal = _survey_rows(
        [
            ("i1", "c1", "support", "2025-01-01", 3.0, None),
            ("r1", "c1", "relationship", "2025-02-01", None, 9.0),
        ]
    )
    assert available_outcome(longitudinal) == "nps"
    assert not asked_together(longitudinal, outcome="nps")


def test_driver_frame_rejects_missing_columns():
    with pytest.raises(ValueError, match="csat"):
        driver_frame(pd.DataFrame({"invitation_id": []}), as_of="2025-01-01")


def test_pairwise_on_complete_data_equals_ols_with_bootstrap_errors_near_hc3():
    df = _correlated_problem(n=1500, seed=4)
    drivers = ["a", "b", "c", "d"]
    pairwise = key_drivers(df, outcome="y", drivers=drivers, missing="pairwise", n_resamples=400)
    ols = key_drivers(df, outcome="y", drivers=drivers)
    a, b = pairwise.summary.set_index("driver"), ols.summary.set_index("driver")
    np.testing.assert_allclose(a.loc[drivers, "coefficient"], b.loc[drivers, "coefficient"], rtol=1e-9)
    np.testing.assert_allclose(a.loc[drivers, "importance"], b.loc[drivers, "importance"], rtol=1e-9)
    # 400 bootstrap resamples estimate an SE to about +-7% (1/sqrt(2*400) = 3.5% per SD).
    np.testing.assert_allclose(a.loc[drivers, "robust_se"], b.loc[drivers, "robust_se"], rtol=0.15)
    assert pairwise.model_ is None and "bootstrap" in pairwise.cov_type_
    with pytest.raises(ValueError, match="pairwise"):
        key_drivers(
            df.assign(flag=(df["y"] > 0).astype(int)), outcome="flag", drivers=drivers, missing="pairwise"
        )


def test_pairwise_covariance_matches_pandas_and_repeated_rows():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60, 4))
    values[rng.random((60, 4)) < 0.3] = np.nan
    cov, counts = pairwise_covariance(values)
    np.testing.assert_allclose(cov, pd.DataFrame(values).cov().to_numpy(), rtol=1e-12)
    assert counts[0, 1] == np.sum(~np.isnan(values[:, 0]) & ~np.isnan(values[:, 1]))
    repeat = rng.integers(0, 3, size=60)
    weighted, _ = pairwise_covariance(values, repeat)
    np.testing.assert_allclose(
        weighted, pd.DataFrame(np.repeat(values, repeat, axis=0)).cov().to_numpy(), rtol=1e-12
    )


def test_bootstrap_of_pairwise_covariances_equals_the_covariance_of_each_resample(monkeypatch):
    # every resample at once, over blocks of rows: the covariance of each resample's rows, repeated as drawn
    from cxlab.drivers import importance

    monkeypatch.setattr(importance, "_ROW_BLOCK", 70)  # several blocks, the last one short
    rng = np.random.default_rng(1)
    values = rng.normal(size=(300, 4))
    values[rng.random((300, 4)) < 0.3] = np.nan
    groups = rng.integers(0, 120, 300)  # customers answering several times: drawn together
    got = importance._bootstrap_pairwise_covariances(values, groups, 70, seed=3)
    weights = np.concatenate(list(importance._resample_weights(groups, 70, seed=3)))
    assert got.shape == (70, 4, 4) and len(weights) == 70
    for resample, drawn in zip(got, weights, strict=True):
        repeated = pd.DataFrame(np.repeat(values, drawn.astype(int), axis=0)).cov().to_numpy()
        np.testing.assert_allclose(resample, repeated, rtol=1e-10)


def test_totals_before_excludes_the_query_time_and_the_window_edge():
    ev = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "at": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-01-20", "2025-01-05"]),
            "x": [1.0, np.nan, 4.0, 100.0],
        }
    )
    q = pd.DataFrame(
        {"customer_id": ["a", "a", "c"], "at": pd.to_datetime(["2025-01-20", "2025-01-21", "2025-01-21"])}
    )
    out = totals_before(ev, q, event_time="at", query_time="at", value_cols=["x"], window_days=10)
    # [2025-01-10, 2025-01-20): only the missing value; [2025-01-11, 2025-01-21): the 4.
    assert out["x_n"].tolist() == [0.0, 1.0, 0.0]
    assert out["x_sum"].tolist() == [0.0, 4.0, 0.0]
    all_before = totals_before(ev, q, event_time="at", query_time="at", value_cols=["x"])
    assert all_before["x_sum"].tolist() == [1.0, 5.0, 0.0]


@pytest.mark.parametrize("window_days, include_same_time", [(None, False), (None, True), (3, False), (3, True)])
def test_totals_before_equal_a_direct_count_per_query(window_days, include_same_time):
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2025-01-01")
    ev = pd.DataFrame({"customer_id": rng.choice(["a", "b", "c", "d"], 400),
                       "at": start + pd.to_timedelta(rng.integers(0, 40, 400), unit="D"),  # many ties
                       "x": np.where(rng.random(400) < 0.2, np.nan, rng.normal(size=400)),
                       "y": rng.integers(0, 5, 400).astype(float)})
    q = pd.DataFrame({"customer_id": rng.choice(["a", "b", "c", "d", "e"], 300),
                      "at": start + pd.to_timedelta(rng.integers(-2, 45, 300), unit="D")})
    out = totals_before(ev, q, event_time="at", query_time="at", value_cols=["x", "y"], window_days=window_days,
                        include_same_time=include_same_time)
    same = q["customer_id"].to_numpy()[:, None] == ev["customer_id"].to_numpy()[None, :]
    t_q, t_e = q["at"].to_numpy()[:, None], ev["at"].to_numpy()[None, :]
    inside = same & ((t_e <= t_q) if include_same_time else (t_e < t_q))
    if window_days is not None:
        inside &= t_e >= t_q - np.timedelta64(window_days, "D")
    for col in ("x", "y"):
        value = ev[col].to_numpy()[None, :]
        np.testing.assert_allclose(out[f"{col}_sum"], np.where(inside, np.nan_to_num(value), 0).sum(axis=1),
                                   atol=1e-12)
        np.testing.assert_array_equal(out[f"{col}_n"], (inside & ~np.isnan(value)).sum(axis=1))
    # a missing key matches the events with a missing key, as a merge on the key would
    missing = totals_before(ev.assign(customer_id=ev["customer_id"].where(ev["customer_id"] != "d")),
                            q.assign(customer_id=q["customer_id"].where(q["customer_id"] != "d")),
                            event_time="at", query_time="at", value_cols=["x", "y"], window_days=window_days,
                            include_same_time=include_same_time)
    pd.testing.assert_frame_equal(missing, out)
    none = totals_before(ev.iloc[:0], q, event_time="at", query_time="at", value_cols=["x"])
    assert (none.to_numpy() == 0).all() and none.index.equals(q.index)


def test_latest_before_equals_merge_asof_with_ties():
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2025-01-01")
    ev = pd.DataFrame({"customer_id": rng.choice(["a", "b", "c"], 300),
                       "at": start + pd.to_timedelta(rng.integers(0, 30, 300), unit="D"),  # many ties
                       "x": rng.normal(size=300)})
    q = pd.DataFrame({"customer_id": rng.choice(["a", "b", "c", "d"], 200),
                      "at": start + pd.to_timedelta(rng.integers(-1, 33, 200), unit="D")})
    found = latest_before(ev, q, event_time="at", query_time="at", value_col="x")
    expected = pd.merge_asof(q.assign(row=np.arange(len(q))).sort_values("at"), ev.sort_values("at", kind="stable"),
                             on="at", by="customer_id", allow_exact_matches=False).sort_values("row")["x"]
    np.testing.assert_array_equal(found, expected.to_numpy())
    assert np.isnan(latest_before(ev.iloc[:0], q, event_time="at", query_time="at", value_col="x")).all()


@pytest.fixture(scope="module")
def world():
    return synth.simulate(n_customers=8000, seed=3)


def test_recovers_the_simulated_driver_ranking(world):
    truth = world.truth
    frame = driver_frame(world.surveys, as_of=world.as_of)
    result = key_drivers(
        frame,
        outcome="nps",
        drivers=list(truth["driver_weights"]),
        missing="pairwise",
        cluster_col="customer_id",
        n_resamples=100,
        performance_label="Mean CSAT (1-5)",
    )
    ranking = result.summary["driver"].tolist()
    assert ranking[0] == truth["driver_ranking"][0]
    importance = result.summary.set_index("driver")["importance"]
    weights = pd.Series(truth["driver_weights"])
    rho = stats.spearmanr(importance[weights.index], weights).statistic
    # With 7 drivers one swap of neighbours gives rho = 0.964 and two give 0.929; 0.9 allows at most
    # two neighbour swaps among the closely weighted lower drivers (over seeds 0-5 and the demo seed
    # at 8,000 customers the observed rho was >= 0.964; at 6,000 customers seed 1 gives 0.857).
    assert rho >= 0.9
    assert (result.summary["coefficient"] > 0).all()
    assert result.summary["importance_share"].sum() == pytest.approx(100.0)
    # Mean imputation, the simpler rule, still puts the strongest driver first.
    imputed = key_drivers(
        frame, outcome="nps", drivers=list(truth["driver_weights"]), cluster_col="customer_id"
    )
    assert imputed.summary["driver"].iloc[0] == truth["driver_ranking"][0]
    assert imputed.cov_type_ == "cluster-robust by customer_id"


SHARED = Path(
    os.environ.get(
        "CXLAB_SHARED_DATASETS", Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    )
)


@pytest.mark.slow
def test_airline_binary_outcome_ranks_the_14_touchpoints():
    from cxlab.datasets.airline import AIRLINE_FILE, TOUCHPOINTS, load_airline

    path = SHARED / AIRLINE_FILE
    if not path.is_file():
        pytest.skip(f"public data set {AIRLINE_FILE} not found in {SHARED} (set CXLAB_SHARED_DATASETS)")
    source = load_airline(path)
    frame = driver_frame(source.surveys, as_of=source.as_of, outcome="satisfied", same_questionnaire=True)
    result = key_drivers(frame, outcome="satisfied", drivers=frame.attrs["touchpoints"])
    assert result.outcome_kind_ == "binary" and result.n_ == 129_880
    # Independently from the raw file: 0 = not applicable -> missing -> the column mean, then
    # statsmodels Logit (HC0) and the R² of the linear probability model.
    raw = pd.read_csv(path)
    x = raw[list(TOUCHPOINTS)].rename(columns=TOUCHPOINTS).replace(0, np.nan)
    x = x.fillna(x.mean())[frame.attrs["touchpoints"]]
    y = (raw["Satisfaction"] == "Satisfied").astype(float)
    logit = sm.Logit(y, sm.add_constant(x)).fit(disp=0, cov_type="HC0")
    table = result.summary.set_index("driver")
    np.testing.assert_allclose(table.loc[x.columns, "coefficient"], logit.params[x.columns], rtol=1e-6)
    np.testing.assert_allclose(table.loc[x.columns, "robust_se"], logit.bse[x.columns], rtol=1e-5)
    assert result.r2_ == pytest.approx(sm.OLS(y, sm.add_constant(x)).fit().rsquared, rel=1e-9)
    assert len(result.summary) == 14 and result.summary["importance_share"].sum() == pytest.approx(100)
    assert result.summary["driver"].iloc[0] == "online_boarding"
