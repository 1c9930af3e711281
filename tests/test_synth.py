"""Tests for cxlab.synth: determinism, schema, the generator's documented truth, and data/demo.

Small checks run on a 3,000-customer world built once per module; checks that need more
data (key drivers, hazard ratios, yearly invoicing shares) read the committed 20,000-customer
demo in data/demo, which one test proves equal to a fresh ``simulate()``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlab import synth
from cxlab.schema import DATE_COLUMNS, DATE_ORDER, SCHEMAS, TOUCHPOINTS, required_columns

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def world():
    return synth.simulate(n_customers=3000, seed=7)


@pytest.fixture(scope="module")
def demo():
    tables, meta = synth.read_demo(DEMO)
    return tables, meta


def _nps(scores: pd.Series) -> float:
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean())


# --------------------------------------------------------------------------- structure
def test_same_seed_same_world_other_seed_other_world():
    a = synth.simulate(n_customers=600, seed=3)
    b = synth.simulate(n_customers=600, seed=3)
    c = synth.simulate(n_customers=600, seed=4)
    for name in ("customers", "revenue", "surveys", "cases"):
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name])
    assert json.dumps(a.truth) == json.dumps(b.truth)
    assert not a.customers["acquired_at"].equals(c.customers["acquired_at"])
    assert not a.surveys["sent_at"].equals(c.surveys["sent_at"])


def test_tables_have_exactly_the_schema_columns_and_pass_validation(world):
    for name, df in world.tables().items():
        expected = (required_columns(name) + (["invitation_id", "team"] if name == "cases" else [])
                    + {"customers": ["churn_reason"], "cases": ["reason"]}.get(name, []))
        assert list(df.columns) == expected
        SCHEMAS[name].validate(df, lazy=True)
    assert world.as_of == pd.Timestamp("2026-09-30")
    json.dumps(world.truth)  # JSON-serialisable


def test_keys_dates_and_life_spans_are_consistent(world):
    customers, surveys, cases, revenue = world.customers, world.surveys, world.cases, world.revenue
    ids = set(customers["customer_id"])
    for name in ("revenue", "surveys", "cases"):
        assert world.tables()[name]["customer_id"].isin(ids).all()
    for name, df in world.tables().items():
        for column in DATE_COLUMNS[name]:
            assert (df[column].dropna() <= world.as_of).all(), (name, column)
        for early, late in DATE_ORDER[name]:
            both = df[early].notna() & df[late].notna()
            assert (df.loc[both, early] <= df.loc[both, late]).all(), (name, early, late)
    life = customers.set_index("customer_id")[["acquired_at", "churned_at"]]
    end = life["churned_at"].fillna(pd.Timestamp.max)
    s = surveys.join(life, on="customer_id")
    assert (s["sent_at"] >= s["acquired_at"]).all()
    assert (s["sent_at"] < end.loc[s["customer_id"]].to_numpy()).all()     # nothing after churn
    r = revenue.join(life, on="customer_id")
    assert (r["month"] < end.loc[r["customer_id"]].to_numpy()).all()
    assert (r["month"] >= r["acquired_at"].dt.to_period("M").dt.to_timestamp()).all()
    # one revenue row per calendar month of life: acquisition month .. churn month (or as-of month)
    last = customers["churned_at"].fillna(world.as_of)
    months = ((last.dt.year - customers["acquired_at"].dt.year) * 12
              + last.dt.month - customers["acquired_at"].dt.month + 1)
    first_day_churn = customers["churned_at"].dt.day.eq(1)
    months = months - first_day_churn.astype(int)
    assert len(revenue) == months.sum()
    # follow-ups point at answered relationship detractor invitations and open after the answer
    followups = cases[cases["kind"] == "detractor_followup"].merge(
        surveys, on="invitation_id", suffixes=("", "_survey"))
    assert len(followups) == (cases["kind"] == "detractor_followup").sum()
    assert (followups["customer_id"] == followups["customer_id_survey"]).all()
    assert (followups["touchpoint"] == "relationship").all() and (followups["nps"] <= 6).all()
    assert (followups["opened_at"] > followups["responded_at"]).all()
    assert cases.loc[cases["kind"] != "detractor_followup", "invitation_id"].isna().all()
    assert set(cases["sla_hours"].groupby(cases["kind"]).first().items()) == {
        ("detractor_followup", 24.0), ("service_request", 8.0), ("complaint", 48.0)}
    # some cases are still open or unanswered at the as-of date
    assert cases["closed_at"].isna().sum() > 0


def test_non_respondents_have_no_answer_and_scores_fit_the_survey(world):
    s = world.surveys
    silent = s["responded_at"].isna()
    assert s.loc[silent, ["nps", "csat", "ces", "comment"]].isna().all().all()
    rel = s["touchpoint"] == "relationship"
    assert s.loc[rel, ["csat", "ces"]].isna().all().all()
    assert s.loc[~rel, "nps"].isna().all()
    assert s.loc[rel & ~silent, "nps"].notna().all()
    assert s.loc[~rel & ~silent, ["csat", "ces"]].notna().all().all()
    assert set(s["touchpoint"]) == set(TOUCHPOINTS) | {"relationship"}
    assert set(s["channel"]) == {"email", "sms", "web", "phone"}
    assert world.truth["ces_scale"].startswith("CES 1 = very easy")


def test_cases_per_customer_rescales_the_case_volume():
    # Service requests and complaints are rescaled so that all cases / customers hits the target;
    # Poisson noise on ~4,500 cases is about 1.5 %.
    w = synth.simulate(n_customers=1500, seed=5, cases_per_customer=3.0)
    assert len(w.cases) / len(w.customers) == pytest.approx(3.0, rel=0.05)
    assert w.truth["cases"]["cases_per_customer"] == pytest.approx(len(w.cases) / 1500, rel=1e-5)


# --------------------------------------------------------------------------- behaviour
def test_response_rate_is_about_30_percent_and_truth_matches_the_table(world):
    # The intercept is set for ~30 %; with a per-customer responsiveness of SD 2 on the logit
    # scale the realised rate of a 3,000-customer world varies by about 0.8 points between
    # seeds (27.1-29.5 % over seeds 0-5), so 25-35 % is a wide, stable band.
    s = world.surveys
    rate = s["responded_at"].notna().mean()
    assert 0.25 <= rate <= 0.35
    assert world.truth["response_rate"]["overall"] == pytest.approx(rate, abs=1e-6)


def test_respondents_nps_is_above_the_true_population_nps(world):
    s = world.surveys
    answered = s[(s["touchpoint"] == "relationship") & s["nps"].notna()]
    assert world.truth["respondent_nps"] == pytest.approx(_nps(answered["nps"]), abs=1e-3)
    # Customers whose latest answer was a detractor answer less: the naive NPS is biased upwards
    # by several points (30.3 against 18.3 here).
    assert world.truth["respondent_nps"] > world.truth["true_population_nps"] + 5


def test_detractors_churn_more_than_promoters_after_their_answer(world):
    # Share churned within 180 days after the answer; true hazard ratios 2.0 (detractor) and
    # 0.6 (promoter) against passives, so the detractor share should be well above the promoter one.
    s = world.surveys
    answers = s[(s["touchpoint"] == "relationship") & s["nps"].notna()
                & (s["responded_at"] <= world.as_of - pd.Timedelta(days=180))]
    churned = answers["customer_id"].map(world.customers.set_index("customer_id")["churned_at"])
    within = (churned > answers["responded_at"]) & (churned <= answers["responded_at"] + pd.Timedelta(days=180))
    detractor = within[answers["nps"] <= 6].mean()
    promoter = within[answers["nps"] >= 9].mean()
    assert detractor > 2 * promoter


def test_comments_mix_languages_and_html_special_characters(world):
    s = world.surveys
    answered = s["responded_at"].notna()
    comments = s.loc[answered, "comment"]
    assert 0.40 <= comments.notna().mean() <= 0.60
    text = comments.dropna()
    cyrillic = text.str.contains("[\u0400-\u04ff]", regex=True)
    assert 0.02 <= cyrillic.mean() <= 0.09
    assert text.str.contains("[äöüß]", regex=True).any()
    assert (text == "Invoice total was <b>wrong</b> & late").any()
    assert text.str.contains("<script>alert('x')</script>", regex=False).any()
    assert text.str.contains('"', regex=False).any() and text.str.contains("&", regex=False).any()


def test_promoter_share_and_referral_share_rise_together():
    w = synth.simulate(n_customers=4000, seed=9)
    promoters = w.truth["referral"]["promoter_share_by_year"]
    referral = w.truth["referral"]["referral_share_by_year"]
    assert promoters["2026"] > promoters["2021"]
    assert np.mean([referral["2025"], referral["2026"]]) > np.mean([referral["2021"], referral["2022"]])
    assert set(w.customers["acquisition_channel"]) == set(synth.CHANNELS)
    # acquiring costs about five times a year of retention effort
    assert w.truth["acquisition"]["acquisition_to_annual_retention_cost_ratio"] == pytest.approx(5.0, rel=0.1)


def test_baseline_hazard_declines_with_tenure(world):
    h = np.asarray(world.truth["baseline_monthly_hazard"])
    assert h[0] == pytest.approx(0.0135 + 0.022)       # formula in truth, k = 1
    assert np.all(np.diff(h[:24]) < 0) and np.all(np.diff(h) <= 0)   # flat tail once rounded
    assert h[-1] == pytest.approx(0.0135, abs=1e-4)
    # churn risk falls smoothly with the score; the categories still differ as the data show
    assert world.truth["churn_hazard_ratios"]["per_nps_point"] < 1
    by_category = world.truth["churn_hazard_ratios_by_category"]
    assert by_category["detractor_vs_passive"] == pytest.approx(2.0, rel=0.1)
    assert by_category["promoter_vs_passive"] == pytest.approx(0.56, rel=0.1)


# --------------------------------------------------------------------------- files and the demo
def test_write_and_read_round_trip_and_loader(tmp_path):
    w = synth.simulate(n_customers=400, seed=2)
    paths = synth.write_demo(w, tmp_path)
    assert sorted(p.name for p in paths.values()) == [
        "cases.parquet", "customers.csv", "meta.json", "revenue.parquet", "surveys.parquet"]
    tables, meta = synth.read_demo(tmp_path)
    for name, df in w.tables().items():
        pd.testing.assert_frame_equal(tables[name], df)
    assert meta["as_of"] == "2026-09-30" and meta["truth"] == w.truth
    assert meta["generator"] == {"n_customers": 400, "seed": 2, "start": "2021-01-01", "end": "2026-09-30",
                                 "cases_per_customer": None, "transactional_per_month": 1.0,
                                 "followup_hazard_ratio": 0.6}
    from cxlab.io import load

    data = load(tmp_path)
    assert len(data.surveys) == len(w.surveys) and data.as_of == w.as_of


def test_command_line_writes_a_data_folder(tmp_path, capsys):
    assert synth.main(["--out", str(tmp_path / "out"), "--n-customers", "200", "--seed", "1"]) == 0
    meta = json.loads((tmp_path / "out" / "meta.json").read_text(encoding="utf-8"))
    assert meta["generator"]["n_customers"] == 200 and meta["generator"]["seed"] == 1
    assert "surveys" in capsys.readouterr().out


def test_demo_files_equal_a_fresh_simulation(demo):
    tables, meta = demo
    fresh = synth.simulate(**meta["generator"])
    for name, df in fresh.tables().items():
        pd.testing.assert_frame_equal(tables[name], df)
    assert meta["truth"] == fresh.truth
    assert meta["as_of"] == str(fresh.as_of.date())
    total = sum(p.stat().st_size for p in DEMO.iterdir() if p.is_file())
    assert total < 12e6


def test_demo_invoicing_satisfaction_rises_from_about_74_to_91_percent(demo):
    # Latent (true) share of CSAT 4-5 is set to 72.5 % before the 2022-04-01 redesign and climbs
    # to 90.5 %; from 2023 the observed share among respondents sits one to three points higher
    # (customers whose latest NPS answer was a detractor answer fewer surveys). 2021 has ~500
    # answers (binomial SE ~2 points), 2026 ~4,700.
    tables, meta = demo
    s = tables["surveys"]
    inv = s[(s["touchpoint"] == "invoicing") & s["csat"].notna()]
    share = (inv["csat"] >= 4).groupby(inv["sent_at"].dt.year).mean()
    assert 0.68 <= share[2021] <= 0.80
    assert 0.87 <= share[2026] <= 0.95
    assert share[2026] - share[2021] >= 0.12
    truth = meta["truth"]["invoicing_csat_share_by_year"]
    assert truth["2021"] == pytest.approx(0.74, abs=0.03) and truth["2026"] == pytest.approx(0.905, abs=0.02)
    assert meta["truth"]["invoicing_redesign_date"] == "2022-04-01"
    assert share.to_dict() == pytest.approx({int(k): v for k, v in meta["truth"][
        "invoicing_csat_share_by_year_observed"].items()})


def test_demo_key_drivers_recover_the_true_ranking(demo):
    # Regress each relationship NPS answer on the respondent's mean CSAT per touchpoint over the
    # previous 180 days (missing touchpoints set to the column mean). Estimates are attenuated and
    # pulled together by the missing answers, but their order follows the true weights.
    tables, meta = demo
    s = tables["surveys"]
    rel = s[(s["touchpoint"] == "relationship") & s["nps"].notna()][["invitation_id", "customer_id",
                                                                     "responded_at", "nps"]]
    tr = s[(s["touchpoint"] != "relationship") & s["csat"].notna()][["customer_id", "touchpoint",
                                                                     "responded_at", "csat"]]
    pairs = rel.merge(tr, on="customer_id", suffixes=("", "_t"))
    window = (pairs["responded_at_t"] < pairs["responded_at"]) & (
        pairs["responded_at_t"] >= pairs["responded_at"] - pd.Timedelta(days=180))
    x = pairs[window].pivot_table(index="invitation_id", columns="touchpoint", values="csat", aggfunc="mean")
    x = x.reindex(index=rel["invitation_id"], columns=list(TOUCHPOINTS))
    fit = sm.OLS(rel["nps"].to_numpy(), sm.add_constant(x.fillna(x.mean()).to_numpy())).fit()
    estimated = [TOUCHPOINTS[i] for i in np.argsort(-fit.params[1:])]
    assert estimated == meta["truth"]["driver_ranking"]
    assert meta["truth"]["driver_ranking"][:3] == ["delivery", "invoicing", "support"]


def _person_months(customers: pd.DataFrame, surveys: pd.DataFrame, cases: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per customer and calendar month at risk with the covariates documented in truth."""
    acquired = customers["acquired_at"].dt.to_period("M")
    last = customers["churned_at"].fillna(pd.Timestamp(as_of)).dt.to_period("M")
    count = ((last.dt.year - acquired.dt.year) * 12 + last.dt.month - acquired.dt.month).to_numpy()
    row = np.repeat(np.arange(len(customers)), count)
    tenure = np.arange(count.sum()) - np.repeat(np.r_[0, np.cumsum(count)[:-1]], count) + 1
    month = (pd.PeriodIndex(acquired.to_numpy()[row]) + tenure).to_timestamp()
    pm = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy()[row], "tenure": tenure,
                       "month": month.astype("datetime64[ns]"), "segment": customers["segment"].to_numpy()[row],
                       "annual": (customers["contract"].to_numpy()[row] == "annual").astype(float)})
    churn_month = customers["churned_at"].dt.to_period("M").dt.to_timestamp().to_numpy()[row]
    pm["event"] = (pm["month"].to_numpy() == churn_month).astype(float)
    pm = pm.sort_values("month")
    rel = surveys.loc[(surveys["touchpoint"] == "relationship") & surveys["nps"].notna(),
                      ["customer_id", "responded_at", "nps"]]
    pm = pd.merge_asof(pm, rel.rename(columns={"responded_at": "month"}).sort_values("month"), on="month",
                       by="customer_id", allow_exact_matches=False)
    responses = cases.loc[(cases["kind"] == "detractor_followup") & cases["first_response_at"].notna(),
                          ["customer_id", "first_response_at"]]
    pm = pd.merge_asof(pm, responses.assign(month=responses["first_response_at"]).sort_values("month"),
                       on="month", by="customer_id", allow_exact_matches=False)
    months_since = ((pm["month"].dt.year - pm["first_response_at"].dt.year) * 12
                    + pm["month"].dt.month - pm["first_response_at"].dt.month)
    ces = surveys.loc[surveys["ces"].notna(), ["customer_id", "responded_at", "ces"]]
    pm = pd.merge_asof(pm, ces.rename(columns={"responded_at": "month"}).sort_values("month"), on="month",
                       by="customer_id", allow_exact_matches=False)
    out = pd.DataFrame({
        "score": (pm["nps"] - 7.5).fillna(0.0),
        "none": pm["nps"].isna().astype(float),
        "followup": months_since.between(1, 12).astype(float),
        "annual": pm["annual"],
        "mid_market": (pm["segment"] == "Mid-market").astype(float),
        "enterprise": (pm["segment"] == "Enterprise").astype(float),
        "ces": (pm["ces"] - 3).fillna(0.0),
        "tenure": np.minimum(pm["tenure"], 37),
        "event": pm["event"],
    })
    return out


def test_demo_churn_hazard_ratios_are_recovered_from_the_tables(demo):
    # Rebuild the covariates exactly as truth["churn_model"] documents them, from the tables only,
    # and fit the discrete-time proportional hazard P(churn in month) = h0(tenure) * exp(lp) as a
    # Poisson log-linear model on person-month cells (tenure dummies, 37+ pooled: the baseline is
    # flat there). Every true log hazard ratio of a recorded covariate must lie within 3 standard
    # errors. The customer value no table records also drives the follow-up, so the follow-up's
    # estimate is biased towards a larger effect: that is what the causal designs are for.
    tables, meta = demo
    pm = _person_months(tables["customers"], tables["surveys"], tables["cases"], meta["as_of"])
    covariates = ["score", "none", "followup", "annual", "mid_market", "enterprise", "ces"]
    cells = pm.groupby(covariates + ["tenure"], as_index=False).agg(event=("event", "sum"),
                                                                      exposure=("event", "size"))
    design = pd.concat([cells[covariates], pd.get_dummies(cells["tenure"], prefix="t", dtype=float)], axis=1)
    fit = sm.GLM(cells["event"], design, family=sm.families.Poisson(),
                 offset=np.log(cells["exposure"])).fit()
    truth = meta["truth"]["churn_log_hazard_ratios"]
    names = {"score": "per_nps_point", "none": "no_response_vs_passive", "annual": "annual_vs_monthly",
             "mid_market": "segment_Mid-market_vs_SMB", "enterprise": "segment_Enterprise_vs_SMB",
             "ces": "per_unit_ces"}
    for column, key in names.items():
        assert abs(fit.params[column] - truth[key]) < 3 * fit.bse[column], (key, fit.params[column], truth[key])
    assert fit.params["followup"] < np.log(meta["truth"]["followup_hazard_ratio"])
    assert pm["event"].sum() == tables["customers"]["churned_at"].notna().sum()
    assert 0.12 <= meta["truth"]["annual_churn_rate"] <= 0.20


def test_demo_followups_cover_most_detractors_and_mostly_keep_the_24h_promise(demo):
    tables, meta = demo
    s, cases = tables["surveys"], tables["cases"]
    detractors = s[(s["touchpoint"] == "relationship") & (s["nps"] <= 6)]
    followups = cases[cases["kind"] == "detractor_followup"]
    coverage = len(followups) / len(detractors)
    assert 0.70 <= coverage <= 0.80
    assert coverage == pytest.approx(meta["truth"]["followup_coverage"], abs=1e-5)
    hours = (followups["first_response_at"] - followups["opened_at"]).dt.total_seconds().dropna() / 3600
    assert 0.74 <= (hours <= 24).mean() <= 0.86
    assert (hours <= 24).mean() == pytest.approx(meta["truth"]["sla_24h_kept_share"], abs=1e-5)


def test_world_parameters_are_frozen_and_the_former_names_read_the_defaults():
    defaults = synth.WorldParameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.followup_hazard_ratio = 0.8
    assert synth.DEFAULT_FOLLOWUP_HAZARD_RATIO == defaults.followup_hazard_ratio == 0.6
    assert synth.CHURN_LOG_HR == defaults.churn_log_hazard_ratios
    assert synth.BASELINE_LATE == defaults.baseline_late_monthly_hazard == 0.0135
    # the invoicing share before the redesign is the invoicing entry of the base top-2 shares, one value
    assert synth.INVOICING_TOP2_BEFORE == synth.CSAT_BASE_TOP2["invoicing"] == 0.725
    with pytest.raises(ValueError, match="followup_hazard_ratio must be positive"):
        synth.simulate(n_customers=10, followup_hazard_ratio=0)


def test_non_default_parameters_change_the_world_and_are_recorded_in_the_truth(world):
    # Doubling the late baseline hazard and strengthening the annual-contract ratio from 0.55 to 0.3
    # leaves annual customers' late hazard about as it was (2 x 0.3 = 0.6 vs 0.55) and raises the
    # monthly customers' one twofold.
    parameters = dataclasses.replace(
        synth.WorldParameters(), baseline_late_monthly_hazard=0.027,
        churn_log_hazard_ratios=synth.CHURN_LOG_HR | {"annual_vs_monthly": np.log(0.3)})
    changed = synth.simulate(n_customers=3000, seed=7, parameters=parameters)
    assert changed.parameters is parameters
    assert world.parameters == synth.DEFAULT_PARAMETERS

    truth = changed.truth
    k = np.arange(1, len(truth["baseline_monthly_hazard"]) + 1)
    np.testing.assert_allclose(truth["baseline_monthly_hazard"], 0.027 + 0.022 * np.exp(-(k - 1) / 5.0), rtol=1e-5)
    assert truth["baseline_monthly_hazard_formula"].startswith("0.027 + 0.022")
    assert truth["churn_hazard_ratios"]["annual_vs_monthly"] == pytest.approx(0.3)
    assert world.truth["churn_hazard_ratios"]["annual_vs_monthly"] == pytest.approx(0.55)

    # the same seed draws the same customers; only who churns when changes
    pd.testing.assert_series_equal(changed.customers["acquired_at"], world.customers["acquired_at"])
    assert truth["annual_churn_rate"] > 1.15 * world.truth["annual_churn_rate"]
    churned = {name: w.customers.groupby("contract")["churned_at"].apply(lambda s: s.notna().mean())
               for name, w in (("default", world), ("changed", changed))}
    assert churned["changed"]["monthly"] - churned["default"]["monthly"] > 0.08
    assert abs(churned["changed"]["annual"] - churned["default"]["annual"]) < 0.04


def test_the_followup_argument_is_shorthand_for_the_parameter():
    by_argument = synth.simulate(n_customers=800, seed=3, followup_hazard_ratio=0.9)
    by_parameters = synth.simulate(n_customers=800, seed=3, parameters=dataclasses.replace(
        synth.DEFAULT_PARAMETERS, followup_hazard_ratio=0.9))
    pd.testing.assert_frame_equal(by_argument.customers, by_parameters.customers)
    assert by_argument.truth == by_parameters.truth
    assert by_argument.truth["followup_hazard_ratio"] == 0.9
    assert by_argument.params["followup_hazard_ratio"] == 0.9
