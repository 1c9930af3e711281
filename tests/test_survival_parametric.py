"""Parametric tails: the interval-censored likelihood, model choice, the joined curve and its draws."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from cxlab.survival import (
    extrapolated_survival,
    fit_parametric,
    km_by,
    plot_extrapolation,
    survival_curve,
    survival_draws,
)

matplotlib.use("Agg")
LAMBDA, RHO = 30.0, 1.3


def _weibull_months(n, seed, censor_high=36):
    rng = np.random.default_rng(seed)
    churn_month = np.ceil(LAMBDA * rng.weibull(RHO, n)).astype(int)
    censor = rng.integers(0, censor_high, n)
    return pd.DataFrame({"tenure_months": np.minimum(churn_month, censor),
                         "churned": (churn_month <= censor).astype(int)})


def test_weibull_fit_maximises_the_grouped_time_likelihood():
    frame = _weibull_months(3000, seed=0)
    fit = fit_parametric(frame, models=("weibull",))
    t, e = frame["tenure_months"].to_numpy(float), frame["churned"].to_numpy()

    def survival(x, lam, rho):
        return np.exp(-((x / lam) ** rho))

    def negative_log_likelihood(log_params):
        lam, rho = np.exp(log_params)
        churned = np.log(survival(t[e == 1] - 1, lam, rho) - survival(t[e == 1], lam, rho)).sum()
        return -(churned + np.log(survival(t[e == 0], lam, rho)).sum())

    best = optimize.minimize(negative_log_likelihood, np.log([20.0, 1.0]), method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    weibull = fit.fitters_["weibull"]
    assert weibull.lambda_ == pytest.approx(np.exp(best.x[0]), rel=1e-4)
    assert weibull.rho_ == pytest.approx(np.exp(best.x[1]), rel=1e-4)
    assert fit.table_.loc["weibull", "log_likelihood"] == pytest.approx(-best.fun, rel=1e-8)
    assert fit.table_.loc["weibull", "aic"] == pytest.approx(2 * best.fun + 4, rel=1e-8)
    assert fit.n_ == 3000 and fit.events_ == e.sum()


def test_recovers_the_generating_model_and_its_parameters():
    fit = fit_parametric(_weibull_months(20_000, seed=1))
    assert fit.best_ == "weibull"
    assert fit.table_["best"].sum() == 1 and fit.table_.loc["weibull", "delta_aic"] == 0
    params = fit.params_[fit.params_["model"] == "weibull"].set_index("parameter")
    assert params.loc["lambda_", "ci_low"] < LAMBDA < params.loc["lambda_", "ci_high"]
    assert params.loc["rho_", "ci_low"] < RHO < params.loc["rho_", "ci_high"]
    rng = np.random.default_rng(2)
    churn = np.ceil(np.exp(rng.normal(3.0, 1.0, 20_000))).astype(int)
    censor = rng.integers(0, 48, 20_000)
    lognormal = pd.DataFrame({"tenure_months": np.minimum(churn, censor), "churned": (churn <= censor) * 1})
    assert fit_parametric(lognormal).best_ == "lognormal"


def test_landmark_entry_conditions_on_survival_to_the_landmark():
    frame = _weibull_months(40_000, seed=3, censor_high=60)
    landmark = 6
    alive = frame[((frame["churned"] == 1) & (frame["tenure_months"] > landmark))
                  | ((frame["churned"] == 0) & (frame["tenure_months"] >= landmark))].assign(entry=landmark)
    fit = fit_parametric(alive, models=("weibull",), entry_col="entry")
    params = fit.params_.set_index("parameter")
    assert params.loc["lambda_", "ci_low"] < LAMBDA < params.loc["lambda_", "ci_high"]
    assert params.loc["rho_", "ci_low"] < RHO < params.loc["rho_", "ci_high"]
    ignored = fit_parametric(alive, models=("weibull",))  # without the entry the fit is biased
    assert not ignored.params_.set_index("parameter").loc["rho_", "ci_low"] < RHO < \
        ignored.params_.set_index("parameter").loc["rho_", "ci_high"]


def test_extrapolated_curve_joins_kaplan_meier_and_the_tail():
    frame = _weibull_months(5000, seed=4)
    fit = fit_parametric(frame, min_at_risk=200)
    table = km_by(frame).event_table
    assert fit.observed_through_months_ == int(table.index[table["at_risk"] >= 200].max())
    tau = fit.observed_through_months_
    curve = extrapolated_survival(fit, 60)
    assert list(curve.index) == list(range(1, 61))
    kmf = km_by(frame)
    observed = curve[curve["observed"]]
    assert list(observed.index) == list(range(1, tau + 1))
    np.testing.assert_allclose(observed["survival"], kmf.survival_function_at_times(observed.index).to_numpy())
    assert (observed["source"] == "kaplan_meier").all()
    best = fit.fitters_[fit.best_]
    s_model = best.survival_function_at_times([float(tau), 48.0]).to_numpy()
    s_km_tau = float(kmf.survival_function_at_times(tau).iloc[0])
    assert curve.loc[48, "survival"] == pytest.approx(s_km_tau * s_model[1] / s_model[0])
    assert curve.loc[48, "source"] == fit.best_ and not curve.loc[48, "observed"]
    assert (np.diff(curve["survival"]) <= 1e-12).all()
    assert (curve["ci_low"] <= curve["survival"]).all() and (curve["survival"] <= curve["ci_high"]).all()
    assert curve.attrs == {"model": fit.best_, "observed_through_months": tau}
    lognormal = extrapolated_survival(fit, [12, 50], model="lognormal")
    assert lognormal.loc[50, "source"] == "lognormal"


def test_draws_match_the_delta_method_interval_of_the_model():
    frame = _weibull_months(5000, seed=5)
    fit = fit_parametric(frame, models=("weibull",), min_at_risk=10**9)  # nothing observed: all model
    assert fit.observed_through_months_ == 0
    months = np.array([6, 24, 48])
    draws = survival_draws(fit, months, n_resamples=20_000, seed=0)
    weibull = fit.fitters_["weibull"]
    np.testing.assert_allclose(np.median(draws, axis=0), weibull.survival_function_at_times(months), rtol=2e-3)
    # standard error of S(m) by the delta method on (lambda, rho)
    lam, rho = weibull.lambda_, weibull.rho_
    s = np.exp(-((months / lam) ** rho))
    h = (months / lam) ** rho
    gradient = np.column_stack([s * h * rho / lam, -s * h * np.log(months / lam)])
    se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, weibull.variance_matrix_.to_numpy(), gradient))
    np.testing.assert_allclose(draws.std(axis=0), se, rtol=0.05)
    z = stats.norm.ppf(0.975)
    curve = extrapolated_survival(fit, months, n_resamples=20_000)
    np.testing.assert_allclose(curve["ci_low"], s - z * se, atol=0.004)
    np.testing.assert_allclose(curve["ci_high"], s + z * se, atol=0.004)


def test_survival_curve_for_lifetime_value():
    frame = _weibull_months(5000, seed=6)
    curve = survival_curve(frame, 72)
    assert curve.index.min() == 1 and curve.index.max() == 72
    assert set(curve.columns) == {"survival", "ci_low", "ci_high", "observed", "source"}
    assert curve.attrs["model"] == curve.attrs["aic"]["aic"].idxmin()
    one = survival_curve(frame, 72, tail="lognormal")
    assert one.attrs["model"] == "lognormal"
    np.testing.assert_allclose(one.loc[one["observed"], "survival"], curve.loc[curve["observed"], "survival"])


def test_churn_in_month_one_and_zero_tenure_censoring_are_kept():
    frame = pd.DataFrame({"tenure_months": [1, 1, 0, 0, 3, 5, 8, 2], "churned": [1, 1, 0, 0, 1, 0, 1, 0]})
    fit = fit_parametric(frame, models=("exponential",), min_at_risk=1)
    # exponential MLE for grouped months: events in (k-1, k], censored after c
    t, e = frame["tenure_months"].to_numpy(float), frame["churned"].to_numpy()

    def negative_log_likelihood(rate):
        return -(np.log(np.exp(-rate * (t[e == 1] - 1)) - np.exp(-rate * t[e == 1])).sum()
                 - rate * t[e == 0].sum())

    best = optimize.minimize_scalar(negative_log_likelihood, bounds=(1e-4, 5), method="bounded",
                                    options={"xatol": 1e-12})
    assert 1 / fit.fitters_["exponential"].lambda_ == pytest.approx(best.x, rel=1e-4)
    assert fit.n_ == 8


def test_bad_input():
    good = pd.DataFrame({"tenure_months": [1, 2, 3], "churned": [1, 0, 1]})
    with pytest.raises(ValueError, match="whole months"):
        fit_parametric(good.assign(tenure_months=[1.5, 2, 3]))
    with pytest.raises(ValueError, match="tenure_months' >= 1"):
        fit_parametric(good.assign(tenure_months=[0, 2, 3]))
    with pytest.raises(ValueError, match="models must be among"):
        fit_parametric(good, models=("gompertz",))
    with pytest.raises(ValueError, match="no churn events"):
        fit_parametric(good.assign(churned=0))
    with pytest.raises(ValueError, match=r"\['entry'\]"):
        fit_parametric(good, entry_col="entry")
    with pytest.raises(ValueError, match="was not fitted"):
        extrapolated_survival(fit_parametric(good, models=("weibull",), min_at_risk=1), 5, model="lognormal")


def test_extrapolation_chart():
    fit = fit_parametric(_weibull_months(3000, seed=7), models=("weibull", "loglogistic"))
    ax = plot_extrapolation(fit, 72)
    assert ax.get_xlim() == (0, 72)
    assert ax.get_xlabel() == "Tenure (months)" and ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "Kaplan-Meier (data)" and any("best" in label for label in labels)
