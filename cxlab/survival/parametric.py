"""Parametric survival fits and the survival curve beyond the observed window.

Lifetime value needs survival for more months than the data has followed anyone. The curve
used here is the Kaplan-Meier estimate for as long as enough customers are at risk, continued
by a parametric model fitted to the same customers:

``S(m) = S_KM(m)`` for ``m <= tau`` and ``S(m) = S_KM(tau) * S_model(m) / S_model(tau)`` beyond,

where ``tau`` (``observed_through_months_``) is the last month with at least ``min_at_risk``
customers at risk. The tail thus keeps the observed level at ``tau`` and borrows only the
model's *conditional* survival beyond it.

Durations
---------
Parametric models need positive durations, and monthly tenure is a grouped time: under the
convention of :mod:`cxlab.tenure`, ``tenure_months = k`` with churn means the customer churned
in ``(k - 1, k]`` months, and a censored ``k`` means the customer was still active after ``k``
months. The models are therefore fitted by **interval censoring** with exactly those bounds
(lifelines' ``fit_interval_censoring``): churn in month 1 (including on the acquisition day) is
the interval ``(0, 1]``, so nothing is shifted or dropped, and the fitted ``S(k)`` estimates the
same quantity as the Kaplan-Meier ``S(k)``. (A continuity shift such as ``k - 0.5`` would
approximate this likelihood; interval censoring is exact and costs nothing on aggregated counts.)
Customers censored at 0 months carry no information (``S(0) = 1``) and enter with zero weight
in effect. With ``entry_col`` (landmark frames) the fits condition on survival to the entry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import ExponentialFitter, LogLogisticFitter, LogNormalFitter, WeibullFitter

from cxlab.survival.km import km_by

__all__ = ["KAPLAN_MEIER", "MODELS", "MODEL_NAMES", "ParametricSurvival", "extrapolated_survival", "fit_parametric",
           "survival_curve", "survival_draws"]

MODELS = {
    "weibull": WeibullFitter,
    "lognormal": LogNormalFitter,
    "loglogistic": LogLogisticFitter,
    "exponential": ExponentialFitter,
}
MODEL_NAMES = {"weibull": "Weibull", "lognormal": "log-normal", "loglogistic": "log-logistic",
               "exponential": "exponential"}
KAPLAN_MEIER = "kaplan_meier"


def _initial_point(model: str, median_months: float) -> np.ndarray:
    """Starting values with the Kaplan-Meier median and unit shape (saves optimiser steps)."""
    scale = median_months / np.log(2)
    return {"weibull": np.array([scale, 1.0]), "lognormal": np.array([np.log(median_months), 1.0]),
            "loglogistic": np.array([median_months, 1.0]), "exponential": np.array([scale])}[model]


class ParametricSurvival:
    """Parametric survival models fitted side by side to grouped monthly tenure.

    Parameters
    ----------
    models : sequence of str
        Any of ``"weibull"``, ``"lognormal"``, ``"loglogistic"``, ``"exponential"``.
    min_at_risk : int
        The observed window ends at the last month with at least this many customers at risk.
    level : float
        Confidence level.

    Attributes
    ----------
    fitters_ : dict of str to lifelines fitter
        Fitted by interval censoring (see the module docstring).
    table_ : pandas.DataFrame
        Per model: n_params, log_likelihood, aic, delta_aic (to the best), best (bool),
        median_months (model median tenure; inf if beyond any horizon).
    params_ : pandas.DataFrame
        Per model and parameter: estimate, se, ci_low, ci_high.
    best_ : str
        Model with the lowest AIC.
    km_ : lifelines.KaplanMeierFitter
        Kaplan-Meier fit on the same customers.
    observed_through_months_ : int
        Last month of the observed window (``tau``).
    n_, events_ : int
        Customers and churn events.
    """

    def __init__(self, models=("weibull", "lognormal", "loglogistic"), *, min_at_risk: int = 30,
                 level: float = 0.95):
        self.models = tuple(models)
        unknown = [m for m in self.models if m not in MODELS]
        if unknown or not self.models:
            raise ValueError(f"models must be among {list(MODELS)}; got {list(models)}")
        self.min_at_risk = min_at_risk
        self.level = level

    def fit(self, frame: pd.DataFrame, *, duration_col: str = "tenure_months", event_col: str = "churned",
            entry_col: str | None = None, weights_col: str | None = None) -> ParametricSurvival:
        """Fit every model, and the Kaplan-Meier curve, to one row per customer.

        Parameters
        ----------
        frame : pandas.DataFrame
            Whole-month tenure and the 0/1 churn flag; not modified.
        duration_col, event_col : str
            Tenure in months and churn flag.
        entry_col : str, optional
            Tenure at which customers enter observation (landmark); default 0.
        weights_col : str, optional
            Customers per row of an aggregated frame.

        Returns
        -------
        ParametricSurvival
            self, fitted.
        """
        needed = [duration_col, event_col] + [c for c in (entry_col, weights_col) if c]
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"fit_parametric: column(s) {missing} not in the frame (have {list(frame.columns)})")
        tenure = frame[duration_col]
        if tenure.isna().any() or (tenure < 0).any() or not (tenure % 1 == 0).all():
            raise ValueError(f"'{duration_col}' must hold whole months >= 0 (see cxlab.tenure)")
        if not frame[event_col].isin([0, 1]).all():
            raise ValueError(f"'{event_col}' must be 0 (censored) or 1 (churned) in every row")
        churned = frame[event_col].to_numpy(dtype=int)
        counts = pd.DataFrame({
            "lower": np.where(churned == 1, tenure - 1, tenure).astype(float),
            "upper": np.where(churned == 1, tenure, np.inf).astype(float),
            "entry": frame[entry_col].to_numpy(dtype=float) if entry_col else 0.0,
            "weight": frame[weights_col].to_numpy(dtype=float) if weights_col else 1.0,
            "event": churned,
        }).groupby(["lower", "upper", "entry", "event"], sort=True)["weight"].sum().reset_index()
        if (churned == 1).any() and (tenure[churned == 1] < 1).any():
            raise ValueError(f"churned customers need '{duration_col}' >= 1 (churn in month k has tenure k)")
        self.n_ = int(round(counts["weight"].sum()))
        self.events_ = int(round(counts.loc[counts["event"] == 1, "weight"].sum()))
        if self.events_ == 0:
            raise ValueError("fit_parametric: no churn events, so no model can be fitted")
        self.km_ = km_by(frame, duration_col=duration_col, event_col=event_col, weights_col=weights_col,
                         level=self.level)
        median = float(self.km_.median_survival_time_)
        median = median if np.isfinite(median) else 2.0 * float(counts["lower"].max() + 1)
        self.fitters_ = {}
        for name in self.models:
            self.fitters_[name] = MODELS[name](alpha=1 - self.level).fit_interval_censoring(
                counts["lower"], counts["upper"], entry=counts["entry"] if entry_col else None,
                weights=counts["weight"], label=MODEL_NAMES[name], initial_point=_initial_point(name, median))
        self.observed_through_months_ = self._observed_window(counts)
        self._tabulate()
        return self

    def _observed_window(self, counts: pd.DataFrame) -> int:
        tenure = np.where(counts["event"] == 1, counts["upper"], counts["lower"])
        months = np.arange(1, int(tenure.max()) + 1)
        # customers at risk of churning in month m: entered before m, tenure at least m
        at_risk = ((tenure[None, :] >= months[:, None]) & (counts["entry"].to_numpy()[None, :] < months[:, None])
                   ) @ counts["weight"].to_numpy()
        enough = months[at_risk >= self.min_at_risk]
        return int(enough.max()) if len(enough) else 0

    def _tabulate(self) -> None:
        rows, params = [], []
        for name, fitter in self.fitters_.items():
            rows.append({"model": name, "n_params": len(fitter._fitted_parameter_names),
                         "log_likelihood": float(fitter.log_likelihood_), "aic": float(fitter.AIC_),
                         "median_months": float(fitter.median_survival_time_)})
            summary = fitter.summary
            for parameter, row in summary.iterrows():
                params.append({"model": name, "parameter": parameter, "estimate": float(row["coef"]),
                               "se": float(row["se(coef)"]), "ci_low": float(row.iloc[2]),
                               "ci_high": float(row.iloc[3])})
        table = pd.DataFrame(rows)
        table["delta_aic"] = table["aic"] - table["aic"].min()
        table["best"] = table["delta_aic"] == 0
        self.table_ = table.set_index("model")
        self.params_ = pd.DataFrame(params)
        self.best_ = str(self.table_["aic"].idxmin())

    @property
    def summary(self) -> pd.DataFrame:
        """The model comparison table (AIC, log-likelihood, median)."""
        return self.table_

    def _repr_html_(self) -> str:
        return (f"<p><strong>Parametric survival</strong>: {self.n_:,} customers, {self.events_:,} churned; "
                f"best by AIC: {MODEL_NAMES[self.best_]}</p>" + self.table_.round(2).to_html(escape=True))


def fit_parametric(frame: pd.DataFrame, models=("weibull", "lognormal", "loglogistic"), *,
                   duration_col: str = "tenure_months", event_col: str = "churned", entry_col: str | None = None,
                   weights_col: str | None = None, min_at_risk: int = 30, level: float = 0.95) -> ParametricSurvival:
    """Fit parametric survival models to monthly tenure and compare them by AIC.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer with whole-month tenure (see :mod:`cxlab.tenure`); not modified.
    models : sequence of str
        Models to fit (see :data:`MODELS`).
    duration_col, event_col, entry_col, weights_col : str
        See :meth:`ParametricSurvival.fit`.
    min_at_risk : int
        Customers at risk needed for a month to count as observed.
    level : float
        Confidence level.

    Returns
    -------
    ParametricSurvival

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> churn_month = np.ceil(rng.weibull(1.3, 2000) * 30).astype(int)
    >>> frame = pd.DataFrame({"tenure_months": np.minimum(churn_month, 24), "churned": (churn_month <= 24) * 1})
    >>> fit = fit_parametric(frame)
    >>> fit.best_
    'weibull'
    """
    return ParametricSurvival(models, min_at_risk=min_at_risk, level=level).fit(
        frame, duration_col=duration_col, event_col=event_col, entry_col=entry_col, weights_col=weights_col)


def _months(months) -> np.ndarray:
    months = np.arange(1, int(months) + 1) if np.ndim(months) == 0 else np.asarray(months)
    if len(months) == 0 or (months < 0).any() or not (months % 1 == 0).all():
        raise ValueError("months must be a horizon in whole months (>= 1) or whole months >= 0")
    return months.astype(int)


def _model(fit: ParametricSurvival, model: str | None) -> str:
    model = fit.best_ if model in (None, "best") else model
    if model not in fit.fitters_:
        raise ValueError(f"model '{model}' was not fitted (fitted: {list(fit.fitters_)})")
    return model


def _km_log_increments(fit: ParametricSurvival):
    """Event times, log(1 - d/Y) and its Greenwood variance d / (Y (Y - d)) of the Kaplan-Meier fit."""
    table = fit.km_.event_table
    table = table[table["observed"] > 0]
    d = table["observed"].to_numpy(dtype=float)
    y = table["at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_step = np.log1p(-d / y)
        variance = np.where(y > d, d / (y * (y - d)), 0.0)
    return table.index.to_numpy(dtype=float), log_step, variance


def survival_draws(fit: ParametricSurvival, months, *, model: str | None = None, n_resamples: int = 1000,
                   seed: int = 0) -> np.ndarray:
    """Random draws of the joined survival curve, for uncertainty in lifetime value.

    The observed part draws each Kaplan-Meier log-step ``log(1 - d/Y)`` from a normal with the
    Greenwood variance (independent increments, as Greenwood assumes); the tail draws the
    model's parameters from their asymptotic normal (positive parameters on the log scale)
    and applies the conditional survival ``S_model(m) / S_model(tau)`` to the drawn ``S_KM(tau)``.
    The two parts are drawn independently, although they come from the same data, so the
    tail's spread is approximate.

    Parameters
    ----------
    fit : ParametricSurvival
        A fitted model set.
    months : int or array-like of int
        A horizon ``H`` (months 1..H) or the months themselves.
    model : str, optional
        Tail model (default: the best by AIC).
    n_resamples : int
        Number of draws.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_resamples, len(months))``.
    """
    months = _months(months)
    model = _model(fit, model)
    rng = np.random.default_rng(seed)
    tau = fit.observed_through_months_
    times, log_step, variance = _km_log_increments(fit)
    steps = np.minimum(log_step[None, :] + rng.standard_normal((n_resamples, len(times))) * np.sqrt(variance), 0.0)
    cumulative = np.concatenate([np.zeros((n_resamples, 1)), np.cumsum(steps, axis=1)], axis=1)
    position = np.searchsorted(times, np.minimum(months, tau), side="right")
    log_km = cumulative[:, position]
    fitter = fit.fitters_[model]
    estimate = fitter.params_.to_numpy(dtype=float)
    positive = np.array([low is not None for low, _ in fitter._bounds])
    scale = np.where(positive, estimate, 1.0)
    centre = np.where(positive, np.log(estimate), estimate)
    covariance = fitter.variance_matrix_.to_numpy(dtype=float) / np.outer(scale, scale)
    draws = rng.multivariate_normal(centre, covariance, size=n_resamples, method="cholesky")
    params = np.where(positive, np.exp(draws), draws).T[:, :, None]
    grid = np.maximum(months, tau).astype(float)
    log_tail = -fitter._cumulative_hazard(params, grid) + fitter._cumulative_hazard(params, np.array([max(tau, 0)]))
    log_tail = np.where(months > tau, log_tail, 0.0)
    return np.exp(log_km + log_tail)


def extrapolated_survival(fit: ParametricSurvival, months, *, model: str | None = None, n_resamples: int = 2000,
                          seed: int = 0) -> pd.DataFrame:
    """Monthly survival: Kaplan-Meier in the observed window, the parametric tail beyond it.

    Parameters
    ----------
    fit : ParametricSurvival
        A fitted model set (:func:`fit_parametric`).
    months : int or array-like of int
        A horizon ``H`` (months 1..H) or the months themselves.
    model : str, optional
        Tail model (default ``fit.best_``, the lowest AIC).
    n_resamples, seed : int
        Draws for the tail's interval (see :func:`survival_draws`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month``: ``survival`` (share still active after the month), ``ci_low``,
        ``ci_high`` (Kaplan-Meier log-log interval in the window, simulation interval beyond),
        ``observed`` (True within the window) and ``source`` (``"kaplan_meier"`` or the model).
        ``attrs`` holds ``model`` and ``observed_through_months``.
    """
    months = _months(months)
    model = _model(fit, model)
    tau = fit.observed_through_months_
    fitter = fit.fitters_[model]
    km = fit.km_.survival_function_at_times(np.minimum(months, tau)).to_numpy()
    s_model = fitter.survival_function_at_times(np.maximum(months, tau).astype(float)).to_numpy()
    s_tau = float(fitter.survival_function_at_times([float(tau)]).iloc[0]) if tau > 0 else 1.0
    observed = months <= tau
    survival = np.where(observed, km, km * s_model / s_tau)
    draws = survival_draws(fit, months, model=model, n_resamples=n_resamples, seed=seed)
    ci_low = np.quantile(draws, (1 - fit.level) / 2, axis=0)
    ci_high = np.quantile(draws, 1 - (1 - fit.level) / 2, axis=0)
    ci = fit.km_.confidence_interval_survival_function_
    km_ci = ci.reindex(ci.index.union(months.astype(float))).ffill().loc[months.astype(float)].to_numpy()
    out = pd.DataFrame({
        "survival": survival,
        "ci_low": np.where(observed, km_ci[:, 0], ci_low),
        "ci_high": np.where(observed, km_ci[:, 1], ci_high),
        "observed": observed,
        "source": np.where(observed, KAPLAN_MEIER, model),
    }, index=pd.Index(months, name="month"))
    out.attrs.update(model=model, observed_through_months=tau)
    return out


def survival_curve(frame: pd.DataFrame, horizon_months: int, *, tail: str = "best",
                   duration_col: str = "tenure_months", event_col: str = "churned", entry_col: str | None = None,
                   weights_col: str | None = None, min_at_risk: int = 30, level: float = 0.95,
                   n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Survival S(1..H) for lifetime value: observed where possible, extrapolated beyond.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (e.g. :func:`cxlab.tenure.tenure_frame`); not modified.
    horizon_months : int
        Last month ``H`` of the curve.
    tail : str
        ``"best"`` (lowest AIC among Weibull, log-normal, log-logistic) or a model name.
    duration_col, event_col, entry_col, weights_col : str
        See :meth:`ParametricSurvival.fit`.
    min_at_risk : int
        Customers at risk needed for a month to count as observed.
    level : float
        Confidence level.
    n_resamples, seed : int
        Draws for the tail's interval.

    Returns
    -------
    pandas.DataFrame
        As :func:`extrapolated_survival`, months 1..H; ``attrs`` also holds the AIC table
        (``"aic"``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> churn_month = np.ceil(rng.exponential(20, 3000)).astype(int)
    >>> frame = pd.DataFrame({"tenure_months": np.minimum(churn_month, 36), "churned": (churn_month <= 36) * 1})
    >>> curve = survival_curve(frame, 60)
    >>> curve["observed"].sum(), curve.attrs["observed_through_months"]
    (np.int64(36), 36)
    """
    models = ("weibull", "lognormal", "loglogistic") if tail == "best" else (tail,)
    fit = fit_parametric(frame, models, duration_col=duration_col, event_col=event_col, entry_col=entry_col,
                         weights_col=weights_col, min_at_risk=min_at_risk, level=level)
    out = extrapolated_survival(fit, horizon_months, n_resamples=n_resamples, seed=seed)
    out.attrs["aic"] = fit.table_
    return out
