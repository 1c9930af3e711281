"""Tests for cxlab.metrics: hand calculations, independent libraries, coverage by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from cxlab import metrics
from cxlab.metrics import (
    ces,
    ces_by,
    compare_by,
    compare_ces,
    compare_csat,
    compare_nps,
    csat,
    csat_by,
    nps,
    nps_by,
    nps_from_counts,
)

Z95 = 1.959963984540054  # standard normal 97.5% quantile


def _scores(promoters: int, passives: int, detractors: int) -> np.ndarray:
    return np.array([10] * promoters + [8] * passives + [3] * detractors, dtype=float)


# --- NPS: hand calculations -------------------------------------------------------------------


def test_wald_nps_by_hand_half_third_sixth():
    # Example of the issue: 1/2 promoters, 1/3 passives, 1/6 detractors, n = 324.
    # NPS = 1/2 - 1/6 = 1/3 -> 33.3 points. Per-response variance (Rocks 2016, Wald):
    # p_P + p_D - (p_P - p_D)^2 = 1/2 + 1/6 - 1/9 = 5/9; SE = sqrt(5/9 / 324) = 0.041409 -> 4.1 points.
    est = nps(_scores(162, 108, 54), method="wald")
    se = math.sqrt((5 / 9) / 324)
    assert est.value == pytest.approx(100 / 3)
    assert est.se == pytest.approx(100 * se)
    assert round(est.se, 1) == 4.1
    assert est.ci_low == pytest.approx(100 * (1 / 3 - Z95 * se))  # 25.22
    assert est.ci_high == pytest.approx(100 * (1 / 3 + Z95 * se))  # 41.45
    assert (est.n, est.promoters, est.passives, est.detractors) == (324, 162, 108, 54)
    assert est.promoter_share == pytest.approx(50.0)
    assert est.passive_share == pytest.approx(100 / 3)
    assert est.detractor_share == pytest.approx(100 / 6)
    assert str(est) == "NPS 33.3 (95% CI 25.2 to 41.4), n = 324"


def test_adjusted_wald_nps_by_hand():
    # Adjusted Wald (Rocks 2016; MeasuringU, "Confidence intervals for Net Promoter Scores"):
    # n' = 324 + 3 = 327, promoters' = 162.75, detractors' = 54.75.
    # NPS' = (162.75 - 54.75) / 327 = 0.330275; variance' = (162.75 + 54.75) / 327 - NPS'^2 = 0.556057;
    # SE' = sqrt(0.556057 / 327) = 0.041237; interval 0.330275 -/+ 1.96 * 0.041237 = (0.2495, 0.4111).
    est = nps_from_counts(162, 108, 54, method="adjusted_wald")
    center = (162.75 - 54.75) / 327
    se = math.sqrt(((162.75 + 54.75) / 327 - center**2) / 327)
    assert center == pytest.approx(0.330275, abs=1e-6)
    assert se == pytest.approx(0.041237, abs=1e-6)
    assert est.value == pytest.approx(100 / 3)  # the reported value stays the observed NPS
    assert est.se == pytest.approx(100 * se)
    assert est.ci_low == pytest.approx(100 * (center - Z95 * se))
    assert est.ci_high == pytest.approx(100 * (center + Z95 * se))
    assert (round(est.ci_low, 1), round(est.ci_high, 1)) == (24.9, 41.1)


def test_adjusted_wald_differs_from_wald_most_in_small_extreme_samples():
    # All 10 answers promoters: Wald collapses to a zero-width interval at 100; the adjusted
    # interval (n' = 13, P' = 10.75, D' = 0.75, NPS' = 10/13) stays informative.
    wald = nps_from_counts(10, 0, 0, method="wald")
    adjusted = nps_from_counts(10, 0, 0, method="adjusted_wald")
    assert (wald.ci_low, wald.ci_high, wald.se) == (100.0, 100.0, 0.0)
    center = 10 / 13
    se = math.sqrt((11.5 / 13 - center**2) / 13)
    assert adjusted.ci_low == pytest.approx(100 * (center - Z95 * se))
    assert adjusted.ci_high == 100.0  # clipped at the top of the scale


def test_bootstrap_is_seeded_and_agrees_with_wald_at_moderate_n():
    a = nps_from_counts(162, 108, 54, method="bootstrap", seed=3)
    b = nps_from_counts(162, 108, 54, method="bootstrap", seed=3)
    wald = nps_from_counts(162, 108, 54, method="wald")
    assert a == b
    assert a.value == pytest.approx(wald.value)
    assert a.se == pytest.approx(wald.se, rel=0.05)
    assert a.ci_low == pytest.approx(wald.ci_low, abs=0.6)
    assert a.ci_high == pytest.approx(wald.ci_high, abs=0.6)


def test_level_changes_width_by_the_normal_quantile():
    e95 = nps_from_counts(162, 108, 54, method="wald")
    e80 = nps_from_counts(162, 108, 54, method="wald", level=0.8)
    ratio = (e80.ci_high - e80.ci_low) / (e95.ci_high - e95.ci_low)
    assert ratio == pytest.approx(stats.norm.ppf(0.9) / Z95)
    assert str(e80).startswith("NPS 33.3 (80% CI")


def test_missing_scores_are_non_responses_and_series_accepted():
    scores = pd.Series([10, 9, np.nan, 7, 0, None], dtype="Float64")
    est = nps(scores, method="wald")
    assert (est.n, est.promoters, est.passives, est.detractors) == (4, 2, 1, 1)
    assert est.value == pytest.approx(25.0)
    assert nps([np.nan, np.nan]).n == 0 and math.isnan(nps([np.nan]).value)


@pytest.mark.parametrize("bad", [[11, 3], [-1, 5], [7.5, 3], [np.inf]])
def test_invalid_scores_raise_naming_them(bad):
    with pytest.raises(ValueError, match=r"NPS scores must be whole numbers from 0 to 10.*e\.g\."):
        nps(bad)


def test_other_bad_input_raises():
    with pytest.raises(ValueError, match="numbers"):
        nps(["ten", "nine"])
    with pytest.raises(ValueError, match="method must be one of"):
        nps([10], method="exact")
    with pytest.raises(ValueError, match="level"):
        nps([10], level=95)
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        nps_from_counts(3, -1, 2)
    with pytest.raises(ValueError, match="CSAT scores must be whole numbers from 1 to 5"):
        csat([0, 5])
    with pytest.raises(ValueError, match="CES scores must be whole numbers from 1 to 7"):
        ces([8])
    with pytest.raises(ValueError, match="low_effort_scores"):
        ces([5], low_effort_scores=(6, 9))


def test_estimates_render_html():
    html = nps_from_counts(10, 5, 5)._repr_html_()
    assert "<table" in html and "Promoters (9-10)" in html and "10 (50.0%)" in html
    assert "Wilson" in csat([5, 4, 1])._repr_html_()
    assert "Low effort" in ces([7, 1])._repr_html_()


# --- CSAT and CES against statsmodels / scipy -------------------------------------------------


def test_csat_share_matches_statsmodels_wilson_and_mean_matches_scipy_t():
    rng = np.random.default_rng(0)
    scores = rng.choice([1, 2, 3, 4, 5], size=137, p=[0.05, 0.1, 0.15, 0.4, 0.3]).astype(float)
    est = csat(np.append(scores, np.nan), level=0.9)
    hits = int((scores >= 4).sum())
    low, high = proportion_confint(hits, 137, alpha=0.1, method="wilson")
    assert (est.n, est.satisfied) == (137, hits)
    assert est.value == pytest.approx(100 * hits / 137)
    assert est.ci_low == pytest.approx(100 * low) and est.ci_high == pytest.approx(100 * high)
    t_low, t_high = stats.ttest_1samp(scores, 0).confidence_interval(0.9)
    assert est.mean == pytest.approx(scores.mean())
    assert est.mean_ci_low == pytest.approx(t_low) and est.mean_ci_high == pytest.approx(t_high)
    assert est.mean_se == pytest.approx(stats.sem(scores))


def test_ces_mean_matches_scipy_and_low_effort_share_matches_wilson():
    rng = np.random.default_rng(1)
    scores = rng.integers(1, 8, size=88).astype(float)
    est = ces(scores)
    low_effort = int((scores <= 2).sum())  # 1-2 = easy end of the scale documented by cxlab.synth
    t_low, t_high = stats.ttest_1samp(scores, 0).confidence_interval(0.95)
    w_low, w_high = proportion_confint(low_effort, 88, alpha=0.05, method="wilson")
    assert est.value == pytest.approx(scores.mean())
    assert (est.ci_low, est.ci_high) == (pytest.approx(t_low), pytest.approx(t_high))
    assert est.low_effort == low_effort
    assert (est.low_effort_ci_low, est.low_effort_ci_high) == (pytest.approx(100 * w_low),
                                                                pytest.approx(100 * w_high))
    custom = ces(scores, low_effort_scores=(1, 2, 3))
    assert custom.low_effort == int((scores <= 3).sum())


# --- comparisons ----------------------------------------------------------------------------


def test_compare_nps_wald_by_hand():
    # a: 60 promoters, 20 passives, 20 detractors (NPS 40); b: 40/30/30 (NPS 10).
    # variances per response: a 0.6 + 0.2 - 0.4^2 = 0.64; b 0.4 + 0.3 - 0.1^2 = 0.69.
    # SE = sqrt(0.64/100 + 0.69/100) = 0.115326; z = 0.3 / SE = 2.6013; p = erfc(z / sqrt 2) = 0.00929.
    d = compare_nps(nps_from_counts(60, 20, 20, method="wald"), nps_from_counts(40, 30, 30, method="wald"))
    se = math.sqrt(0.64 / 100 + 0.69 / 100)
    z = 0.3 / se
    assert d.estimate == pytest.approx(30.0)
    assert d.se == pytest.approx(100 * se)
    assert d.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert d.p_value == pytest.approx(0.00929, abs=1e-5)
    assert (d.ci_low, d.ci_high) == (pytest.approx(100 * (0.3 - Z95 * se)), pytest.approx(100 * (0.3 + Z95 * se)))
    assert (d.n_a, d.n_b, d.method, d.unit) == (100, 100, "wald", "points")


def test_compare_nps_adjusted_wald_by_hand_and_from_scores():
    # Adjusted counts: a (60.75, 20.75) of 103, b (40.75, 30.75) of 103.
    pa, da, pb, db = 60.75 / 103, 20.75 / 103, 40.75 / 103, 30.75 / 103
    center = (pa - da) - (pb - db)
    se = math.sqrt((pa + da - (pa - da) ** 2) / 103 + (pb + db - (pb - db) ** 2) / 103)
    d = compare_nps(_scores(60, 20, 20), _scores(40, 30, 30))  # default method adjusted_wald
    assert d.method == "adjusted_wald"
    assert d.estimate == pytest.approx(30.0)
    assert d.p_value == pytest.approx(math.erfc(abs(center / se) / math.sqrt(2)))
    assert d.ci_low == pytest.approx(100 * (center - Z95 * se))


def test_compare_nps_bootstrap_p_value_agrees_with_its_interval():
    for counts_b in [(40, 30, 30), (55, 25, 20), (58, 22, 20)]:
        d = compare_nps(nps_from_counts(60, 20, 20), nps_from_counts(*counts_b), method="bootstrap", seed=1)
        excludes_zero = d.ci_low > 0 or d.ci_high < 0
        assert excludes_zero == (d.p_value < 0.05)
    wald = compare_nps(nps_from_counts(60, 20, 20), nps_from_counts(40, 30, 30), method="wald")
    boot = compare_nps(nps_from_counts(60, 20, 20), nps_from_counts(40, 30, 30), method="bootstrap")
    assert boot.se == pytest.approx(wald.se, rel=0.05)


def test_compare_nps_refuses_estimates_with_different_methods():
    with pytest.raises(ValueError, match="different method"):
        compare_nps(nps_from_counts(5, 5, 5, method="wald"), nps_from_counts(5, 5, 5))


def test_compare_csat_share_matches_statsmodels_newcombe_and_its_inverted_test():
    a = np.array([5] * 30 + [4] * 25 + [2] * 15 + [1] * 10, dtype=float)  # 55 of 80 satisfied
    b = np.array([5] * 20 + [4] * 20 + [3] * 20 + [1] * 30, dtype=float)  # 40 of 90 satisfied
    d = compare_csat(a, b)
    low, high = confint_proportions_2indep(55, 80, 40, 90, method="newcomb", compare="diff")
    assert d.estimate == pytest.approx(100 * (55 / 80 - 40 / 90))
    assert (d.ci_low, d.ci_high) == (pytest.approx(100 * low), pytest.approx(100 * high))
    # The p-value is the alpha at which statsmodels' Newcombe interval just touches zero ...
    low_at_p, _ = confint_proportions_2indep(55, 80, 40, 90, method="newcomb", compare="diff", alpha=d.p_value)
    assert low_at_p == pytest.approx(0.0, abs=1e-9)
    # ... and close to the pooled z-test it replaces (0.00144).
    _, p = proportions_ztest([55, 40], [80, 90])
    assert d.p_value == pytest.approx(0.001375, abs=1e-6)
    assert d.p_value == pytest.approx(p, rel=0.1)
    mean_diff = compare_csat(csat(a), csat(b), on="mean")
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert mean_diff.p_value == pytest.approx(welch.pvalue)
    ci = welch.confidence_interval(0.95)
    assert (mean_diff.ci_low, mean_diff.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_compare_ces_mean_matches_scipy_welch():
    rng = np.random.default_rng(2)
    a = rng.integers(3, 8, size=60).astype(float)
    b = rng.integers(1, 8, size=45).astype(float)
    d = compare_ces(a, b, level=0.9)
    welch = stats.ttest_ind(a, b, equal_var=False)
    ci = welch.confidence_interval(0.9)
    assert d.estimate == pytest.approx(a.mean() - b.mean())
    assert d.p_value == pytest.approx(welch.pvalue)
    assert (d.ci_low, d.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    share = compare_ces(a, b, on="share")
    low, high = confint_proportions_2indep((a <= 2).sum(), 60, (b <= 2).sum(), 45, method="newcomb")
    assert (share.ci_low, share.ci_high) == (pytest.approx(100 * low), pytest.approx(100 * high))
    with pytest.raises(ValueError, match="on must be"):
        compare_ces(a, b, on="median")


# --- grouped tables ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey_like():
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({
        "quarter": rng.choice(["2025Q1", "2025Q2", "2025Q3", "2025Q4"], n),
        "segment": rng.choice(["enterprise", "mid", "small", "public"], n, p=[0.3, 0.4, 0.29, 0.01]),
        "nps": rng.choice(np.arange(11), n, p=np.r_[np.full(7, 0.03), [0.12, 0.15], [0.26, 0.26]]).astype(float),
        "csat": rng.choice(np.arange(1, 6), n, p=[0.05, 0.1, 0.15, 0.4, 0.3]).astype(float),
        "ces": rng.integers(1, 8, n).astype(float),
    })
    df.loc[rng.random(n) < 0.4, ["nps", "csat", "ces"]] = np.nan  # non-respondents
    return df


def test_nps_by_equals_nps_on_the_raw_rows_of_each_cell(survey_like):
    before = survey_like.copy()
    table = nps_by(survey_like, ["quarter", "segment"], method="wald", suppress=False)
    pd.testing.assert_frame_equal(survey_like, before)  # input not mutated
    assert len(table) == 16
    for row in table.itertuples():
        cell = survey_like[(survey_like["quarter"] == row.quarter) & (survey_like["segment"] == row.segment)]
        est = nps(cell["nps"], method="wald")
        assert (row.n, row.promoters, row.detractors) == (est.n, est.promoters, est.detractors)
        assert (row.nps, row.ci_low, row.ci_high, row.se) == pytest.approx((est.value, est.ci_low, est.ci_high,
                                                                             est.se))


def test_nps_by_flags_and_blanks_small_cells(survey_like):
    table = nps_by(survey_like, "segment", min_cell_size=30)
    small = table[table["segment"] == "public"].iloc[0]
    assert small["small_cell"] and small["n"] < 30
    assert small[["nps", "ci_low", "ci_high", "promoters", "promoter_share"]].isna().all()
    big = table[table["segment"] == "mid"].iloc[0]
    assert not big["small_cell"]
    assert big["nps"] == pytest.approx(nps(survey_like.loc[survey_like["segment"] == "mid", "nps"]).value)
    kept = nps_by(survey_like, "segment", min_cell_size=30, suppress=False)
    assert kept.loc[kept["segment"] == "public", "nps"].notna().all()


def test_nps_by_bootstrap_is_close_to_wald(survey_like):
    boot = nps_by(survey_like, "quarter", method="bootstrap", n_resamples=4000)
    wald = nps_by(survey_like, "quarter", method="wald")
    assert boot["nps"].to_numpy() == pytest.approx(wald["nps"].to_numpy())
    assert boot["se"].to_numpy() == pytest.approx(wald["se"].to_numpy(), rel=0.08)


def test_csat_by_and_ces_by_equal_the_single_sample_functions(survey_like):
    csat_table = csat_by(survey_like, "quarter")
    ces_table = ces_by(survey_like, "quarter")
    for quarter in ["2025Q1", "2025Q4"]:
        rows = survey_like[survey_like["quarter"] == quarter]
        c, e = csat(rows["csat"]), ces(rows["ces"])
        crow = csat_table.set_index("quarter").loc[quarter]
        erow = ces_table.set_index("quarter").loc[quarter]
        assert (crow["csat"], crow["ci_low"], crow["ci_high"], crow["mean"], crow["mean_ci_low"]) == \
            pytest.approx((c.value, c.ci_low, c.ci_high, c.mean, c.mean_ci_low))
        assert (erow["ces"], erow["ci_low"], erow["ci_high"], erow["low_effort_share"]) == \
            pytest.approx((e.value, e.ci_low, e.ci_high, e.low_effort_share))


def test_grouped_functions_name_missing_columns(survey_like):
    with pytest.raises(ValueError, match=r"\['region'\] not in the table"):
        nps_by(survey_like, "region")
    with pytest.raises(ValueError, match=r"\['score'\]"):
        csat_by(survey_like, "quarter", score_col="score")


def test_compare_by_previous_quarter_matches_compare_nps_and_bh(survey_like):
    table = compare_by(survey_like, "quarter", versus="previous", within="segment", min_cell_size=30)
    row = table[(table["segment"] == "mid") & (table["quarter"] == "2025Q3")].iloc[0]
    assert row["reference"] == "2025Q2"
    mid = survey_like[survey_like["segment"] == "mid"]
    d = compare_nps(mid.loc[mid["quarter"] == "2025Q3", "nps"], mid.loc[mid["quarter"] == "2025Q2", "nps"])
    assert (row["difference"], row["ci_low"], row["ci_high"], row["p_value"]) == pytest.approx(
        (d.estimate, d.ci_low, d.ci_high, d.p_value))
    # Three comparisons per segment; the "public" segment's are small and leave the FDR family.
    assert len(table) == 12
    assert table.loc[table["segment"] == "public", "small_cell"].all()
    assert table.loc[table["segment"] == "public", "p_adjusted"].isna().all()
    family = table[~table["small_cell"]]
    expected = multipletests(family["p_value"], alpha=0.05, method="fdr_bh")[1]
    assert family["p_adjusted"].to_numpy() == pytest.approx(expected)
    assert (family["p_adjusted"] >= family["p_value"] - 1e-12).all()


def test_compare_by_rest_and_reference_level(survey_like):
    rest = compare_by(survey_like, "segment", versus="rest", kind="csat")
    row = rest[rest["segment"] == "small"].iloc[0]
    is_small = survey_like["segment"] == "small"
    d = compare_csat(survey_like.loc[is_small, "csat"], survey_like.loc[~is_small, "csat"])
    assert (row["difference"], row["ci_low"], row["p_value"], row["n_b"]) == pytest.approx(
        (d.estimate, d.ci_low, d.p_value, d.n_b))
    ref = compare_by(survey_like, "quarter", versus="2025Q1", kind="ces")
    assert set(ref["quarter"]) == {"2025Q2", "2025Q3", "2025Q4"}
    row = ref[ref["quarter"] == "2025Q4"].iloc[0]
    d = compare_ces(survey_like.loc[survey_like["quarter"] == "2025Q4", "ces"],
                    survey_like.loc[survey_like["quarter"] == "2025Q1", "ces"])
    assert (row["difference"], row["ci_high"], row["p_value"]) == pytest.approx((d.estimate, d.ci_high, d.p_value))
    with pytest.raises(ValueError, match="versus must be"):
        compare_by(survey_like, "quarter", versus="2019Q1")


# --- coverage by simulation ------------------------------------------------------------------
# Measured with the seeds below (share of intervals containing the true NPS, nominal 95%):
#
#   true shares (P, passive, D)      n    wald     adjusted_wald  bootstrap (2,000 x 400 resamples)
#   (0.50, 0.30, 0.20)  NPS 30      50   0.9417   0.9478         0.9475
#                                  500   0.9513   0.9527         0.9460
#   (0.70, 0.25, 0.05)  NPS 65      50   0.9275   0.9514         0.9300
#                                  500   0.9500   0.9526         0.9395
#
# Adjusted-Wald is within 93-97% everywhere. Wald undercovers at n = 50 with skewed shares
# (the variance estimate is too small when detractors are rare). The percentile bootstrap is
# slightly short at n = 50 with skewed shares (about 93-94% in repeated runs) and near nominal
# otherwise; with 400 resamples per sample its quantiles are noisy, which costs a little
# coverage too, so its bound below is 92.5% (Monte Carlo SE of 2,000 samples: 0.5 points).
# Wilson (CSAT share, p = 0.8): 0.9534 at n = 50, 0.9520 at n = 500. t interval (CES mean, a
# skewed 1-7 distribution): 0.9466 at n = 50, 0.9503 at n = 500.
COVERAGE_CASES = [((0.5, 0.3, 0.2), 50), ((0.5, 0.3, 0.2), 500), ((0.7, 0.25, 0.05), 50), ((0.7, 0.25, 0.05), 500)]


def _coverage(shares, n, method, samples):
    counts = np.random.default_rng(n).multinomial(n, shares, size=10_000)[:samples]
    res = metrics.nps_intervals(counts[:, 0], counts[:, 1], counts[:, 2], method=method, level=0.95, seed=1,
                                 n_resamples=400)
    true = 100 * (shares[0] - shares[2])
    return float(np.mean((res["ci_low"] <= true) & (true <= res["ci_high"])))


@pytest.mark.parametrize(("shares", "n"), COVERAGE_CASES)
def test_adjusted_wald_coverage_is_nominal(shares, n):
    assert 0.93 <= _coverage(shares, n, "adjusted_wald", 10_000) <= 0.97


@pytest.mark.parametrize(("shares", "n"), COVERAGE_CASES)
def test_wald_coverage_nominal_except_small_skewed_samples(shares, n):
    coverage = _coverage(shares, n, "wald", 10_000)
    if shares[2] < 0.1 and n == 50:
        assert 0.90 <= coverage < 0.935  # documented undercoverage
        assert coverage < _coverage(shares, n, "adjusted_wald", 10_000)
    else:
        assert 0.93 <= coverage <= 0.97


@pytest.mark.parametrize(("shares", "n"), COVERAGE_CASES)
def test_bootstrap_coverage(shares, n):
    coverage = _coverage(shares, n, "bootstrap", 2_000)
    assert 0.925 <= coverage <= 0.97


@pytest.mark.parametrize("n", [50, 500])
def test_wilson_and_t_coverage(n):
    rng = np.random.default_rng(n)
    hits = rng.binomial(n, 0.8, size=10_000)
    low, high = metrics.wilson_interval(hits, n, 0.95)
    assert 0.93 <= np.mean((low <= 0.8) & (0.8 <= high)) <= 0.97
    probs = np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.25, 0.25])
    levels = np.arange(1, 8)
    counts = rng.multinomial(n, probs, size=10_000)
    res = metrics.mean_intervals_from_sums(counts @ levels, counts @ levels**2, n, 0.95)
    mu = probs @ levels
    assert 0.93 <= np.mean((res["ci_low"] <= mu) & (mu <= res["ci_high"])) <= 0.97


# --- properties ------------------------------------------------------------------------------


def test_interval_contains_observed_nps_for_every_sample_up_to_120():
    # Exhaustive over all (promoters, passives, detractors) with 2 <= n <= 120 at 95%.
    # (At n = 1 the adjusted interval, centred on the shrunken NPS, can exclude +-100.)
    grid = np.stack(np.meshgrid(*[np.arange(121)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    grid = grid[(grid.sum(axis=1) >= 2) & (grid.sum(axis=1) <= 120)]
    for method in ("wald", "adjusted_wald"):
        res = metrics.nps_intervals(grid[:, 0], grid[:, 1], grid[:, 2], method=method, level=0.95, seed=0,
                                     n_resamples=100)
        assert np.all(res["ci_low"] <= res["value"] + 1e-9) and np.all(res["value"] <= res["ci_high"] + 1e-9)
        assert np.all(res["ci_low"] >= -100) and np.all(res["ci_high"] <= 100)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=200), st.sampled_from(metrics.NPS_METHODS),
       st.randoms(use_true_random=False))
def test_nps_properties(scores, method, random):
    est = nps(scores, method=method, n_resamples=500)
    assert -100 <= est.ci_low <= est.ci_high <= 100
    assert -100 <= est.value <= 100
    assert est.promoters + est.passives + est.detractors == est.n == len(scores)
    shuffled = list(scores)
    random.shuffle(shuffled)
    assert nps(shuffled, method=method, n_resamples=500) == est
    assert nps_from_counts(est.promoters, est.passives, est.detractors, method=method, n_resamples=500) == est


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=200))
def test_csat_properties(scores):
    est = csat(scores)
    assert 0 <= est.ci_low <= est.value <= est.ci_high <= 100
    assert est.mean_ci_low <= est.mean <= est.mean_ci_high
    assert est == csat(scores[::-1])
