"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention",
*Journal of Interactive Marketing* 21(1), 76-90.

Each customer renews at the end of every period with a probability ``1 - theta`` that
stays constant over their lifetime; ``theta`` varies across customers as Beta(alpha, beta).
With ``T >= 1`` the period in which a customer churns (the period they do not renew
after), the model gives

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` for t = 1, 2, ...,
* ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)`` for t = 0, 1, ...,
* the retention rate ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``,
  which rises with t: the customers who remain are increasingly the loyal ones.

Periods follow the timing convention of :mod:`cxlab.tenure`: ``S(k)`` is the share of a
cohort paying for more than k periods, a customer who churned in their k-th period has
``T = k`` and a customer still active after k whole periods is right-censored at k.
All beta functions are evaluated on the log scale (:func:`scipy.special.betaln`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from cxlab.tenure import event_table

__all__ = ["ShiftedBetaGeometric", "fit_by", "sbg_churn_probability", "sbg_derl", "sbg_retention_rate",
           "sbg_survival", "tenure_in_periods"]

_LOG_BOUND = 12.0  # search |log alpha|, |log beta| <= 12; a fit at the bound means "no heterogeneity"
_HESSIAN_STEP = 1e-5
_MAX_TERMS = 20_000_000  # terms of the discounted sums (d >= ~2e-6)


def sbg_survival(t, alpha, beta):
    """Share of a cohort still active after ``t`` periods, ``S(t) = B(a, b + t) / B(a, b)``.

    Parameters
    ----------
    t : array-like of int
        Periods since acquisition (>= 0).
    alpha, beta : float or array-like
        sBG parameters (> 0); all arguments broadcast, so parameter draws of shape
        ``(n_resamples, 1)`` against ``t`` of shape ``(n_periods,)`` give one curve per draw.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> round(float(sbg_survival(1, 0.704, 1.182)), 4)  # 1.182 / (0.704 + 1.182)
    0.6267
    """
    t = _periods(t, minimum=0)
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_churn_probability(t, alpha, beta):
    """Probability that a new customer churns in period ``t``, ``B(a + 1, b + t - 1) / B(a, b)``.

    Parameters
    ----------
    t : array-like of int
        Period (>= 1).
    alpha, beta : float or array-like
        sBG parameters (> 0); broadcast against ``t``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> round(float(sbg_churn_probability(1, 1.0, 3.0)), 4)  # alpha / (alpha + beta)
    0.25
    """
    t = _periods(t, minimum=1)
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))


def sbg_retention_rate(t, alpha, beta):
    """Share of customers active after ``t - 1`` periods who are still active after ``t``.

    ``r(t) = (beta + t - 1) / (alpha + beta + t - 1)``.

    Parameters
    ----------
    t : array-like of int
        Period (>= 1).
    alpha, beta : float or array-like
        sBG parameters (> 0); broadcast against ``t``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> round(float(sbg_retention_rate(2, 1.0, 3.0)), 4)  # 4 / 5
    0.8
    """
    t = _periods(t, minimum=1)
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)


def sbg_derl(period_discount_rate: float, renewals, alpha: float, beta: float, *, time_to_renewal=0.0):
    """Discounted expected residual lifetime of a customer who has renewed ``renewals`` times.

    Fader and Hardie (2010), "Customer-Base Valuation in a Contractual Setting: The Perils of
    Ignoring Heterogeneity", *Marketing Science* 29(1), 85-93: for a customer who has made
    ``n - 1`` renewals (``renewals = n - 1``: active after ``n - 1`` periods) and is about to
    decide on the next one, with ``delta = 1 / (1 + d)``,

    ``DERL = sum_{t >= n} delta^(t - n) S(t) / S(n - 1)
    = (beta + n - 1) / (alpha + beta + n - 1) * 2F1(1, beta + n; alpha + beta + n; delta)``,

    the expected number of future payments, each discounted to the moment of that next
    renewal decision (the next payment itself is not discounted). Multiply by the margin per
    period to value the customer. In the :mod:`cxlab.tenure` convention a customer censored
    at ``k`` periods has made ``k`` renewals.

    A customer observed part-way through a period is not at a renewal decision: one who is 5
    months into an annual period is 7 months (``time_to_renewal = 7/12`` periods) from the next
    payment, so every future payment, the first one included, is discounted by a further
    ``(1 + d)^(-time_to_renewal)`` to value them today:
    ``DERL_today = (1 + d)^(-time_to_renewal) * DERL``. For a customer censored at ``m`` months
    with periods of ``p`` months, ``renewals = m // p`` and ``time_to_renewal = 1 - (m % p) / p``.

    The sum is evaluated directly on the log scale (a reverse log-cumulative sum of
    ``log S(t) + t log delta``, truncated where the remaining terms are below 1e-16 of the
    total) rather than with :func:`scipy.special.hyp2f1`, which returns NaN or loses digits
    for the large ``beta + n`` that monthly periods produce. Undiscounted (``d = 0``) it is
    ``(beta + n - 1) / (alpha - 1)`` when ``alpha > 1`` and infinite otherwise.

    Parameters
    ----------
    period_discount_rate : float
        Discount rate per period, >= 0 (e.g. 0.1 for 10% a year with annual periods).
    renewals : int or array-like of int
        Renewals made so far (>= 0); an array gives one value per customer.
    alpha, beta : float
        sBG parameters.
    time_to_renewal : float or array-like, optional
        Periods, in [0, 1], until the next renewal decision (0, the default: valued at the
        decision itself, the paper's definition); broadcasts against ``renewals``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> # alpha = beta = 1: 2F1(1, 2; 3; z) / 2 = (-log(1 - z) - z) / z**2 with z = 1 / 1.1
    >>> round(float(sbg_derl(0.1, 0, alpha=1.0, beta=1.0)), 4)
    1.8015
    >>> # 5 months into an annual period: 7 months to go, 1.8015 / 1.1 ** (7 / 12)
    >>> round(float(sbg_derl(0.1, 0, alpha=1.0, beta=1.0, time_to_renewal=7 / 12)), 4)
    1.704
    """
    d = float(period_discount_rate)
    if not d >= 0:
        raise ValueError(f"period_discount_rate must be >= 0; got {period_discount_rate}")
    wait = np.asarray(time_to_renewal, dtype=float)
    if np.any(~(wait >= 0)) or np.any(wait > 1):
        raise ValueError(f"time_to_renewal must be between 0 and 1 period; got {time_to_renewal}")
    n, wait = np.broadcast_arrays(_periods(renewals, minimum=0).astype(int) + 1, wait)
    if d == 0:
        value = (beta + n - 1) / (alpha - 1) if alpha > 1 else np.full(n.shape, np.inf)
        return value[()] if value.ndim == 0 else value
    log_delta = -np.log1p(d)
    n_terms = int(np.ceil(np.log(1e-16 * (1 - np.exp(log_delta))) / log_delta))
    if n_terms > _MAX_TERMS:
        raise ValueError(f"period_discount_rate {d} is too small to sum over; use 0 for no discounting")
    t = np.arange(int(n.max()) + n_terms + 1)
    log_survival = special.betaln(alpha, beta + t) - special.betaln(alpha, beta)
    log_tail = np.logaddexp.accumulate((log_survival + t * log_delta)[::-1])[::-1]
    value = np.exp(log_tail[n] - log_survival[n - 1] - n * log_delta + wait * log_delta)
    return value[()] if value.ndim == 0 else value


def tenure_in_periods(tenure_months, churned, observable_months=None, *,
                      months_per_period: int = 12) -> np.ndarray:
    """Convert tenure in months to tenure in longer periods under the same timing convention.

    A churner whose tenure is k months churned in period ``p = ceil(k / m)``, and that churn
    counts only when the whole of period p was observable (``p * m <= observable_months``);
    otherwise, like every customer not counted as a churner, the customer is censored at the
    whole periods observed, ``floor(observable_months / m)``. This is the rule of
    :mod:`cxlab.tenure` applied to periods: a period's risk set and its churners come from the
    same customers, so the estimate is not biased by periods still in progress.

    Parameters
    ----------
    tenure_months : array-like of int
        Tenure in months (see :mod:`cxlab.tenure`).
    churned : array-like of {0, 1}
        1 for churners, 0 for censored customers.
    observable_months : array-like of int, optional
        Whole months each customer was observable (``observable_months`` of
        :func:`cxlab.tenure.tenure_frame`). Required when ``months_per_period > 1``; with
        monthly periods it adds nothing.
    months_per_period : int
        Months in one period, e.g. 12 for annual contracts.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> tenure_in_periods([12, 13, 13, 13], [1, 1, 1, 0], [30, 30, 20, 20], months_per_period=12).tolist()
    [1, 2, 1, 1]
    """
    return _periods_and_churn(tenure_months, churned, observable_months, months_per_period)[0]


def _periods_and_churn(tenure_months, churned, observable_months, months_per_period: int):
    """Tenure in periods and the churn flag that counts in periods (see :func:`tenure_in_periods`)."""
    months = np.asarray(tenure_months, dtype=int)
    event = np.asarray(churned, dtype=int)
    if months_per_period < 1 or months_per_period % 1:
        raise ValueError(f"months_per_period must be a positive whole number; got {months_per_period}")
    if months_per_period == 1:
        return months.copy(), event.copy()
    if observable_months is None:
        raise ValueError("tenure_in_periods: pass observable_months (from cxlab.tenure.tenure_frame) for periods "
                         "longer than a month; without it churn in a period still in progress would bias the fit")
    observable = np.asarray(observable_months, dtype=int)
    if observable.shape != months.shape:
        raise ValueError("observable_months must have the same length as tenure_months")
    churn_period = -(-months // months_per_period)
    counted = (event == 1) & (churn_period * months_per_period <= observable)
    censored_at = np.where(event == 1, observable, months) // months_per_period
    return np.where(counted, churn_period, censored_at), counted.astype(int)


class ShiftedBetaGeometric:
    """Shifted-beta-geometric retention model fitted by maximum likelihood.

    Churners of period t contribute ``log P(T = t)`` to the log-likelihood, customers last
    seen active after t periods contribute ``log S(t)``. The likelihood is maximised over
    ``(log alpha, log beta)`` with :func:`scipy.optimize.minimize` (SLSQP within bounds, analytic
    gradient) and polished by Newton steps. The covariance of the log-parameters is the inverse
    of the observed information (a central-difference Hessian of the analytic gradient), carried
    to ``alpha`` and ``beta`` by the delta method. Confidence intervals are computed on the log
    scale and exponentiated, so they are positive and asymmetric.

    Parameters
    ----------
    level : float
        Confidence level of the intervals in :attr:`summary` (default 0.95).

    Attributes
    ----------
    alpha_, beta_ : float
        Fitted parameters.
    log_likelihood_ : float
        Maximised log-likelihood.
    AIC_ : float
        ``2 * 2 - 2 * log_likelihood_``.
    variance_matrix_ : pandas.DataFrame
        Delta-method covariance of ``(alpha, beta)``.
    log_variance_matrix_ : pandas.DataFrame
        Covariance of ``(log alpha, log beta)`` (inverse observed information).
    standard_errors_ : pandas.Series
        Standard errors of ``alpha`` and ``beta``.
    confidence_intervals_ : pandas.DataFrame
        ``ci_low`` and ``ci_high`` of ``alpha`` and ``beta`` at :attr:`level`.
    event_counts_ : pandas.DataFrame
        Life table of the data (``at_risk``, ``churned``, ``censored``, observed ``survival``)
        by period.
    n_customers_, n_churned_ : int
        Customers and churners behind the fit.
    converged_ : bool
        False (with a warning, and no standard errors) when the optimum was not reached, the
        observed information is not positive definite, or the likelihood has no finite
        maximum: when the data show no heterogeneity in churn, it keeps rising towards the
        constant-churn (geometric) limit as ``alpha`` and ``beta`` grow without bound.

    Examples
    --------
    >>> sbg = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(sbg.alpha_, 3), round(sbg.beta_, 3)
    (0.704, 1.182)
    """

    def __init__(self, level: float = 0.95):
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1; got {level}")
        self.level = level

    # ------------------------------------------------------------------ fitting
    def fit(self, alive, *, label: str = "sBG") -> ShiftedBetaGeometric:
        """Fit to the numbers of a cohort's customers still active after 0, 1, ..., T periods.

        Parameters
        ----------
        alive : array-like, list of array-likes, 2-D array or pandas.DataFrame
            One cohort: ``[n_0, n_1, ..., n_T]`` with ``n_0`` the cohort size. Several
            cohorts observed for different lengths (a "staircase"): a list of such
            sequences, or a 2-D array / DataFrame with one row per cohort and missing
            values after each cohort's last observed period (e.g. the ``active`` column
            of :func:`cxlab.retention.cohort_table` pivoted to cohorts x periods). The
            survivors of each cohort at its last observed period are right-censored there;
            cohorts observed only at period 0 add nothing and are skipped.
        label : str
            Name shown in the summary.

        Returns
        -------
        ShiftedBetaGeometric
            self, fitted.

        Raises
        ------
        ValueError
            When counts are negative, not whole numbers, increase over time or have gaps,
            or when no cohort has counts for periods 0 and 1.
        """
        cohorts = _as_cohorts(alive)
        size = max(len(counts) for counts in cohorts)
        churned_by_t = np.zeros(size)
        censored_by_t = np.zeros(size)
        for counts in cohorts:  # one pass per cohort, not per customer
            churned_by_t[1:len(counts)] += -np.diff(counts)
            censored_by_t[len(counts) - 1] += counts[-1]
        return self._fit_counts(churned_by_t, censored_by_t, label)

    def fit_from_tenure(self, tenure_periods, churned, *, weights=None,
                        label: str = "sBG") -> ShiftedBetaGeometric:
        """Fit to per-customer tenures with right-censoring.

        Parameters
        ----------
        tenure_periods : array-like of int
            Periods survived by a censored customer (>= 0), or the period a churner churned
            in (>= 1); see :func:`tenure_in_periods` to convert months.
        churned : array-like of {0, 1}
            1 if the customer churned, 0 if still active (censored) at the as-of date.
        weights : array-like, optional
            Number of customers each row stands for (whole numbers; default 1).
        label : str
            Name shown in the summary.

        Returns
        -------
        ShiftedBetaGeometric
            self, fitted.
        """
        t = np.asarray(tenure_periods)
        event = np.asarray(churned)
        if t.ndim != 1 or event.shape != t.shape:
            raise ValueError("tenure_periods and churned must be 1-D and of equal length")
        if len(t) == 0:
            raise ValueError("fit_from_tenure: no customers")
        if not np.isin(event, [0, 1]).all():
            raise ValueError("churned must hold only 0 (censored) and 1 (churned)")
        if np.any(t != np.round(t)) or t.min() < 0:
            raise ValueError("tenure_periods must be whole numbers >= 0")
        t = t.astype(int)
        if np.any(t[event == 1] < 1):
            raise ValueError("a churner's tenure_periods must be >= 1 (churn in period 1 or later)")
        w = np.ones(len(t)) if weights is None else _whole_counts(weights, "weights")
        if w.shape != t.shape:
            raise ValueError("weights must have the same length as tenure_periods")
        size = int(t.max()) + 1
        churned_by_t = np.bincount(t, weights=w * event, minlength=size)
        censored_by_t = np.bincount(t, weights=w * (1 - event), minlength=size)
        return self._fit_counts(churned_by_t, censored_by_t, label)

    def _fit_counts(self, churned_by_t: np.ndarray, censored_by_t: np.ndarray,
                    label: str) -> ShiftedBetaGeometric:
        if churned_by_t.sum() <= 0:
            raise ValueError("cannot fit the sBG model: no customer churned in the data")
        if churned_by_t.sum() + censored_by_t[1:].sum() <= 0:
            raise ValueError("cannot fit the sBG model: no customer was observed for a full period")
        t = np.arange(len(churned_by_t), dtype=float)
        data = (t, churned_by_t, censored_by_t)
        n_customers = churned_by_t.sum() + censored_by_t.sum()
        theta, information = _maximise(data)
        gradient_ok = np.max(np.abs(_gradient(theta, *data))) <= 1e-6 * max(1.0, n_customers)
        at_bound = bool(np.any(np.abs(theta) > _LOG_BOUND - 1e-3))
        geometric_ll, geometric_churn = _geometric_fit(*data)
        no_heterogeneity = at_bound or _log_likelihood(theta, *data) - geometric_ll < 1e-4
        positive = bool(np.all(np.linalg.eigvalsh(information) > 0))
        self.converged_ = bool(gradient_ok and positive and not no_heterogeneity)
        if no_heterogeneity:
            warnings.warn(
                "sBG fit has no finite maximum: the data show no heterogeneity in churn probability "
                f"(a constant {geometric_churn:.4f} churn probability per period fits as well); "
                "alpha and beta are at arbitrary large values and have no standard errors",
                RuntimeWarning, stacklevel=3,
            )
        elif not self.converged_:
            warnings.warn("sBG fit did not converge (gradient not zero or information not positive "
                          "definite at the optimum); standard errors are not available",
                          RuntimeWarning, stacklevel=3)
        self.label = label
        self.alpha_, self.beta_ = (float(v) for v in np.exp(theta))
        self.log_likelihood_ = float(_log_likelihood(theta, *data))
        self.AIC_ = 2 * 2 - 2 * self.log_likelihood_
        self.n_customers_ = int(round(n_customers))
        self.n_churned_ = int(round(churned_by_t.sum()))
        periods = np.arange(len(t))
        self.event_counts_ = event_table(
            np.r_[periods, periods], np.r_[np.ones(len(t)), np.zeros(len(t))],
            weights=np.r_[churned_by_t, censored_by_t],
        ).rename_axis("period")
        self._set_covariance(information)
        return self

    def _set_covariance(self, information: np.ndarray) -> None:
        names = ["alpha", "beta"]
        log_params = np.log([self.alpha_, self.beta_])
        log_cov = np.linalg.inv(information) if self.converged_ else np.full((2, 2), np.nan)
        jacobian = np.diag(np.exp(log_params))
        self.log_variance_matrix_ = pd.DataFrame(log_cov, index=names, columns=names)
        self.variance_matrix_ = pd.DataFrame(jacobian @ log_cov @ jacobian, index=names, columns=names)
        self.standard_errors_ = pd.Series(np.sqrt(np.diag(self.variance_matrix_)), index=names, name="se")
        z = stats.norm.ppf(0.5 + self.level / 2)
        log_se = np.sqrt(np.diag(log_cov))
        self.confidence_intervals_ = pd.DataFrame(
            {"ci_low": np.exp(log_params - z * log_se),
             "ci_high": np.exp(log_params + z * log_se)},
            index=names,
        )

    # ------------------------------------------------------------------ results
    @property
    def summary(self) -> pd.DataFrame:
        """Estimates, delta-method standard errors, log-scale standard errors and intervals."""
        self._check_fitted()
        return pd.DataFrame(
            {
                "coef": [self.alpha_, self.beta_],
                "se(coef)": self.standard_errors_.to_numpy(),
                "ci_low": self.confidence_intervals_.iloc[:, 0].to_numpy(),
                "ci_high": self.confidence_intervals_.iloc[:, 1].to_numpy(),
                "se(log coef)": np.sqrt(np.diag(self.log_variance_matrix_)),
            },
            index=pd.Index(["alpha", "beta"], name="param"),
        )

    def survival(self, t) -> np.ndarray:
        """Share of a cohort still active after ``t`` periods, ``S(t)`` (see :func:`sbg_survival`)."""
        self._check_fitted()
        return sbg_survival(t, self.alpha_, self.beta_)

    def retention_rate(self, t) -> np.ndarray:
        """Retention rate of period ``t``, ``(beta + t - 1) / (alpha + beta + t - 1)``."""
        self._check_fitted()
        return sbg_retention_rate(t, self.alpha_, self.beta_)

    def churn_probability(self, t) -> np.ndarray:
        """Probability that a new customer churns in period ``t``, ``P(T = t)``."""
        self._check_fitted()
        return sbg_churn_probability(t, self.alpha_, self.beta_)

    def expected_lifetime(self, period_discount_rate: float = 0.0) -> float:
        """Expected (discounted) number of periods a new customer pays for.

        ``sum_{t >= 0} S(t) / (1 + d)^t = 2F1(1, beta; alpha + beta; 1 / (1 + d))``, the first
        payment (at acquisition) not discounted; equal to ``1 + DERL(d, 0 renewals) / (1 + d)``.
        Undiscounted (``d = 0``) it is ``(alpha + beta - 1) / (alpha - 1)`` when ``alpha > 1``
        and infinite otherwise: with ``alpha <= 1`` enough customers almost never churn that
        the mean lifetime is unbounded, and only discounted values are finite.

        Parameters
        ----------
        period_discount_rate : float
            Discount rate per period, >= 0.

        Returns
        -------
        float
        """
        self._check_fitted()
        residual = sbg_derl(period_discount_rate, 0, self.alpha_, self.beta_)
        return float(1 + residual / (1 + period_discount_rate))

    def derl(self, period_discount_rate: float, renewals=0, *, time_to_renewal=0.0):
        """Discounted expected residual lifetime after ``renewals`` renewals (see :func:`sbg_derl`).

        Parameters
        ----------
        period_discount_rate : float
            Discount rate per period, >= 0.
        renewals : int or array-like of int
            Renewals made so far (>= 0); an array gives one value per customer.
        time_to_renewal : float or array-like, optional
            Periods until the next renewal decision, in [0, 1], for a customer observed
            part-way through a period (the first future payment is discounted by it).

        Returns
        -------
        float or numpy.ndarray
        """
        self._check_fitted()
        return sbg_derl(period_discount_rate, renewals, self.alpha_, self.beta_, time_to_renewal=time_to_renewal)

    def sample_parameters(self, n_resamples: int, seed=0) -> pd.DataFrame:
        """Draw ``(alpha, beta)`` from the asymptotic normal distribution of the log-parameters.

        Use the draws to carry parameter uncertainty into projections and valuations
        (e.g. ``sbg_survival(t, draws[["alpha"]].to_numpy(), draws[["beta"]].to_numpy())``).

        Parameters
        ----------
        n_resamples : int
            Number of draws.
        seed : int or numpy.random.Generator
            Random seed (default 0) or generator.

        Returns
        -------
        pandas.DataFrame
            Columns ``alpha`` and ``beta``, one row per draw.
        """
        self._check_fitted()
        cov = self.log_variance_matrix_.to_numpy()
        if not np.all(np.isfinite(cov)):
            raise ValueError("the fit has no usable covariance (did not converge); cannot sample parameters")
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(np.log([self.alpha_, self.beta_]), cov, size=int(n_resamples))
        return pd.DataFrame(np.exp(draws), columns=["alpha", "beta"])

    def projection(self, horizon_periods: int, *, n_resamples: int = 2000, seed=0) -> pd.DataFrame:
        """Projected survival for periods 0..horizon with a parameter-uncertainty interval.

        Parameters
        ----------
        horizon_periods : int
            Last period projected.
        n_resamples : int
            Parameter draws (see :meth:`sample_parameters`) behind the interval.
        seed : int or numpy.random.Generator
            Random seed of the draws.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``period`` with ``survival`` (at the estimates), ``survival_ci_low`` and
            ``survival_ci_high`` (pointwise percentile interval at :attr:`level`) and
            ``observed`` (Kaplan-Meier share active from the fitted data; missing beyond it).
        """
        self._check_fitted()
        periods = np.arange(int(horizon_periods) + 1)
        draws = self.sample_parameters(n_resamples, seed)
        curves = sbg_survival(periods, draws[["alpha"]].to_numpy(), draws[["beta"]].to_numpy())
        tail = (1 - self.level) / 2
        observed = self.event_counts_["survival"].reindex(periods)
        return pd.DataFrame(
            {"survival": self.survival(periods),
             "survival_ci_low": np.quantile(curves, tail, axis=0),
             "survival_ci_high": np.quantile(curves, 1 - tail, axis=0),
             "observed": observed.to_numpy()},
            index=pd.Index(periods, name="period"),
        )

    def plot_projection(self, horizon_periods: int, *, period_label: str = "months", ax=None,
                        n_resamples: int = 2000, seed=0):
        """Plot the observed share still active against the sBG projection and its interval.

        Parameters
        ----------
        horizon_periods : int
            Last period shown.
        period_label : str
            Unit of a period for the axis label (``"months"``, ``"years"``).
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (default: a new figure).
        n_resamples : int
            Parameter draws behind the interval.
        seed : int or numpy.random.Generator
            Random seed of the draws.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        table = self.projection(horizon_periods, n_resamples=n_resamples, seed=seed)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        pct = _percent(self.level)
        ax.fill_between(table.index, 100 * table["survival_ci_low"], 100 * table["survival_ci_high"],
                        alpha=0.25, label=f"sBG {pct} interval")
        ax.plot(table.index, 100 * table["survival"], label="sBG projection")
        ax.plot(table.index, 100 * table["observed"], "o", ms=3, color="black", label="observed")
        last_observed = self.event_counts_.index.max()
        if last_observed < horizon_periods:
            ax.axvline(last_observed, color="grey", ls=":", lw=1, label="end of observed data")
        ax.set(xlabel=f"tenure ({period_label})", ylabel="customers still active (%)", ylim=(0, 101),
               xlim=(0, horizon_periods),
               title=f"Observed and projected retention: {self.label} (n = {self.n_customers_:,})")
        ax.legend()
        return ax

    def _check_fitted(self) -> None:
        if not hasattr(self, "alpha_"):
            raise ValueError("the model is not fitted yet: call fit() or fit_from_tenure() first")

    def __repr__(self) -> str:
        if not hasattr(self, "alpha_"):
            return "<cxlab.sbg.ShiftedBetaGeometric: not fitted>"
        return (f"<cxlab.sbg.ShiftedBetaGeometric: fitted with {self.n_customers_} customers, "
                f"alpha={self.alpha_:.3f}, beta={self.beta_:.3f}>")

    def _repr_html_(self) -> str:
        if not hasattr(self, "alpha_"):
            return "<p>ShiftedBetaGeometric: not fitted</p>"
        head = (f"<p>Shifted-beta-geometric model <b>{self.label}</b>: {self.n_customers_:,} customers, "
                f"{self.n_churned_:,} churned; log-likelihood {self.log_likelihood_:.2f}, "
                f"AIC {self.AIC_:.2f}</p>")
        return head + self.summary.to_html(float_format=lambda v: f"{v:.4f}")


def fit_by(frame: pd.DataFrame, by, *, tenure_col: str = "tenure_months", event_col: str = "churned",
           observable_col: str = "observable_months", months_per_period: int = 1,
           level: float = 0.95) -> pd.DataFrame:
    """Fit one sBG model per group (cohort, segment, ...) of a tenure frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Per-customer tenures, e.g. from :func:`cxlab.tenure.tenure_frame`; not modified.
    by : str or list of str
        Grouping column(s).
    tenure_col, event_col : str
        Tenure in months and the 0/1 churn indicator.
    observable_col : str
        Whole months each customer was observable (needed when ``months_per_period > 1``, see
        :func:`tenure_in_periods`).
    months_per_period : int
        Length of the model's period in months (1 for monthly, 12 for annual renewals).
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n`` (customers), ``churned``, ``alpha``, ``alpha_ci_low``,
        ``alpha_ci_high``, ``beta``, ``beta_ci_low``, ``beta_ci_high``, ``log_likelihood``,
        ``converged`` and ``note``. Groups without a churner, or whose fit has no finite
        maximum or did not converge, get missing estimates and a ``note`` saying why.
    """
    keys = [by] if isinstance(by, str) else list(by)
    needed = [*keys, tenure_col, event_col] + ([observable_col] if months_per_period > 1 else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"fit_by: frame lacks column(s) {missing}; build it with cxlab.tenure.tenure_frame")
    rows = []
    for key, group in frame.groupby(keys, observed=True, sort=True):
        observable = group[observable_col] if months_per_period > 1 else None
        periods, churned = _periods_and_churn(group[tenure_col], group[event_col], observable, months_per_period)
        row = dict(zip(keys, key, strict=True))
        row.update(n=len(group), churned=int(churned.sum()), converged=False,
                   note="no churn yet: nothing to fit")
        if row["churned"] > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                model = ShiftedBetaGeometric(level).fit_from_tenure(periods, churned)
            row.update(converged=model.converged_, note="" if model.converged_ else
                       "no finite estimate: the data cannot yet tell how customers differ in churn")
            if model.converged_:
                ci = model.confidence_intervals_.to_numpy()
                row.update(alpha=model.alpha_, alpha_ci_low=ci[0, 0], alpha_ci_high=ci[0, 1], beta=model.beta_,
                           beta_ci_low=ci[1, 0], beta_ci_high=ci[1, 1], log_likelihood=model.log_likelihood_)
        rows.append(row)
    columns = [*keys, "n", "churned", "alpha", "alpha_ci_low", "alpha_ci_high", "beta", "beta_ci_low",
               "beta_ci_high", "log_likelihood", "converged", "note"]
    return pd.DataFrame(rows).reindex(columns=columns).set_index(keys)


# ---------------------------------------------------------------------- internals
def _maximise(data) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the log-likelihood over (log alpha, log beta): SLSQP within bounds, then Newton steps.

    Returns the estimate and the observed information there.
    """
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * 2
    # Per-customer scale: SLSQP stops at its starting point when the summed log-likelihood of
    # hundreds of thousands of customers makes its first line search overshoot.
    n_customers = data[1].sum() + data[2].sum()
    result = optimize.minimize(
        lambda theta: -_log_likelihood(theta, *data) / n_customers, x0=np.zeros(2),
        jac=lambda theta: -_gradient(theta, *data) / n_customers, method="SLSQP", bounds=bounds,
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    theta = result.x
    information = _observed_information(theta, data)
    for _ in range(20):  # Newton polish: quadratic convergence from the quasi-Newton answer
        if not np.all(np.linalg.eigvalsh(information) > 0):
            break
        step = np.linalg.solve(information, _gradient(theta, *data))
        candidate = np.clip(theta + step, -_LOG_BOUND, _LOG_BOUND)
        if _log_likelihood(candidate, *data) < _log_likelihood(theta, *data) - 1e-12:
            break
        theta = candidate
        information = _observed_information(theta, data)
        if np.max(np.abs(step)) < 1e-12:
            break
    return theta, information


def _geometric_fit(t, churned_by_t, censored_by_t) -> tuple[float, float]:
    """Log-likelihood and churn probability of the no-heterogeneity limit (one churn probability)."""
    churners = churned_by_t.sum()
    exposure = t @ (churned_by_t + censored_by_t)  # periods survived, plus each churner's last period
    churn = churners / exposure
    stay = exposure - churners
    return float(churners * np.log(churn) + (stay * np.log1p(-churn) if stay > 0 else 0.0)), float(churn)


def _log_likelihood(theta, t, churned_by_t, censored_by_t):
    a, b = np.exp(theta)
    base = special.betaln(a, b)
    ll_churn = special.betaln(a + 1, b + t[1:] - 1) - base
    ll_alive = special.betaln(a, b + t) - base
    return churned_by_t[1:] @ ll_churn + censored_by_t @ ll_alive


def _gradient(theta, t, churned_by_t, censored_by_t):
    a, b = np.exp(theta)
    psi = special.digamma
    common_a = -psi(a) + psi(a + b)
    common_b = -psi(b) + psi(a + b)
    tc = t[1:]
    d_a = churned_by_t[1:] @ (psi(a + 1) - psi(a + b + tc) + common_a) \
        + censored_by_t @ (psi(a) - psi(a + b + t) + common_a)
    d_b = churned_by_t[1:] @ (psi(b + tc - 1) - psi(a + b + tc) + common_b) \
        + censored_by_t @ (psi(b + t) - psi(a + b + t) + common_b)
    return np.array([a * d_a, b * d_b])


def _observed_information(theta, data) -> np.ndarray:
    """Negative Hessian of the log-likelihood in (log alpha, log beta), by central differences."""
    h = _HESSIAN_STEP
    columns = [(_gradient(theta + h * e, *data) - _gradient(theta - h * e, *data)) / (2 * h)
               for e in np.eye(2)]
    hessian = np.column_stack(columns)
    return -(hessian + hessian.T) / 2


def _periods(t, *, minimum: int) -> np.ndarray:
    values = np.asarray(t, dtype=float)
    if np.any(np.isnan(values)) or np.any(values != np.round(values)) or np.any(values < minimum):
        raise ValueError(f"periods must be whole numbers >= {minimum}; got {t!r}")
    return values


def _whole_counts(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be whole numbers of customers >= 0 (counts, not shares)")
    return arr


def _as_cohorts(alive) -> list[np.ndarray]:
    """Split the ``alive`` argument of :meth:`ShiftedBetaGeometric.fit` into per-cohort counts."""
    if isinstance(alive, pd.DataFrame):
        rows = [row for _, row in alive.iterrows()]
    elif isinstance(alive, pd.Series):
        rows = [alive.to_numpy()]
    elif isinstance(alive, np.ndarray) and alive.ndim == 2:
        rows = list(alive)
    elif isinstance(alive, (list, tuple)) and len(alive) > 0 and all(np.ndim(r) == 1 for r in alive):
        rows = list(alive)
    else:
        rows = [alive]
    cohorts = []
    for i, row in enumerate(rows):
        values = np.asarray(row, dtype=float)
        if values.ndim != 1:
            raise ValueError("alive must be a 1-D sequence of counts per period, or one such row per cohort")
        observed = ~np.isnan(values)
        if not observed.any():
            continue
        last = int(np.flatnonzero(observed)[-1])
        values = values[: last + 1]
        where = f"alive (cohort {i})"
        if np.isnan(values).any():
            raise ValueError(f"{where}: missing values are allowed only after the last observed period")
        values = _whole_counts(values, where)
        if values[0] <= 0:
            raise ValueError(f"{where}: the first count (cohort size) must be positive")
        if np.any(np.diff(values) > 0):
            raise ValueError(f"{where}: counts of active customers cannot increase over time")
        if len(values) > 1:  # a cohort seen only at period 0 carries no information
            cohorts.append(values)
    if not cohorts:
        raise ValueError("alive: needs counts for at least periods 0 and 1 of some cohort")
    return cohorts


def _percent(level: float) -> str:
    return f"{100 * level:g}%"
