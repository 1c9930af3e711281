"""Silent customers: response rates, invitation-time covariates, IPW-corrected NPS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import KaplanMeierFitter

from cxlab import nonresponse, synth
from cxlab.engine import connect
from cxlab.nonresponse import (
    NonresponseWeighting,
    ipw_nps,
    propensity_frame,
    propensity_frame_from_history,
    respondent_comparison,
    respondent_survival_frame,
    response_rates,
)

Z = 1.959963984540054


def _wilson(k, n, z=Z):
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def test_response_rates_by_hand():
    t = pd.Timestamp
    rows = (
        [("c1", "support", "email", t("2025-03-01"), t("2025-03-02"))] * 3
        + [("c2", "support", "sms", t("2025-03-01"), pd.NaT)] * 7
        + [("c3", "invoicing", "email", t("2025-04-01"), t("2025-04-01 05:00"))]
        + [("c3", "invoicing", "email", t("2025-06-28"), t("2025-06-29"))]  # sent within the window: left out
        + [
            ("c1", "invoicing", "email", t("2025-06-01"), t("2025-07-03"))
        ]  # answered after as-of: no response
    )
    surveys = pd.DataFrame(rows, columns=["customer_id", "touchpoint", "channel", "sent_at", "responded_at"])
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "segment": ["A", "B", "A"]})
    by_tp = response_rates(surveys, as_of="2025-06-30", by="touchpoint", min_cell_size=5).set_index(
        "touchpoint"
    )
    assert by_tp.loc["support", "invitations"] == 10 and by_tp.loc["support", "responses"] == 3
    assert by_tp.loc["support", "response_rate"] == pytest.approx(30.0)
    low, high = _wilson(3, 10)
    assert by_tp.loc["support", "ci_low"] == pytest.approx(100 * low)
    assert by_tp.loc["support", "ci_high"] == pytest.approx(100 * high)
    assert by_tp.loc["invoicing", "invitations"] == 2 and by_tp.loc["invoicing", "suppressed"]
    assert np.isnan(by_tp.loc["invoicing", "response_rate"])
    by_seg = response_rates(
        surveys, as_of="2025-06-30", by="segment", customers=customers, min_cell_size=1
    ).set_index("segment")
    assert by_seg["responses"].to_dict() == {"A": 4, "B": 0}
    with pytest.raises(ValueError, match="customers"):
        response_rates(surveys, as_of="2025-06-30", by="segment")


def _surveys(rows):
    cols = [
        "invitation_id",
        "customer_id",
        "touchpoint",
        "channel",
        "sent_at",
        "responded_at",
        "nps",
        "csat",
        "ces",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out["sent_at"] = pd.to_datetime(out["sent_at"])
    out["responded_at"] = pd.to_datetime(out["responded_at"], format="ISO8601")
    return out


def _through_engine(surveys, customers, folder, **arguments):
    """The propensity frame from the engine's invitation history of these tables, written as a data folder."""
    full = customers.assign(region="North", acquisition_channel="web", churned_at=pd.NaT, contract="monthly",
                            monthly_revenue=100.0, acquisition_cost=None)
    full.to_csv(folder / "customers.csv", index=False)
    surveys.assign(comment=None).to_csv(folder / "surveys.csv", index=False)
    with connect(folder, as_of=arguments["as_of"]) as engine:
        return propensity_frame_from_history(engine.invitation_history(**arguments), customers)


@pytest.mark.parametrize("path", ["pandas", "engine"])
def test_of_two_answers_given_at_once_the_larger_invitation_id_is_the_latest(path, tmp_path):
    surveys = _surveys([
        ("rb", "c1", "relationship", "email", "2025-01-01", "2025-01-05 10:00", 9.0, None, None),
        ("ra", "c1", "relationship", "email", "2025-01-02", "2025-01-05 10:00", 2.0, None, None),
        ("rc", "c1", "relationship", "email", "2025-02-01", None, None, None, None),
    ])
    customers = pd.DataFrame({"customer_id": ["c1"], "segment": ["SMB"], "acquired_at": pd.to_datetime(["2024-01-01"])})
    arguments = {"as_of": "2025-12-31"}
    frame = (propensity_frame(surveys, customers, **arguments) if path == "pandas"
             else _through_engine(surveys, customers, tmp_path, **arguments)).set_index("invitation_id")
    assert frame.loc["rc", "prior_nps_category"] == "promoter"  # rb (9), not ra (2)
    assert frame.loc["rc", "prior_nps_mean"] == 5.5 and frame.loc["rc", "prior_responses"] == 2


@pytest.mark.parametrize("path", ["pandas", "engine"])
def test_propensity_frame_uses_only_what_was_known_at_invitation(path, tmp_path):
    surveys = _surveys(
        [
            ("r0", "c1", "relationship", "email", "2024-09-10", "2024-09-10 09:00", 10.0, None, None),
            ("t1", "c1", "support", "email", "2025-01-01", "2025-01-02", None, 2.0, 6.0),
            ("r1", "c1", "relationship", "email", "2025-03-01", "2025-03-03", 5.0, None, None),
            ("t2", "c1", "support", "email", "2025-03-05", "2025-03-06", None, 4.0, 2.0),
            (
                "t3",
                "c1",
                "invoicing",
                "sms",
                "2025-08-20",
                "2025-09-01 08:00",
                None,
                1.0,
                7.0,
            ),  # after r2 was sent
            ("r2", "c1", "relationship", "sms", "2025-09-01", None, None, None, None),
            ("r3", "c2", "relationship", "phone", "2025-09-01", "2025-09-02", 9.0, None, None),
            ("r4", "c2", "relationship", "phone", "2025-12-28", "2025-12-29", 10.0, None, None),  # too recent
        ]
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "segment": ["SMB", "Enterprise"],
            "acquired_at": pd.to_datetime(["2024-09-01", "2025-09-01"]),
        }
    )
    arguments = {"as_of": "2025-12-31", "recent_days": 180}
    frame = (propensity_frame(surveys, customers, **arguments) if path == "pandas"
             else _through_engine(surveys, customers, tmp_path, **arguments)).set_index("invitation_id")
    assert list(frame.index) == ["r0", "r1", "r2", "r3"]
    assert frame.loc["r1", "recent_csat"] == 2.0 and frame.loc["r1", "recent_ces"] == 6.0
    # r2 sent 2025-09-01 00:00: window [2025-03-05, 2025-09-01) holds t2 only (t3 answered later that day).
    assert frame.loc["r2", "recent_csat"] == 4.0
    assert (frame.loc["r2", "prior_invitations"], frame.loc["r2", "prior_responses"]) == (5, 4)
    assert frame.loc["r2", "prior_response_rate"] == pytest.approx(0.8)
    # Earlier answers to the relationship survey: r0 (10) before r1; r0 and r1 (5) before r2.
    assert np.isnan(frame.loc["r0", "prior_nps_mean"]) and frame.loc["r1", "prior_nps_mean"] == 10.0
    assert frame.loc["r2", "prior_nps_mean"] == 7.5 and np.isnan(frame.loc["r3", "prior_nps_mean"])
    # The category of the latest of them: r2 sees the detractor answer r1, not the earlier promoter r0.
    assert frame["prior_nps_category"].to_dict() == {
        "r0": "no_response",
        "r1": "promoter",
        "r2": "detractor",
        "r3": "no_response",
    }
    assert np.isnan(frame.loc["r3", "prior_response_rate"]) and np.isnan(frame.loc["r3", "recent_csat"])
    assert frame["responded"].to_dict() == {"r0": 1, "r1": 1, "r2": 0, "r3": 1}
    assert np.isnan(frame.loc["r2", "nps"])
    assert frame.loc["r1", "tenure_months_at_invitation"] == pytest.approx(181 / (365.25 / 12))
    assert frame.loc["r3", "segment"] == "Enterprise"


def _stratified_frame():
    # Group A: 100 invited, 50 answered (30 promoters, 10 passives, 10 detractors): NPS +40.
    # Group B: 300 invited, 30 answered (6 promoters, 9 passives, 15 detractors): NPS -30.
    def group(name, invited, scores):
        nps = np.full(invited, np.nan)
        nps[: len(scores)] = scores
        return pd.DataFrame({"group": name, "responded": (~np.isnan(nps)).astype(int), "nps": nps})

    a = group("A", 100, [10] * 30 + [8] * 10 + [3] * 10)
    b = group("B", 300, [9] * 6 + [7] * 9 + [0] * 15)
    frame = pd.concat([a, b], ignore_index=True)
    frame["customer_id"] = [f"c{i}" for i in range(len(frame))]
    return frame


def test_ipw_with_one_category_equals_post_stratification_by_hand():
    frame = _stratified_frame()
    fit = NonresponseWeighting(covariates=["group"], trim_quantile=1.0).fit(frame)
    # Saturated model: p = 0.5 in A and 0.1 in B; the weighted NPS is the population mix
    # (100 * 40 + 300 * -30) / 400 = -12.5, against a raw (36 - 25) / 80 = 13.75.
    assert fit.value_ == pytest.approx(-12.5, abs=1e-6)
    assert fit.raw_.value == pytest.approx(13.75)
    assert fit.n_invited_ == 400 and fit.n_respondents_ == 80 and fit.n_trimmed_ == 0
    # Kish effective n: weights 2 (x50) and 10 (x30): (100 + 300)^2 / (50*4 + 30*100) = 50.
    assert fit.effective_n_ == pytest.approx(50.0, rel=1e-6)
    # Linearisation SE = the cluster-robust SE of a weighted mean (statsmodels WLS on a constant).
    resp = frame[frame["responded"] == 1]
    net = np.where(resp["nps"] >= 9, 100.0, np.where(resp["nps"] <= 6, -100.0, 0.0))
    wls = sm.WLS(net, np.ones(len(net)), weights=fit.weights_.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(resp["customer_id"])[0]}
    )
    assert fit.value_ == pytest.approx(wls.params[0], abs=1e-6)
    assert fit.se_ == pytest.approx(wls.bse[0], rel=1e-6)
    assert fit.ci_low_ == pytest.approx(fit.value_ - Z * fit.se_)
    table = fit.summary.set_index("estimate")
    assert table["nps"].iloc[1] == pytest.approx(-12.5, abs=1e-6)
    assert fit.balance_.loc["group_B", "weighted_respondents"] == pytest.approx(0.75)
    assert fit.balance_.loc["group_B", "respondents"] == pytest.approx(30 / 80)


def test_bootstrap_interval_agrees_with_linearisation():
    frame = _stratified_frame()
    lin = ipw_nps(frame, covariates=["group"], trim_quantile=1.0)
    boot = ipw_nps(
        frame, covariates=["group"], trim_quantile=1.0, interval="bootstrap", n_resamples=4000, seed=1
    )
    assert boot.value_ == pytest.approx(lin.value_)
    assert boot.se_ == pytest.approx(lin.se_, rel=0.1)
    assert boot.ci_low_ < lin.value_ < boot.ci_high_


def _fit_on_segment_and_tenure(segment, tenure, score, responded):
    """IPW NPS weighted on segment and tenure, and the true NPS of everyone invited."""
    frame = pd.DataFrame(
        {
            "segment": segment,
            "tenure_months_at_invitation": tenure,
            "responded": responded.astype(int),
            "nps": np.where(responded, score, np.nan),
            "customer_id": np.arange(len(score)).astype(str),
        }
    )
    truth = 100 * (np.mean(score >= 9) - np.mean(score <= 6))
    return ipw_nps(frame, covariates=["segment", "tenure_months_at_invitation"], trim_quantile=1.0), truth


def test_ipw_recovers_the_population_when_response_depends_only_on_covariates():
    rng = np.random.default_rng(0)
    n = 20_000
    segment = rng.choice(["smb", "mid", "ent"], size=n, p=[0.6, 0.3, 0.1])
    tenure = rng.exponential(24, size=n)
    latent = (
        6.5
        + np.select([segment == "ent", segment == "mid"], [1.5, 0.5], 0)
        + 0.03 * tenure
        + rng.normal(0, 2, n)
    )
    score = np.clip(np.round(latent), 0, 10)
    p = 1 / (
        1 + np.exp(-(-1.5 + np.select([segment == "ent", segment == "mid"], [1.2, 0.4], 0) + 0.02 * tenure))
    )
    responded = rng.random(n) < p
    fit, truth = _fit_on_segment_and_tenure(segment, tenure, score, responded)
    assert abs(fit.raw_.value - truth) > 3 * fit.raw_.se  # the raw NPS is clearly biased
    assert fit.ci_low_ < truth < fit.ci_high_  # the weighted one is not
    assert abs(fit.value_ - truth) < abs(fit.raw_.value - truth) / 4


def test_bad_input():
    frame = _stratified_frame()
    with pytest.raises(ValueError, match="interval"):
        NonresponseWeighting(interval="jackknife")
    with pytest.raises(ValueError, match="lacks column"):
        ipw_nps(frame, covariates=["region"])
    with pytest.raises(ValueError, match="both respondents and non-respondents"):
        ipw_nps(frame.assign(responded=1), covariates=["group"])


@pytest.fixture(scope="module")
def world():
    return synth.simulate(n_customers=8000, seed=11)


def test_ipw_does_not_remove_bias_that_runs_through_the_answer_itself():
    # Response depends on the score, which no covariate records: the weighting on segment and
    # tenure cannot see it, and the corrected interval stays above the truth (the stated limit).
    rng = np.random.default_rng(0)
    n = 20_000
    segment = rng.choice(["smb", "ent"], size=n, p=[0.7, 0.3])
    tenure = rng.exponential(24, size=n)
    score = np.clip(np.round(7 + np.where(segment == "ent", 1.0, 0.0) + rng.normal(0, 2, n)), 0, 10)
    responded = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.4 * (score - 7))))
    fit, truth = _fit_on_segment_and_tenure(segment, tenure, score, responded)
    assert fit.raw_.ci_low > truth and fit.ci_low_ > truth


def test_ipw_recovers_the_true_population_nps_of_the_simulated_world(world):
    # The generator's non-response depends on the customer's latest NPS category and attributes,
    # all recorded before the invitation (missing at random given the propensity frame), so the
    # weighting can remove the bias. With the earlier generator, whose response depended on each
    # answer's latent score, the corrected interval stayed above the truth.
    truth = world.truth["true_population_nps"]
    frame = propensity_frame(world.surveys, world.customers, as_of=world.as_of)
    fit = ipw_nps(frame)
    raw = fit.raw_.value
    assert raw == pytest.approx(world.truth["respondent_nps"], abs=1.0)  # same invitations as the truth
    assert fit.raw_.ci_low > truth + 5  # the raw NPS is biased upwards by several points (10.1 here)
    assert fit.ci_low_ < truth < fit.ci_high_
    # Error 2.6 against 10.1 points here; 0.11, 0.01, 0.03 and 0.25 of the raw error over seeds 1, 2, 3 and 11
    # (the world with churn smooth in the score and the follow-up effect of cxlab.synth).
    assert abs(fit.value_ - truth) < abs(raw - truth) / 3
    # Effective n: Kish's for the weights, divided by the design effect of repeated answers per customer
    kish = fit.weights_.sum() ** 2 / np.sum(fit.weights_**2)
    assert 0.3 * fit.n_respondents_ < kish < fit.n_respondents_ and fit.raw_.deff > 1
    assert fit.effective_n_ == pytest.approx(kish / fit.raw_.deff)


def test_ipw_recovers_the_true_nps_of_the_last_12_months(world):
    # The notebook's window: invitations of the 12 months to as-of 2026-09-30 are the 2026 waves,
    # whose true NPS is truth["true_population_nps_by_year"]["2026"].
    truth = world.truth["true_population_nps_by_year"]["2026"]
    frame = propensity_frame(world.surveys, world.customers, as_of=world.as_of)
    recent = frame[frame["sent_at"] > world.as_of - pd.DateOffset(months=12)]
    assert set(recent["sent_at"].dt.year) == {2026}
    fit = ipw_nps(recent)
    assert fit.raw_.ci_low > truth
    assert fit.ci_low_ < truth < fit.ci_high_
    assert abs(fit.value_ - truth) < abs(fit.raw_.value - truth) / 2
    # asking for the window only gives the same rows, with the same history behind each
    since = world.as_of - pd.DateOffset(months=12)
    windowed = propensity_frame(world.surveys, world.customers, as_of=world.as_of, sent_after=since)
    pd.testing.assert_frame_equal(windowed, recent.reset_index(drop=True), check_like=False)
    assert windowed.attrs["sent_after"] == since and len(windowed) < len(frame) / 2
    assert ipw_nps(windowed).value_ == fit.value_


def test_respondents_vs_non_respondents(world):
    frame = respondent_survival_frame(world.surveys, world.customers, as_of=world.as_of)
    assert frame["customer_id"].is_unique
    table = respondent_comparison(frame, horizon_months=12).set_index("group")
    assert table["customers"].sum() == len(frame)
    silent = frame[frame["responded"] == 0]
    kmf = KaplanMeierFitter().fit(silent["tenure_months"], silent["churned"])
    expected = 100 * (1 - float(kmf.survival_function_at_times(12).iloc[0]))
    assert table.loc["did not answer", "churn_within_horizon"] == pytest.approx(expected)
    assert table.loc["did not answer", "mean_monthly_revenue"] == pytest.approx(
        silent["monthly_revenue"].mean()
    )
    lo, hi = table.loc["answered", ["churn_ci_low", "churn_ci_high"]]
    assert lo < table.loc["answered", "churn_within_horizon"] < hi


def test_weight_diagnostics_and_trimming_by_hand():
    # The stratified frame: p = 0.5 in A (50 answers, weight 1/p = 2) and 0.1 in B (30 answers, weight 10);
    # stabilised by the response rate 80/400 = 0.2, the weights are 0.4 and 2.0 (they sum to 80).
    fit = NonresponseWeighting(covariates=["group"], trim_quantile=1.0).fit(_stratified_frame())
    table = fit.weight_diagnostics()
    assert table.loc["maximum", "weight as used"] == pytest.approx(2.0)
    assert table.loc["minimum", "weight before trimming"] == pytest.approx(0.4)
    assert table.loc["Kish effective n", "weight as used"] == pytest.approx(50.0)
    assert table.loc["share of weight in the top 1% of answers", "weight as used"] == pytest.approx(2.0 / 80)
    assert table.loc["median", "propensity: silent"] == pytest.approx(0.1, abs=1e-6)  # 270 of the 320 are in B
    assert table.loc["answers or invitations", "propensity: silent"] == 320
    effect = fit.trimming_effect([(0.0, 1.0), (0.05, 0.95), (0.0, 0.5)]).set_index("trimming")
    assert effect.loc["none", "nps"] == pytest.approx(-12.5, abs=1e-6)
    assert effect.loc["at the 5% and 95% quantiles", "nps"] == pytest.approx(-12.5, abs=1e-6)  # quantiles are 2 and 10
    # trimmed at the median every answer weighs 2: the raw NPS (36 - 25) / 80 = 13.75 comes back
    assert effect.loc["at the 0% and 50% quantiles", "nps"] == pytest.approx(13.75, abs=1e-6)
    assert effect.loc["at the 0% and 50% quantiles", "n_trimmed"] == 30
    assert effect.loc["at the 0% and 50% quantiles", "effective_n"] == pytest.approx(80.0)


def test_mnar_sensitivity_by_hand():
    # Silent customers delta points below similar respondents: 50 silent in A at 40 - delta, 270 silent in B at
    # -30 - delta, with the answers (50 at +40, 30 at -30): (-5000 - 320 delta) / 400 = -12.5 - 0.8 delta.
    fit = NonresponseWeighting(covariates=["group"], trim_quantile=1.0).fit(_stratified_frame())
    table = fit.mnar_sensitivity([0, 10, -10])
    np.testing.assert_allclose(table["nps"], [-12.5, -20.5, -4.5], atol=1e-6)
    assert table.loc[0.0, "ci_low"] == pytest.approx(fit.ci_low_)
    assert table.attrs["silent_share"] == pytest.approx(0.8)
    # the raw NPS 13.75 would be right if silent customers were (13.75 + 12.5) / 0.8 = 32.8 points happier
    assert fit.tipping_point() == pytest.approx(-32.8125)
    assert fit.tipping_point(0.0) == pytest.approx(-15.625)
    assert fit.mnar_sensitivity([fit.tipping_point()])["nps"].iloc[0] == pytest.approx(fit.raw_.value)


def test_mnar_sensitivity_recovers_a_known_departure_from_missing_at_random():
    # Truth: half the customers answer with probability 0.6 (NPS +30 among those who answer), half with 0.2
    # (NPS -10 among those who answer); in both halves those who stay silent have an NPS 20 points lower
    # (10 points of promoters become detractors). IPW assumes delta = 0 and lands near +10; the analysis at the
    # true delta = 20 recovers the population NPS, -2 in expectation.
    rng = np.random.default_rng(11)
    n = 40_000
    group = rng.integers(0, 2, n)
    responded = rng.random(n) < np.where(group == 0, 0.6, 0.2)
    probabilities = {(0, True): [0.5, 0.3, 0.2], (1, True): [0.3, 0.3, 0.4],
                     (0, False): [0.4, 0.3, 0.3], (1, False): [0.2, 0.3, 0.5]}
    score = np.empty(n)
    for (g, answered), p in probabilities.items():
        rows = (group == g) & (responded == answered)
        score[rows] = rng.choice([10.0, 8.0, 3.0], rows.sum(), p=p)
    truth = 100 * (np.mean(score >= 9) - np.mean(score <= 6))
    frame = pd.DataFrame({"group": np.where(group == 0, "a", "b"), "responded": responded.astype(int),
                          "nps": np.where(responded, score, np.nan), "customer_id": np.arange(n)})
    fit = NonresponseWeighting(covariates=["group"], trim_quantile=1.0).fit(frame)
    assert fit.value_ - truth > 8
    table = fit.mnar_sensitivity([0, 20])
    assert table.loc[20.0, "nps"] == pytest.approx(truth, abs=2.0)
    assert table.loc[20.0, "ci_low"] < truth < table.loc[20.0, "ci_high"]


def test_identifiers_held_as_arrow_text_give_the_same_weighting(world, as_arrow_text):
    # A report's kernels hold identifiers and categories as Arrow-backed text; the joins on them
    # must give what Python strings give.
    frame = propensity_frame(world.surveys, world.customers, as_of=world.as_of)
    arrow = propensity_frame(as_arrow_text(world.surveys), as_arrow_text(world.customers), as_of=world.as_of)
    assert arrow["customer_id"].dtype == "str"
    pd.testing.assert_frame_equal(arrow.astype({c: object for c in arrow.columns if arrow[c].dtype == "str"}),
                                  frame.astype({c: object for c in frame.columns if frame[c].dtype == "str"}))
    fit, fit_arrow = ipw_nps(frame), ipw_nps(arrow)
    assert fit_arrow.value_ == pytest.approx(fit.value_, abs=1e-9)
    assert fit_arrow.ci_low_ == pytest.approx(fit.ci_low_, abs=1e-9)


def test_design_equals_dummies_and_imputed_numbers_less_constant_and_dependent_columns():
    rng = np.random.default_rng(2)
    n = 500
    csat = np.where(rng.random(n) < 0.3, np.nan, rng.integers(1, 6, n).astype(float))
    frame = pd.DataFrame({
        "segment": pd.Series(rng.choice(["SMB", "Enterprise", None], n), dtype="string[pyarrow]"),
        "region": "EU",  # one level: no column
        "csat": csat,
        "ces": np.where(np.isnan(csat), np.nan, rng.integers(1, 8, n)),  # missing with CSAT: one flag is kept
        "tenure": rng.gamma(2.0, 10.0, n),
        "flag": rng.random(n) < 0.5,
    }, index=np.arange(n) * 3)
    covariates = list(frame.columns)
    parts = []
    for col in covariates:
        values = frame[col]
        if values.dtype.kind in "fiu":
            parts.append(values.fillna(values.mean()).rename(col).to_frame())
            if values.isna().any():
                parts.append(values.isna().astype(float).rename(f"{col}_missing").to_frame())
        else:
            parts.append(pd.get_dummies(values.astype(str), prefix=col, drop_first=True, dtype=float))
    expected = pd.concat(parts, axis=1)
    expected.insert(0, "const", 1.0)
    expected = expected.drop(columns="ces_missing")  # the same column as csat_missing
    design = nonresponse._design(frame, covariates)
    pd.testing.assert_frame_equal(design, expected)
    # a missing segment is a level of its own (written "<NA>", first in order: the reference)
    assert list(design.columns) == ["const", "segment_Enterprise", "segment_SMB", "csat", "csat_missing", "ces",
                                    "tenure", "flag_True"]


def test_independent_columns_span_the_matrix_and_keep_its_rank():
    # which of exactly collinear columns is kept (the intercept, flag or 1 - flag) is a tie that rounding breaks,
    # differently with the BLAS kernels of different processors: the set must be independent and span the rest
    rng = np.random.default_rng(3)
    n = 5000
    tenure, flag, other = rng.gamma(2.0, 40.0, n), (rng.random(n) < 0.3).astype(float), rng.normal(size=n)
    matrix = np.column_stack([np.ones(n), tenure, flag, 1 - flag, 3 * tenure - 2 * flag, other, flag])
    got = nonresponse._independent_columns(np.asfortranarray(matrix))
    kept = matrix[:, got]
    dropped = np.delete(matrix, got, axis=1)
    residual = dropped - kept @ np.linalg.lstsq(kept, dropped, rcond=None)[0]
    assert np.abs(residual).max() < 1e-8 * np.abs(matrix).max()  # every dropped column lies in the kept ones' span
    assert 5 in got  # the column independent of all others
    assert len(got) == 4 and np.linalg.matrix_rank(matrix[:, got]) == np.linalg.matrix_rank(matrix) == 4
