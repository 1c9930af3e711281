"""Cox fits from risk-set sums over cells: equal to lifelines' row-level fits, exact aggregation, robust variance."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi

import cxlab.io
from cxlab.survival.design import build_design
from cxlab.survival.risk_sets import CoxConvergenceError, cox_cells, fit_cox_cells
from cxlab.tenure import tenure_frame

ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
TOLERANCE = 1e-6
# lifelines stops by default once the log-likelihood changes by less than 1e-9 of itself, which on a few thousand
# customers leaves coefficients up to 4e-6 short of the maximum; the references here are run to convergence
CONVERGED = {"precision": 1e-12, "r_precision": 1e-15}


def _lifelines(frame, duration_col, event_col, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns that weights which are not whole need robust=True
        return CoxPHFitter().fit(frame, duration_col, event_col, fit_options=CONVERGED, **options)


def _assert_equal_to_lifelines(fit, reference, *, log_likelihood=True):
    names = list(reference.params_.index)
    np.testing.assert_allclose(fit.params[names], reference.params_[names], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(fit.standard_errors[names], reference.standard_errors_[names], rtol=0, atol=TOLERANCE)
    if log_likelihood:
        assert fit.log_likelihood == pytest.approx(reference.log_likelihood_, abs=TOLERANCE)


def _monthly_world(n=4000, seed=0):
    """Monthly tenure (a few dozen distinct values shared by thousands: heavy ties) and categorical covariates."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 3, n)
    detractor = rng.random(n) < 0.25
    annual = rng.integers(0, 2, n)
    log_hr = np.log(2.0) * detractor + np.log(0.55) * annual + np.log(0.8) * (segment == 1) + np.log(0.6) * (
        segment == 2)
    churn = np.ceil(rng.exponential(1 / (0.03 * np.exp(log_hr)))).astype(int)
    censor = rng.integers(1, 48, n)
    return pd.DataFrame({"tenure_months": np.minimum(churn, censor), "churned": (churn <= censor).astype(int),
                         "detractor": detractor * 1.0, "annual": annual * 1.0,
                         "mid": (segment == 1) * 1.0, "enterprise": (segment == 2) * 1.0})


MONTHLY = ["detractor", "annual", "mid", "enterprise"]


def test_rossi_equals_lifelines_and_r():
    rossi = load_rossi()
    fit = fit_cox_cells(cox_cells(rossi, ROSSI_COVARIATES, duration_col="week", event_col="arrest"))
    reference = CoxPHFitter().fit(rossi, "week", "arrest")
    _assert_equal_to_lifelines(fit, reference)
    assert fit.log_likelihood_null == pytest.approx(reference._ll_null_, abs=TOLERANCE)
    # R survival::coxph, Efron ties (Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R",
    # appendix to An R Companion to Applied Regression, 2nd ed., 2011): fin -0.37942 (se 0.19138), log-likelihood
    # -658.748 at the estimate and -675.377 at zero (likelihood-ratio test 33.27 on 7 df)
    assert fit.params["fin"] == pytest.approx(-0.37942, abs=1e-5)
    assert fit.standard_errors["fin"] == pytest.approx(0.19138, abs=1e-5)
    assert 2 * (fit.log_likelihood - fit.log_likelihood_null) == pytest.approx(33.27, abs=0.01)
    assert (fit.n_rows, fit.n_events) == (432, 114)


def test_ties_heavy_monthly_data_equal_lifelines_in_few_cells():
    frame = _monthly_world()
    cells = cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned")
    assert cells.n_cells < len(frame) / 4
    fit = fit_cox_cells(cells)
    _assert_equal_to_lifelines(fit, _lifelines(frame, "tenure_months", "churned", batch_mode=True))
    assert fit.summary.loc["detractor", "hazard_ratio"] == pytest.approx(2.0, rel=0.15)  # generated with 2.0


def test_aggregated_rows_give_the_expanded_fit():
    frame = _monthly_world()
    counted = frame.groupby(["tenure_months", "churned", *MONTHLY]).size().rename("customers").reset_index()
    assert len(counted) < len(frame) / 4
    expanded = fit_cox_cells(cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned"),
                             robust=True)
    aggregated = fit_cox_cells(cox_cells(counted, MONTHLY, duration_col="tenure_months", event_col="churned",
                                         counts_col="customers"), robust=True)
    pd.testing.assert_series_equal(aggregated.params, expanded.params, rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(aggregated.variance, expanded.variance, rtol=1e-9)
    pd.testing.assert_frame_equal(aggregated.naive_variance, expanded.naive_variance, rtol=1e-9)
    with pytest.raises(ValueError, match="clusters need cells built from one row per unit"):
        fit_cox_cells(cox_cells(counted, MONTHLY, duration_col="tenure_months", event_col="churned",
                                counts_col="customers"), clusters=np.arange(len(counted)))
    assert aggregated.log_likelihood == pytest.approx(expanded.log_likelihood, rel=1e-12)
    assert aggregated.n_events == expanded.n_events == frame["churned"].sum()


def test_entry_times_equal_lifelines():
    rng = np.random.default_rng(1)
    frame = _monthly_world(seed=1)
    frame["entry_months"] = np.floor(rng.random(len(frame)) * frame["tenure_months"]).astype(int)
    fit = fit_cox_cells(cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned",
                                  entry_col="entry_months"))
    reference = _lifelines(frame, "tenure_months", "churned", entry_col="entry_months")
    _assert_equal_to_lifelines(fit, reference)
    ignoring_entry = fit_cox_cells(cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned"))
    assert abs(ignoring_entry.log_likelihood - fit.log_likelihood) > 1  # the entry times do change the risk sets


def test_weights_equal_lifelines_with_ties():
    rng = np.random.default_rng(2)
    frame = _monthly_world(seed=2)
    frame["w"] = rng.choice([0.5, 1.0, 2.5], len(frame))
    fit = fit_cox_cells(cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned",
                                  weights_col="w"))
    _assert_equal_to_lifelines(fit, _lifelines(frame, "tenure_months", "churned", weights_col="w", batch_mode=True))


def test_strata_equal_lifelines():
    rossi = load_rossi()
    covariates = ["fin", "age", "prio", "paro"]
    fit = fit_cox_cells(cox_cells(rossi, covariates, duration_col="week", event_col="arrest",
                                  strata=["race", "wexp"]))
    reference = CoxPHFitter().fit(rossi[["week", "arrest", *covariates, "race", "wexp"]], "week", "arrest",
                                  strata=["race", "wexp"])
    _assert_equal_to_lifelines(fit, reference)


def _tie_free_rossi(seed=0):
    rng = np.random.default_rng(seed)
    return load_rossi().assign(week=lambda f: f["week"] + rng.random(len(f)), w=rng.uniform(0.5, 2.0, 432),
                               person=rng.integers(0, 150, 432))


def test_robust_variance_equals_lifelines_without_ties():
    rossi = _tie_free_rossi()
    data = rossi[["week", "arrest", *ROSSI_COVARIATES]]
    fit = fit_cox_cells(cox_cells(data, ROSSI_COVARIATES, duration_col="week", event_col="arrest"), robust=True)
    _assert_equal_to_lifelines(fit, CoxPHFitter().fit(data, "week", "arrest", robust=True))
    assert not np.allclose(fit.standard_errors, np.sqrt(np.diag(fit.naive_variance)), rtol=1e-3)
    weighted = rossi[["week", "arrest", "w", *ROSSI_COVARIATES]]
    fit = fit_cox_cells(cox_cells(weighted, ROSSI_COVARIATES, duration_col="week", event_col="arrest",
                                  weights_col="w"), robust=True)
    _assert_equal_to_lifelines(fit, _lifelines(weighted, "week", "arrest", weights_col="w", robust=True))


def test_clustered_robust_variance_equals_lifelines_without_ties():
    rossi = _tie_free_rossi(seed=3)
    data = rossi[["week", "arrest", "w", "person", *ROSSI_COVARIATES]]
    fit = fit_cox_cells(cox_cells(data, ROSSI_COVARIATES, duration_col="week", event_col="arrest",
                                  weights_col="w"), clusters=data["person"].to_numpy())
    reference = _lifelines(data, "week", "arrest", weights_col="w", cluster_col="person")
    _assert_equal_to_lifelines(fit, reference)


def test_score_residuals_with_ties_are_the_derivative_of_the_estimate():
    # With tied churn times lifelines takes each churner's risk set in its row order, so there is no lifelines
    # reference. The sandwich rests on dbeta/dw_i = V r_i (V the inverse information, r_i row i's score residual):
    # refitting with one row's weight moved by a small step must move the estimate by that much.
    frame = _monthly_world(n=600, seed=4).assign(w=1.0)
    cells = cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned", weights_col="w")
    fit = fit_cox_cells(cells, robust=True)
    from cxlab.survival.risk_sets import _RiskSets

    total = cells.rows * cells.weight
    centred = cells.x - np.average(cells.x, axis=0, weights=total)
    sets = _RiskSets(type(cells)(**{**cells.__dict__, "x": centred}))
    residuals = sets.evaluate(fit.params.to_numpy(), residuals=True)[3]
    tied = frame.groupby("tenure_months")["churned"].transform("sum") > 1
    rows = [int(np.flatnonzero((frame["churned"] == 1) & tied)[0]), int(np.flatnonzero(frame["churned"] == 0)[0])]
    step = 1e-4
    for row in rows:
        moved = frame.copy()
        moved.loc[row, "w"] += step
        refit = fit_cox_cells(cox_cells(moved, MONTHLY, duration_col="tenure_months", event_col="churned",
                                        weights_col="w"))
        numeric = (refit.params - fit.params).to_numpy() / step
        predicted = fit.naive_variance.to_numpy() @ residuals[cells.row_cell[row]]
        np.testing.assert_allclose(numeric, predicted, rtol=2e-3, atol=1e-8)


def test_the_demo_equals_lifelines():
    data = cxlab.io.load("data/demo")
    tenure = tenure_frame(data.customers, as_of=data.as_of)
    design = build_design(tenure, ["segment", "contract", "region", "acquisition_channel"])
    frame = design.matrix.assign(tenure_months=tenure["tenure_months"].to_numpy(),
                                 churned=tenure["churned"].to_numpy())
    terms = list(design.matrix.columns)
    fit = fit_cox_cells(cox_cells(frame, terms, duration_col="tenure_months", event_col="churned"))
    assert fit.n_cells < len(frame) / 2
    _assert_equal_to_lifelines(fit, _lifelines(frame, "tenure_months", "churned", batch_mode=True))


def test_bad_input_is_named():
    frame = _monthly_world(n=300)
    with pytest.raises(ValueError, match=r"\['annual'\] take a single value"):
        fit_cox_cells(cox_cells(frame.assign(annual=1.0), MONTHLY, duration_col="tenure_months",
                                event_col="churned"))
    with pytest.raises(ValueError, match=r"'churned' must be 0 \(censored\) or 1 \(churned\); rows \[3\]"):
        cox_cells(frame.assign(churned=lambda f: f["churned"].mask(f.index == 3, 2)), MONTHLY,
                  duration_col="tenure_months", event_col="churned")
    with pytest.raises(ValueError, match=r"'tenure_months' must be a finite number in every row; rows \[5\]"):
        cox_cells(frame.assign(tenure_months=lambda f: f["tenure_months"].mask(f.index == 5)), MONTHLY,
                  duration_col="tenure_months", event_col="churned")
    churner = int(np.flatnonzero(frame["churned"] == 1)[0])
    with pytest.raises(ValueError, match=rf"whole number of customers on churned rows; rows \[{churner}\]"):
        cox_cells(frame.assign(n=1.0).assign(n=lambda f: f["n"].mask(f.index == churner, 1.5)), MONTHLY,
                  duration_col="tenure_months", event_col="churned", counts_col="n")
    with pytest.raises(ValueError, match="column 'region' not in the frame"):
        cox_cells(frame, ["region"], duration_col="tenure_months", event_col="churned")


def test_complete_separation_is_a_convergence_error():
    frame = _monthly_world(n=2000)
    frame["vip"] = ((frame["churned"] == 0) & (np.arange(len(frame)) % 7 == 0)) * 1.0  # no VIP ever churns
    with pytest.raises(CoxConvergenceError, match=r"complete separation: the hazard ratio of \['vip'\]"):
        fit_cox_cells(cox_cells(frame, [*MONTHLY, "vip"], duration_col="tenure_months", event_col="churned"))
    with pytest.raises(CoxConvergenceError, match="did not converge in 2 steps"):
        fit_cox_cells(cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned"), max_steps=2)


def test_closed_form_efron_sums_equal_the_step_by_step_sums(monkeypatch):
    frame = _monthly_world(n=20_000, seed=5)
    cells = cox_cells(frame, MONTHLY, duration_col="tenure_months", event_col="churned")
    assert cells.rows[cells.event].max() > 64  # months with more tied churners than are summed step by step
    closed = fit_cox_cells(cells, robust=True)
    monkeypatch.setattr("cxlab.survival.risk_sets.ENUMERATED_TIES", 10**9)
    stepwise = fit_cox_cells(cells, robust=True)
    pd.testing.assert_series_equal(closed.params, stepwise.params, rtol=1e-11, atol=1e-13)
    pd.testing.assert_frame_equal(closed.variance, stepwise.variance, rtol=1e-10)
    assert closed.log_likelihood == pytest.approx(stepwise.log_likelihood, rel=1e-13)
