"""Cox models of churn: published reference values, exact aggregation, fallback, truth recovery."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, CoxTimeVaryingFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import proportional_hazard_test

from cxlab.survival import (
    ChurnCox,
    TimeVaryingChurnCox,
    fit_cox,
    fit_time_varying_cox,
    plot_hazard_ratios,
    time_varying_frame,
)
from cxlab.synth import simulate

matplotlib.use("Agg")

ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
# R survival::coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi),
# Efron ties. Source: Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R",
# appendix to An R Companion to Applied Regression (2nd ed., 2011), coefficient table.
R_COEF = {"fin": -0.37942, "age": -0.05744, "race": 0.31390, "wexp": -0.14980, "mar": -0.43370,
          "paro": -0.08487, "prio": 0.09150}
R_SE = {"fin": 0.19138, "age": 0.02200, "race": 0.30799, "wexp": 0.21222, "mar": 0.38187,
        "paro": 0.19576, "prio": 0.02865}
# lifelines' default stopping rule (log-likelihood changing by less than 1e-9 of itself) leaves coefficients a few
# 1e-6 short of the maximum on thousands of customers: the references here are run to convergence
CONVERGED = {"precision": 1e-12, "r_precision": 1e-15}


def test_rossi_matches_r_coxph_efron():
    cox = fit_cox(load_rossi(), duration_col="week", event_col="arrest", covariates=ROSSI_COVARIATES)
    table = cox.hazard_ratios_
    for name in ROSSI_COVARIATES:
        assert table.loc[name, "coef"] == pytest.approx(R_COEF[name], abs=1e-4)
        assert table.loc[name, "se"] == pytest.approx(R_SE[name], abs=1e-4)
    assert table.loc["fin", "hazard_ratio"] == pytest.approx(np.exp(-0.37942), abs=1e-4)
    assert cox.penalizer_ == 0.0 and cox.warnings_ == []
    assert cox.n_events_ == 114 and cox.n_rows_ == 432


def _tied_world(n=3000, seed=0):
    """Monthly tenure (heavy ties) with categorical covariates and a known hazard."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["SMB", "Mid", "Ent"], n, p=[0.5, 0.3, 0.2])
    category = rng.choice(["detractor", "passive", "promoter"], n, p=[0.25, 0.35, 0.4])
    annual = rng.integers(0, 2, n)
    log_hr = (np.select([category == "detractor", category == "promoter"], [np.log(2.0), np.log(0.6)], 0.0)
              + np.select([segment == "Mid", segment == "Ent"], [np.log(0.8), np.log(0.6)], 0.0)
              + np.log(0.55) * annual)
    churn_month = np.ceil(rng.exponential(1 / (0.03 * np.exp(log_hr)))).astype(int)
    censor_month = rng.integers(0, 48, n)
    return pd.DataFrame({
        "tenure_months": np.minimum(churn_month, censor_month),
        "churned": (churn_month <= censor_month).astype(int),
        "segment": segment, "nps_category": category, "annual": annual,
    })


def test_fit_on_cells_equals_lifelines_on_individual_rows():
    frame = _tied_world()
    merged = fit_cox(frame, covariates=["nps_category", "segment", "annual"])
    assert merged.n_rows_fitted_ < 0.5 * merged.n_rows_
    counted = frame.groupby(["tenure_months", "churned", "nps_category", "segment", "annual"]).size()
    grouped = fit_cox(counted.rename("customers").reset_index(), covariates=["nps_category", "segment", "annual"],
                      weights_col="customers")
    pd.testing.assert_frame_equal(merged.hazard_ratios_, grouped.hazard_ratios_, rtol=1e-9)
    assert merged.log_likelihood_ == pytest.approx(grouped.log_likelihood_, rel=1e-12)
    # lifelines directly on one row per customer with hand-made dummies
    direct = frame.assign(**{
        "nps_category[detractor]": (frame["nps_category"] == "detractor") * 1.0,
        "nps_category[promoter]": (frame["nps_category"] == "promoter") * 1.0,
        "segment[Ent]": (frame["segment"] == "Ent") * 1.0,
        "segment[Mid]": (frame["segment"] == "Mid") * 1.0,
    }).drop(columns=["nps_category", "segment"])
    reference = CoxPHFitter().fit(direct, "tenure_months", "churned", batch_mode=True, fit_options=CONVERGED)
    for term in reference.params_.index:
        assert merged.hazard_ratios_.loc[term, "coef"] == pytest.approx(reference.params_[term], abs=1e-8)
        assert merged.hazard_ratios_.loc[term, "se"] == pytest.approx(reference.standard_errors_[term], abs=1e-8)
    assert merged.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=1e-8)
    # proportional-hazards test on the merged fit equals lifelines' on individual rows (for the
    # transforms that do not depend on the order of tied churners, see cxlab.survival.ph_test)
    for transform in ("identity", "km"):
        ph = merged.check_proportional_hazards(time_transform=transform)
        ph_direct = proportional_hazard_test(reference, direct, time_transform=transform).summary
        for term in reference.params_.index:
            assert ph.loc[term, "test_statistic"] == pytest.approx(ph_direct.loc[term, "test_statistic"], rel=1e-8)


def test_reference_levels_counts_and_sentences():
    frame = _tied_world()
    cox = fit_cox(frame, covariates=["nps_category", "segment"], baseline={"segment": "Ent"})
    table = cox.hazard_ratios_
    assert list(table.index) == ["nps_category[detractor]", "nps_category[promoter]", "segment[Mid]",
                                 "segment[SMB]"]
    assert set(table["reference"]) == {"passive", "Ent"}
    assert table.loc["nps_category[detractor]", "n"] == (frame["nps_category"] == "detractor").sum()
    assert table.loc["nps_category[detractor]", "events"] == frame.loc[
        frame["nps_category"] == "detractor", "churned"].sum()
    row = table.loc["nps_category[detractor]"]
    assert row["sentence"] == (f"Detractors churn {row['hazard_ratio']:.1f}x as fast as passives "
                               f"(95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}).")
    assert 1.6 < row["hazard_ratio"] < 2.5  # generated with 2.0
    with pytest.raises(ValueError, match="baseline for 'segment' is 'Huge'"):
        fit_cox(frame, covariates=["segment"], baseline={"segment": "Huge"})
    with pytest.raises(ValueError, match=r"\['region'\]"):
        fit_cox(frame, covariates=["segment", "region"])
    with pytest.raises(ValueError, match="'churned' must be 0"):
        fit_cox(frame.assign(churned=2), covariates=["segment"])


def test_constant_and_collinear_columns_are_dropped_with_a_warning():
    frame = _tied_world().assign(
        region="North",                                      # constant
        annual_twice=lambda d: 2.0 * d["annual"] + 1.0,      # collinear with annual
    )
    cox = fit_cox(frame, covariates=["nps_category", "annual", "region", "annual_twice"])
    assert "annual_twice" not in cox.hazard_ratios_.index
    assert not any(t.startswith("region") for t in cox.hazard_ratios_.index)
    assert cox.dropped_terms_ == ["annual_twice"]
    assert "'region' has a single level ('North') and was left out." in cox.warnings_
    assert any("annual_twice" in w and "collinear" in w for w in cox.warnings_)
    with pytest.raises(ValueError, match="no covariate is left to fit"):
        fit_cox(frame, covariates=["region"])
    clean = fit_cox(frame, covariates=["nps_category", "annual"])
    pd.testing.assert_series_equal(cox.hazard_ratios_["coef"], clean.hazard_ratios_["coef"], rtol=1e-10)


def test_complete_separation_refits_with_a_penalty():
    frame = _tied_world()
    # nobody in "VIP" ever churns: the unpenalised hazard ratio runs off to zero
    vip = np.random.default_rng(1).random(len(frame)) < 0.1
    frame["tier"] = np.where(vip & (frame["churned"] == 0), "VIP", "standard")
    cox = fit_cox(frame, covariates=["nps_category", "tier"])
    assert cox.penalizer_ == 0.1
    assert any("L2 penalty of 0.1" in w for w in cox.warnings_)
    assert np.isfinite(cox.hazard_ratios_[["hazard_ratio", "ci_low", "ci_high"]].to_numpy()).all()
    penalised = CoxPHFitter(penalizer=0.1)
    direct = frame.assign(**{
        "nps_category[detractor]": (frame["nps_category"] == "detractor") * 1.0,
        "nps_category[promoter]": (frame["nps_category"] == "promoter") * 1.0,
        "tier[VIP]": (frame["tier"] == "VIP") * 1.0,
    })[["tenure_months", "churned", "nps_category[detractor]", "nps_category[promoter]", "tier[VIP]"]]
    penalised.fit(direct, "tenure_months", "churned", batch_mode=True)
    assert cox.hazard_ratios_["coef"].to_numpy() == pytest.approx(penalised.params_.to_numpy(), abs=1e-6)


def test_look_ahead_frames_are_flagged():
    frame = _tied_world()
    frame.attrs["look_ahead"] = True
    cox = fit_cox(frame, covariates=["annual"])
    assert any("descriptive" in w for w in cox.warnings_)


def test_time_varying_cox_equals_lifelines_on_individual_rows():
    rng = np.random.default_rng(3)
    n = 1500
    # each customer: an interval before and after a change of state at month 4
    first_stop = np.full(n, 4)
    churn = np.ceil(rng.exponential(20, n)).astype(int) + 1
    late = rng.random(n) < 0.4
    stop2 = np.minimum(churn, 30)
    tv = pd.DataFrame({
        "customer_id": np.repeat(np.arange(n), 2).astype(str),
        "start_months": np.column_stack([np.zeros(n, int), first_stop]).ravel(),
        "stop_months": np.column_stack([first_stop, np.maximum(stop2, 5)]).ravel(),
        "churned": np.column_stack([np.zeros(n, int), (churn <= 30) * 1]).ravel(),
        "detractor": np.column_stack([np.zeros(n, int), late * 1]).ravel(),
        "segment": np.repeat(rng.choice(["A", "B"], n), 2),
    })
    model = fit_time_varying_cox(tv, covariates=["detractor", "segment"], baseline={"segment": "A"})
    direct = tv.assign(**{"segment[B]": (tv["segment"] == "B") * 1.0}).drop(columns="segment")
    reference = CoxTimeVaryingFitter().fit(direct, event_col="churned", start_col="start_months",
                                           stop_col="stop_months", id_col="customer_id")
    assert model.n_rows_fitted_ < len(tv)
    for term in ["detractor", "segment[B]"]:
        assert model.hazard_ratios_.loc[term, "coef"] == pytest.approx(reference.params_[term], abs=1e-7)
        assert model.hazard_ratios_.loc[term, "se"] == pytest.approx(reference.standard_errors_[term], abs=1e-7)
    assert model.hazard_ratios_.loc["detractor", "n"] == late.sum()
    assert model.hazard_ratios_.loc["segment[B]", "n"] == (tv["segment"].to_numpy()[::2] == "B").sum()  # customers
    with pytest.raises(ValueError, match="'start_months' < 'stop_months'"):
        fit_time_varying_cox(tv.assign(stop_months=0), covariates=["detractor"])


def _truth_check(world, terms):
    tv = time_varying_frame(world.customers, world.surveys, world.cases, as_of=world.as_of)
    model = fit_time_varying_cox(tv, covariates=["nps_category", "followup", "ces", "segment", "contract"])
    truth = world.truth["churn_hazard_ratios"] | world.truth["churn_hazard_ratios_by_category"]
    for term, key in terms.items():
        row = model.hazard_ratios_.loc[term]
        assert row["ci_low"] <= truth[key] <= row["ci_high"], (term, row[["hazard_ratio", "ci_low", "ci_high"]])
    return model


def _same_fit(by_cause, direct):
    """Two fits of one model on the same cells, merged in another order: equal to rounding."""
    pd.testing.assert_frame_equal(by_cause.hazard_ratios_.drop(columns="sentence"),
                                  direct.hazard_ratios_.drop(columns="sentence"), check_exact=False, rtol=1e-9)
    assert (by_cause.n_events_, by_cause.n_rows_fitted_, by_cause.penalizer_) == (
        direct.n_events_, direct.n_rows_fitted_, direct.penalizer_)
    assert by_cause.warnings_ == direct.warnings_
    assert by_cause.log_likelihood_ == pytest.approx(direct.log_likelihood_, rel=1e-12)


def test_models_by_cause_equal_each_cause_fitted_on_its_own():
    frame = _tied_world(n=4000, seed=5)
    churned = frame["churned"] == 1
    draw = np.random.default_rng(6).choice(["price", "service", "moved", "rare"], len(frame), p=[0.4, 0.3, 0.29, 0.01])
    # a churn of no known cause censors in every model; causes on censored rows are not read
    frame["cause"] = np.where(churned & (np.arange(len(frame)) % 10 == 0), None, draw)
    frame["entered"] = np.minimum(frame["tenure_months"] - 1, 2).clip(lower=0)
    counts = frame.loc[churned, "cause"].value_counts()
    assert counts["rare"] < 30 <= counts.drop("rare").min()
    model = ChurnCox(["nps_category", "annual"], baseline={"nps_category": "passive"})
    fits = dict(model.fit_by_cause(frame, "cause", min_events=30, entry_col="entered", strata="segment"))
    assert list(fits) == ["moved", "price", "service"]  # in the order of the causes, those with 30 churns or more
    assert not hasattr(model, "model_")  # the model itself is left unfitted
    for cause, fitted in fits.items():
        own = frame.assign(churned=(churned & (frame["cause"] == cause)).astype(int))
        direct = ChurnCox(["nps_category", "annual"], baseline={"nps_category": "passive"}).fit(
            own, entry_col="entered", strata="segment")
        assert fitted.n_events_ == counts[cause]
        _same_fit(fitted, direct)


def test_time_varying_models_by_cause_equal_each_cause_fitted_on_its_own():
    world = simulate(n_customers=3000, seed=11)
    tv = time_varying_frame(world.customers, world.surveys, world.cases, as_of=world.as_of)
    cause = np.random.default_rng(2).choice(["a", "b", "c"], len(tv), p=[0.5, 0.3, 0.2])
    tv["cause"] = cause  # read on the churned intervals only
    fits = dict(TimeVaryingChurnCox(["nps_category", "ces"]).fit_by_cause(tv, "cause"))
    assert list(fits) == ["a", "b", "c"]
    for name, fitted in fits.items():
        own = tv.assign(churned=((tv["churned"] == 1) & (tv["cause"] == name)).astype(int))
        direct = fit_time_varying_cox(own, covariates=["nps_category", "ces"])
        assert fitted.n_customers_ == direct.n_customers_
        _same_fit(fitted, direct)


def test_time_varying_cox_recovers_the_category_contrasts():
    # The generator's hazard is smooth in the latest answered score; the category contrasts the data show
    # are truth["churn_hazard_ratios_by_category"]. The promoters' is recovered. The detractors' term
    # describes detractors without a follow-up, who are also of lower unrecorded value (follow-ups go to
    # valuable customers), so it exceeds the score-only contrast; for the same reason the follow-up term
    # is not the generator's effect (cxlab.causal estimates that).
    world = simulate(n_customers=5000, seed=1)
    model = _truth_check(world, {"nps_category[promoter]": "promoter_vs_passive"})
    assert model.penalizer_ == 0.0
    detractor = model.hazard_ratios_.loc["nps_category[detractor]", "hazard_ratio"]
    assert detractor > world.truth["churn_hazard_ratios_by_category"]["detractor_vs_passive"]


@pytest.mark.slow
def test_time_varying_cox_recovers_hazard_ratios_on_a_large_world():
    # The generator's parameters lie in the intervals. The category contrasts are realised averages of
    # the smooth score term (truth["churn_hazard_ratios_by_category"]): the promoters' is recovered within
    # 10%; the detractors' term here describes detractors *without* a follow-up, who are also of lower
    # unrecorded value (follow-ups go to valuable customers), so it exceeds the score-only contrast.
    world = simulate(n_customers=20_000, seed=7)
    terms = {"contract[annual]": "annual_vs_monthly", "segment[Enterprise]": "segment_Enterprise_vs_SMB",
             "segment[Mid-market]": "segment_Mid-market_vs_SMB"}
    model = _truth_check(world, terms)
    by_category = world.truth["churn_hazard_ratios_by_category"]
    ratios = model.hazard_ratios_["hazard_ratio"]
    assert ratios["nps_category[promoter]"] == pytest.approx(by_category["promoter_vs_passive"], rel=0.1)
    assert model.hazard_ratios_.loc["nps_category[detractor]", "ci_low"] > by_category["detractor_vs_passive"]


def test_forest_plot_has_labels():
    cox = fit_cox(_tied_world(), covariates=["nps_category", "annual"])
    ax = plot_hazard_ratios(cox)
    assert ax.get_title() == "Churn hazard ratios"
    assert "Hazard ratio" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["annual", "Promoter", "Detractor"]


def test_model_is_lifelines_like():
    model = ChurnCox(["fin", "prio"])
    assert model.fit(load_rossi(), duration_col="week", event_col="arrest") is model
    assert "hazard_ratio" in model.summary.columns
    assert "<table" in model._repr_html_()
    assert len(model.sentences()) == 2


GROUPED_COVARIATES = ["fin", "race", "wexp", "mar", "paro"]


def _grouped_rossi():
    """Rossi's 432 people aggregated to one row per (week, arrest, binary covariates) with a count."""
    return load_rossi().groupby(["week", "arrest", *GROUPED_COVARIATES]).size().rename("people").reset_index()


def test_grouped_event_rows_give_the_ungrouped_efron_fit():
    # Reference: lifelines' CoxPHFitter (Efron) on one row per person. Fitted directly on the grouped rows
    # with the counts as weights it gives fin = -0.402417 instead of -0.402452, because its Efron correction
    # runs per row; a churned row standing for several people counts as that many tied churners.
    rossi = load_rossi()
    reference = CoxPHFitter().fit(rossi[["week", "arrest", *GROUPED_COVARIATES]], "week", "arrest",
                                  fit_options=CONVERGED)
    grouped = _grouped_rossi()
    assert (grouped.loc[grouped["arrest"] == 1, "people"] > 1).sum() == 11
    cox = fit_cox(grouped, duration_col="week", event_col="arrest", covariates=GROUPED_COVARIATES,
                  weights_col="people")
    for name in GROUPED_COVARIATES:
        assert cox.hazard_ratios_.loc[name, "coef"] == pytest.approx(reference.params_[name], abs=1e-6)
        assert cox.hazard_ratios_.loc[name, "se"] == pytest.approx(reference.standard_errors_[name], abs=1e-6)
    assert cox.n_events_ == 114
    ungrouped = fit_cox(rossi, duration_col="week", event_col="arrest", covariates=GROUPED_COVARIATES)
    ours = cox.check_proportional_hazards(time_transform="km")["test_statistic"]
    np.testing.assert_allclose(ours, ungrouped.check_proportional_hazards(time_transform="km")["test_statistic"],
                               rtol=1e-6)


def test_fractional_weights_on_churned_rows_are_rejected():
    frame = _grouped_rossi().assign(people=lambda f: f["people"] * 0.5)
    with pytest.raises(ValueError, match="whole number of customers on churned rows"):
        fit_cox(frame, duration_col="week", event_col="arrest", covariates=GROUPED_COVARIATES, weights_col="people")


def test_time_varying_model_of_the_demo_equals_lifelines(demo_data):
    # the churn page's model: the report's covariates on the demo's start/stop frame
    from cxlab.sections.churn import COX_COVARIATES
    from cxlab.survival.design import build_design

    data = demo_data
    tv = time_varying_frame(data.customers, data.surveys, data.cases, as_of=data.as_of)
    model = fit_time_varying_cox(tv, covariates=COX_COVARIATES)
    assert model.n_rows_fitted_ < len(tv) / 2
    direct = build_design(tv, COX_COVARIATES).matrix.assign(
        start=tv["start_months"], stop=tv["stop_months"], churned=tv["churned"], id=tv["customer_id"])
    reference = CoxTimeVaryingFitter().fit(direct, id_col="id", event_col="churned", start_col="start",
                                           stop_col="stop", fit_options={"precision": 1e-12})
    table = model.hazard_ratios_
    np.testing.assert_allclose(table["coef"], reference.params_[table.index], rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["se"], reference.standard_errors_[table.index], rtol=0, atol=1e-6)
    assert model.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=1e-6)
