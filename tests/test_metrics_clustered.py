"""Customer-clustered intervals and false-coverage-rate adjusted comparisons in cxlab.metrics.

References: the cluster-robust variance of a mean is computed independently by statsmodels
(OLS of the per-answer values on a constant, ``cov_type="cluster"``); hand calculations use the
formulas of the cxlab.metrics module docstring; coverage is checked by simulation against the
known truth of a random-effects world (slow tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxlab import metrics


def _cluster_se(y: np.ndarray, groups: np.ndarray) -> float:
    """Standard error of the mean of y clustered by groups, from statsmodels."""
    fit = sm.OLS(np.asarray(y, float), np.ones(len(y))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.bse[0])


def _world(n_customers: int, rng: np.random.Generator, sd_customer: float = 1.2, sd_answer: float = 1.5,
           shift: float = 0.0):
    """Customers answering 1 + Poisson(3) times with a customer random effect on a latent scale (mean ``shift``)."""
    visits = 1 + rng.poisson(3, n_customers)
    customer = np.repeat(np.arange(n_customers), visits)
    effect = rng.normal(0, sd_customer, n_customers)[customer]
    latent = shift + effect + rng.normal(0, sd_answer, len(customer))
    return pd.DataFrame({"customer_id": customer, "nps": np.clip(np.round(7 + latent), 0, 10),
                         "csat": np.clip(np.round(3.6 + latent / 1.5), 1, 5),
                         "ces": np.clip(np.round(2.5 + latent / 1.5), 1, 7)})


@pytest.fixture(scope="module")
def answers():
    return _world(250, np.random.default_rng(0))


def test_clustered_standard_errors_equal_statsmodels_cluster_robust(answers):
    ids = answers["customer_id"].to_numpy()
    scores = answers["nps"]
    est = metrics.nps(scores, clusters=ids, method="wald")
    net = (scores >= 9).astype(float) - (scores <= 6)
    # shares and NPS: the clustered variance times (n - 1) / n (deff is taken against s**2 / n)
    shrink = np.sqrt((est.n - 1) / est.n)
    assert est.se == pytest.approx(100 * _cluster_se(net, ids) * shrink, rel=1e-10)
    assert est.n_clusters == 250 and est.deff > 1.5
    naive = metrics.nps(scores, method="wald")
    assert est.deff == pytest.approx((est.se / naive.se) ** 2)
    c = metrics.csat(answers["csat"], clusters=ids)
    assert c.se == pytest.approx(100 * _cluster_se(answers["csat"] >= 4, ids) * shrink, rel=1e-10)
    assert c.mean_se == pytest.approx(_cluster_se(answers["csat"], ids), rel=1e-10)
    # t interval of the mean with (customers - 1) degrees of freedom
    t = stats.t.ppf(0.975, 249)
    assert (c.mean_ci_low, c.mean_ci_high) == pytest.approx((c.mean - t * c.mean_se, c.mean + t * c.mean_se))
    e = metrics.ces(answers["ces"], clusters=ids)
    assert e.se == pytest.approx(_cluster_se(answers["ces"], ids), rel=1e-10)
    p = e.low_effort_share / 100
    assert e.low_effort_deff == pytest.approx(_cluster_se(answers["ces"] <= 2, ids) ** 2 / (p * (1 - p) / (e.n - 1)))


def test_adjusted_wald_and_wilson_use_the_effective_counts_by_hand():
    # customers 1 and 2 each answer twice the same way, customer 3 once promoter once detractor
    scores, ids = [10, 10, 3, 3, 9, 6], [1, 1, 2, 2, 3, 3]
    est = metrics.nps(scores, clusters=ids)
    # net +1/0/-1: (1, 1, -1, -1, 1, -1), mean 0; customer sums 2, -2, 0
    # clustered variance 3/2 * 8 / 36 = 1/3, s**2 / n = (6 / 5) / 6 = 1/5: design effect 5/3
    assert est.deff == pytest.approx(5 / 3)
    # adjusted Wald on effective counts 1.8 / 0 / 1.8 (n = 3.6) plus 0.75 / 1.5 / 0.75
    se = np.sqrt((2.55 / 6.6 + 2.55 / 6.6) / 6.6)
    z = stats.norm.ppf(0.975)
    assert (est.se, est.ci_low, est.ci_high) == pytest.approx((100 * se, -100 * z * se, 100 * z * se))
    # Wilson interval of the share on n / deff
    c = metrics.csat([5, 5, 1, 1, 4, 2], clusters=ids)
    low, high = metrics.wilson_interval(1.8, 3.6)
    assert c.deff == pytest.approx(5 / 3)
    assert (c.ci_low, c.ci_high) == pytest.approx((100 * low, 100 * high))


def test_design_effect_floor_single_answers_and_missing_ids():
    # every customer answers once: design effects exactly 1, intervals the independent ones
    scores = np.array([5, 4, 4, 2, 1, 5, 3, 4], float)
    single = metrics.csat(scores, clusters=np.arange(8))
    assert (single.deff, single.mean_deff) == pytest.approx((1.0, 1.0))
    assert (single.ci_low, single.mean_ci_high) == pytest.approx((metrics.csat(scores).ci_low,
                                                                  metrics.csat(scores).mean_ci_high))
    # one promoter and one detractor per customer: negative correlation, floored at 1
    est = metrics.nps([10, 0] * 20, clusters=np.repeat(np.arange(20), 2))
    assert est.deff == 1.0
    assert (est.ci_low, est.ci_high) == pytest.approx((metrics.nps([10, 0] * 20).ci_low,
                                                       metrics.nps([10, 0] * 20).ci_high))
    # missing scores drop their ids; a missing id is a customer of its own
    with_gaps = metrics.nps([10, np.nan, 3, 9], clusters=["a", "b", None, None])
    assert (with_gaps.n, with_gaps.n_clusters) == (3, 3)
    with pytest.raises(ValueError, match="one customer id per NPS score"):
        metrics.nps([10, 9], clusters=[1])
    # a single customer: no variance estimate, no interval
    one = metrics.nps([10, 3, 9], clusters=[7, 7, 7])
    assert np.isnan(one.ci_low) and one.n == 3


def test_grouped_tables_equal_single_estimates_and_record_the_variance(answers):
    df = answers.assign(segment=np.where(answers["customer_id"] % 3 == 0, "smb", "enterprise"))
    for func, single, col in ((metrics.nps_by, metrics.nps, "nps"), (metrics.csat_by, metrics.csat, "csat"),
                              (metrics.ces_by, metrics.ces, "ces")):
        table = func(df, "segment")
        assert table.attrs["variance"].startswith("clustered by customer_id")
        for row in table.itertuples():
            rows = df[df["segment"] == row.segment]
            est = single(rows[col], clusters=rows["customer_id"])
            assert (getattr(row, col), row.ci_low, row.ci_high, row.deff, row.n_clusters) == pytest.approx(
                (est.value, est.ci_low, est.ci_high, est.deff, est.n_clusters))
        naive = func(df, "segment", cluster_col=None)
        assert naive.attrs["variance"].startswith("naive") and (naive["deff"] == 1).all()
        rows = df[df["segment"] == "smb"]
        assert naive.loc[naive["segment"] == "smb", "ci_low"].iloc[0] == pytest.approx(single(rows[col]).ci_low)
    # the default column may be absent (independent answers); a named one must exist
    no_ids = df.drop(columns="customer_id")
    assert metrics.nps_by(no_ids, "segment").attrs["variance"].startswith("naive")
    with pytest.raises(ValueError, match="cluster_col 'account'"):
        metrics.nps_by(df, "segment", cluster_col="account")


def test_compare_by_reference_groups_carry_their_own_design_effects(answers):
    df = answers.assign(segment=np.array(["a", "b", "c"])[answers["customer_id"] % 3],
                        quarter=np.where(np.arange(len(answers)) % 2, "2026Q2", "2026Q1"))
    rest = metrics.compare_by(df, "segment", kind="csat")
    for row in rest.itertuples():
        mine, others = df[df["segment"] == row.segment], df[df["segment"] != row.segment]
        d = metrics.compare_csat(metrics.csat(mine["csat"], clusters=mine["customer_id"]),
                                 metrics.csat(others["csat"], clusters=others["customer_id"]))
        assert (row.difference, row.ci_low, row.ci_high, row.p_value) == pytest.approx(
            (d.estimate, d.ci_low, d.ci_high, d.p_value))
        assert row.deff_b == pytest.approx(metrics.csat(others["csat"], clusters=others["customer_id"]).deff)
    previous = metrics.compare_by(df, "quarter", within="segment", versus="previous", kind="ces")
    row = previous[previous["segment"] == "b"].iloc[0]
    now = df[(df["segment"] == "b") & (df["quarter"] == "2026Q2")]
    before = df[(df["segment"] == "b") & (df["quarter"] == "2026Q1")]
    d = metrics.compare_ces(metrics.ces(now["ces"], clusters=now["customer_id"]),
                            metrics.ces(before["ces"], clusters=before["customer_id"]))
    assert (row["difference"], row["ci_low"], row["p_value"], row["deff_b"]) == pytest.approx(
        (d.estimate, d.ci_low, d.p_value, metrics.ces(before["ces"], clusters=before["customer_id"]).deff))


def _family(rng: np.random.Generator) -> pd.DataFrame:
    """Twelve regions, four of them with clearly higher scores, answered by repeat customers."""
    frames = []
    for k in range(12):
        world = _world(120, rng, sd_customer=0.8)
        shift = 1.0 if k < 4 else 0.0
        world["nps"] = np.clip(world["nps"] + shift, 0, 10)
        world["csat"] = np.clip(world["csat"] + shift, 1, 5)
        world["ces"] = np.clip(world["ces"] - shift, 1, 7)
        frames.append(world.assign(region=f"r{k:02d}", customer_id=world["customer_id"] + 1000 * k))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("kind", "on"), [("nps", None), ("csat", "share"), ("ces", "mean"), ("ces", "share")])
def test_flagged_cells_get_fcr_intervals_that_exclude_zero(kind, on):
    df = _family(np.random.default_rng(1))
    table = metrics.compare_by(df, "region", kind=kind, on=on)
    m = int(table["p_value"].notna().sum())
    np.testing.assert_allclose(table["p_adjusted"], multipletests(table["p_value"], method="fdr_bh")[1])
    flagged = table[table["significant"]]
    r = len(flagged)
    assert r >= 3
    assert table.attrs["adjusted_level"] == pytest.approx(1 - r * 0.05 / m)
    assert ((flagged["adj_ci_low"] > 0) | (flagged["adj_ci_high"] < 0)).all()
    assert table.loc[~table["significant"], "adj_ci_low"].isna().all()
    # the adjusted interval is the same comparison at the adjusted level
    again = metrics.compare_by(df, "region", kind=kind, on=on, level=table.attrs["adjusted_level"])
    np.testing.assert_allclose(flagged["adj_ci_low"], again.loc[flagged.index, "ci_low"])
    # every test inverts its interval: the unadjusted interval excludes zero exactly when p < 5%
    excludes = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    assert (excludes == (table["p_value"] < 0.05)).all()
    assert f"{r} flagged comparisons" in table.attrs["note"] and "Benjamini & Yekutieli" in table.attrs["note"]


def test_fdr_selection_by_hand():
    out = metrics.fdr_selection([0.001, 0.02, np.nan, 0.04, 0.5], level=0.95)
    # BH on four p-values: 0.004, 0.04, 0.0533, 0.5 -> two selected; level 1 - 2 * 0.05 / 4
    np.testing.assert_allclose(out["p_adjusted"], [0.004, 0.04, np.nan, 0.04 * 4 / 3, 0.5])
    assert (out["m"], out["r"], out["adjusted_level"]) == (4, 2, pytest.approx(0.975))
    assert np.isnan(metrics.fdr_selection([0.3, 0.9])["adjusted_level"])


def _truth(kind: str, sd_customer: float = 1.2, sd_answer: float = 1.5) -> float:
    """Answer-level population value of the world of :func:`_world` (normal latent, rounding)."""
    sd = np.hypot(sd_customer, sd_answer)
    if kind == "nps":
        return 100 * (stats.norm.sf(8.5, 7, sd) - stats.norm.cdf(6.5, 7, sd))
    return 100 * stats.norm.sf(3.5, 3.6, sd / 1.5)  # CSAT share of 4-5


@pytest.mark.slow
def test_clustered_intervals_cover_and_naive_ones_do_not():
    """2,000 simulated surveys of 150 customers (about 600 answers, intra-customer correlation 0.39)."""
    rng = np.random.default_rng(0)
    truth = {"nps": _truth("nps"), "csat": _truth("csat")}
    hits = {(k, v): 0 for k in truth for v in ("naive", "clustered")}
    reps = 2000
    for _ in range(reps):
        world = _world(150, rng)
        ids = world["customer_id"]
        for clusters, variant in ((None, "naive"), (ids, "clustered")):
            est = metrics.nps(world["nps"], clusters=clusters)
            hits["nps", variant] += est.ci_low <= truth["nps"] <= est.ci_high
            est = metrics.csat(world["csat"], clusters=clusters)
            hits["csat", variant] += est.ci_low <= truth["csat"] <= est.ci_high
    coverage = {key: value / reps for key, value in hits.items()}
    for kind in truth:
        assert 0.93 <= coverage[kind, "clustered"] <= 0.97, coverage
        assert coverage[kind, "naive"] < 0.90, coverage


def test_bootstrap_resamples_are_stretched_by_the_design_effect(answers):
    naive = metrics.nps(answers["nps"], method="bootstrap", n_resamples=2000)
    clustered = metrics.nps(answers["nps"], clusters=answers["customer_id"], method="bootstrap", n_resamples=2000)
    # the same seeded resamples, moved away from the observed NPS by sqrt(deff)
    stretch = np.sqrt(clustered.deff)
    assert clustered.se == pytest.approx(stretch * naive.se)
    assert (clustered.ci_low, clustered.ci_high) == pytest.approx(
        (naive.value - stretch * (naive.value - naive.ci_low), naive.value + stretch * (naive.ci_high - naive.value)))


def test_share_test_agrees_with_newcombe_where_the_pooled_z_test_did_not():
    # 1 of 11 satisfied against 0 of 50: the pooled z-test gave p = 0.032 while Newcombe's 95% interval
    # (-1.2 to 37.7 points) includes zero, so such a cell could be flagged with an interval through zero.
    d = metrics.compare_csat([5] + [1] * 10, [1] * 50)
    assert (d.ci_low, d.ci_high) == pytest.approx((-1.24, 37.74), abs=0.01)
    assert d.p_value > 0.05


@pytest.mark.slow
def test_false_coverage_rate_of_the_adjusted_intervals_by_simulation():
    """500 families of 11 clustered NPS comparisons against a reference region, 3 of them truly different.

    Benjamini & Yekutieli (2005): the expected share of flagged comparisons whose adjusted interval
    misses the true difference stays at or below q = 5%.
    """
    rng = np.random.default_rng(0)
    shifts = np.array([0.0] * 9 + [0.8, 1.0, 1.2])  # region r00 is the reference
    sd = np.hypot(1.2, 1.5)
    truth = 100 * (stats.norm.sf(8.5, 7 + shifts, sd) - stats.norm.cdf(6.5, 7 + shifts, sd))
    truth = dict(zip([f"r{k:02d}" for k in range(12)], truth - truth[0], strict=True))
    false_adjusted, false_unadjusted, reps = [], [], 500
    for _ in range(reps):
        frames = []
        for k, shift in enumerate(shifts):
            world = _world(100, rng, shift=shift)
            frames.append(world.assign(region=f"r{k:02d}", customer_id=world["customer_id"] + 1000 * k))
        df = pd.concat(frames, ignore_index=True)
        table = metrics.compare_by(df, "region", versus="r00", kind="nps")
        flagged = table[table["significant"]]
        if len(flagged):
            target = flagged["region"].map(truth)
            false_adjusted.append(((target < flagged["adj_ci_low"]) | (target > flagged["adj_ci_high"])).mean())
            false_unadjusted.append(((target < flagged["ci_low"]) | (target > flagged["ci_high"])).mean())
        else:
            false_adjusted.append(0.0)
            false_unadjusted.append(0.0)
    assert np.mean(false_adjusted) <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    assert np.mean(false_adjusted) < np.mean(false_unadjusted)
