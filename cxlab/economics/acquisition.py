"""Acquisition economics: cost of acquiring a customer (CAC), payback and LTV/CAC per channel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.economics.clv import LIFETIME_MONTHS, group_clv, group_curves, monthly_rate, payback_months
from cxlab.economics.curves import percentile_interval
from cxlab.periods import as_of_end, known_by
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

__all__ = ["ALL", "acquisition_costs", "recent_acquisitions", "unit_economics"]

ALL = "all customers"


def recent_acquisitions(customers: pd.DataFrame, *, as_of, window_months: float,
                        acquired_col: str = "acquired_at") -> tuple[pd.DataFrame, float]:
    """Customers acquired in the ``window_months`` before ``as_of`` and the months that window covers.

    The window is ``(as_of - window_months, as_of]`` in months of 365.25/12 days; when the data
    start later, it is shortened to the data's span so the monthly rate is not understated.

    Returns
    -------
    (pandas.DataFrame, float)
        The recent customers and the window's length in months.
    """
    if acquired_col not in customers.columns:
        raise ValueError(f"customers table lacks column {acquired_col!r}")
    if window_months <= 0:
        raise ValueError(f"window_months must be positive; got {window_months}")
    as_of = pd.Timestamp(as_of)
    acquired = pd.to_datetime(customers[acquired_col])
    known = known_by(acquired, as_of=as_of)
    if not known.any():
        raise ValueError(f"no customer was acquired on or before the as-of date {as_of.date()}")
    span_months = (as_of_end(as_of) - acquired[known].min()).total_seconds() / 86_400 / DAYS_PER_MONTH
    months = min(float(window_months), max(span_months, 1.0))
    recent = known & (acquired > as_of_end(as_of) - pd.Timedelta(days=months * DAYS_PER_MONTH))
    return customers.loc[recent], months


def _mean_ci(values: np.ndarray, level: float) -> dict:
    n = len(values)
    mean = float(values.mean()) if n else np.nan
    se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
    q = stats.t.ppf(0.5 + level / 2, n - 1) if n > 1 else np.nan
    return {"n": n, "cac": mean, "se": se, "ci_low": mean - q * se, "ci_high": mean + q * se}


def acquisition_costs(customers: pd.DataFrame, *, as_of, by: str = "acquisition_channel",
                      cost_col: str = "acquisition_cost", window_months: float | None = None,
                      level: float = 0.95) -> pd.DataFrame:
    """Mean cost of acquiring a customer (CAC) per group, with a t interval.

    Parameters
    ----------
    customers : pandas.DataFrame
        The ``customers`` table; not modified. Customers acquired after ``as_of`` are ignored;
        customers without a recorded cost are counted in ``n_missing_cost`` and left out of
        the mean.
    as_of : str or pandas.Timestamp
        Analysis date.
    by : str
        Grouping column (default the acquisition channel).
    cost_col : str
        Acquisition cost column (currency per customer).
    window_months : float, optional
        Only customers acquired in this many months before ``as_of`` (the current CAC);
        default all.
    level : float
        Interval level.

    Returns
    -------
    pandas.DataFrame
        Indexed by group plus a last row ``"all customers"``: ``n`` (customers with a cost),
        ``cac``, ``se``, ``ci_low``, ``ci_high``, ``n_missing_cost``.

    Examples
    --------
    >>> df = pd.DataFrame({"acquisition_channel": ["web", "web", "partner"],
    ...                    "acquired_at": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"]),
    ...                    "acquisition_cost": [100.0, 300.0, 500.0]})
    >>> float(acquisition_costs(df, as_of="2024-12-31").loc["web", "cac"])
    200.0
    """
    missing = [c for c in (by, cost_col, "acquired_at") if c not in customers.columns]
    if missing:
        raise ValueError(f"acquisition_costs: customers table lacks column(s) {missing}")
    if window_months is None:
        known = customers.loc[pd.to_datetime(customers["acquired_at"]) <= pd.Timestamp(as_of)]
    else:
        known, _ = recent_acquisitions(customers, as_of=as_of, window_months=window_months)
    cost = pd.to_numeric(known[cost_col], errors="coerce")
    if (cost < 0).any():
        raise ValueError(f"acquisition_costs: column {cost_col!r} has negative costs")
    rows = {}
    for key, group_cost in cost.groupby(known[by], observed=True, sort=True):
        rows[key] = {**_mean_ci(group_cost.dropna().to_numpy(), level),
                     "n_missing_cost": int(group_cost.isna().sum())}
    rows[ALL] = {**_mean_ci(cost.dropna().to_numpy(), level), "n_missing_cost": int(cost.isna().sum())}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def unit_economics(customers: pd.DataFrame, *, as_of, gross_margin_share: float, annual_discount_rate: float,
                   by: str = "acquisition_channel", cac_window_months: float | None = 12, n_resamples: int = 500,
                   seed: int = 0, min_at_risk: int = 30, tail: str = "geometric",
                   lifetime_months: int = LIFETIME_MONTHS, level: float = 0.95,
                   revenue_weighted: bool = True) -> pd.DataFrame:
    """CLV, CAC, LTV/CAC and payback per group (default per acquisition channel), with intervals.

    Each group's lifetime value uses its own survival curve and margin (as
    :func:`~cxlab.economics.clv.clv_by`); its CAC is the mean recorded acquisition cost. The
    intervals combine the survival bootstrap, the sampling error of the mean revenue and of
    the mean CAC (normal draws), all seeded. Survival and margin use every customer acquired by
    ``as_of``; the CAC is today's (``cac_window_months``, as in the retention-lift scenario).

    Parameters
    ----------
    customers : pandas.DataFrame
        The ``customers`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (tenure and churn as of it, see :func:`cxlab.tenure.tenure_frame`).
    gross_margin_share, annual_discount_rate : float
        Assumptions: share of revenue kept as margin, annual discount rate.
    by : str
        Grouping column.
    cac_window_months : float or None
        CAC of the customers acquired in this many months before ``as_of`` (None: all).
    n_resamples, seed, min_at_risk, tail, lifetime_months, level, revenue_weighted
        As in :func:`~cxlab.economics.clv.clv_by` (by default money follows the revenue-weighted
        survival curve, for the lifetime value and the payback alike).

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``"all customers"``: ``n_customers``, ``monthly_margin``,
        ``clv``/``clv_ci_low``/``clv_ci_high``, ``cac``/``cac_ci_low``/``cac_ci_high``, ``n_cac``,
        ``ltv_cac``/``ltv_cac_ci_low``/``ltv_cac_ci_high`` and ``payback_months`` with its interval
        (``payback_months_ci_low``, ``payback_months_ci_high``):
        the first month at which a new customer's expected cumulative (undiscounted,
        survival-weighted) margin reaches the CAC (see
        :func:`~cxlab.economics.clv.payback_months`); NaN when it is never reached.
    """
    frame = tenure_frame(customers, as_of=as_of)
    if by not in frame.columns:
        raise ValueError(f"unit_economics: customers table lacks column {by!r}")
    costs = acquisition_costs(customers, as_of=as_of, by=by, window_months=cac_window_months, level=level)
    discount = monthly_rate(annual_discount_rate)
    groups = [(key, group) for key, group in frame.groupby(by, observed=True, sort=True)] + [(ALL, frame)]
    rows = {}
    for key, group in groups:
        rows[key] = _group_unit_economics(group, costs.loc[key] if key in costs.index else None,
                                          gross_margin_share=gross_margin_share, discount=discount,
                                          n_resamples=n_resamples, seed=seed, min_at_risk=min_at_risk, tail=tail,
                                          lifetime_months=lifetime_months, level=level,
                                          revenue_weighted=revenue_weighted)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def _group_unit_economics(group: pd.DataFrame, cost: pd.Series | None, *, gross_margin_share: float,
                          discount: float, n_resamples: int, seed: int, min_at_risk: int, tail: str,
                          lifetime_months: int, level: float, revenue_weighted: bool) -> dict:
    nan = np.nan
    row = {"n_customers": len(group), "monthly_margin": nan, "clv": nan, "clv_ci_low": nan, "clv_ci_high": nan,
           "cac": nan, "cac_ci_low": nan, "cac_ci_high": nan, "n_cac": 0, "ltv_cac": nan, "ltv_cac_ci_low": nan,
           "ltv_cac_ci_high": nan, "payback_months": nan, "payback_months_ci_low": nan, "payback_months_ci_high": nan}
    if cost is not None:
        row.update(cac=cost["cac"], cac_ci_low=cost["ci_low"], cac_ci_high=cost["ci_high"], n_cac=int(cost["n"]))
    if (group["tenure_months"] >= 1).sum() < min_at_risk:
        return row
    curves = group_curves(group, horizon_months=lifetime_months + int(group["tenure_months"].max()),
                          revenue_weighted=revenue_weighted, n_resamples=n_resamples, seed=seed,
                          min_at_risk=min_at_risk, tail=tail)
    curve = curves[1]
    values = group_clv(group, gross_margin_share=gross_margin_share, monthly_discount_rate=discount,
                       seed=seed, lifetime_months=lifetime_months, level=level, curves=curves)
    row.update(monthly_margin=values["monthly_margin"], clv=values["clv"], clv_ci_low=values["clv_ci_low"],
               clv_ci_high=values["clv_ci_high"])
    if cost is None or not np.isfinite(cost["cac"]) or cost["cac"] <= 0:
        return row
    rng = np.random.default_rng([seed, 2])
    se = cost["se"] if np.isfinite(cost["se"]) else 0.0
    cac_draws = np.maximum(cost["cac"] + se * rng.standard_normal(curve.n_resamples), 1e-9)
    s = curve.survival()[1:lifetime_months + 1]
    s_draws = curve.survival_draws()[:, 1:lifetime_months + 1]
    ratio_draws = values["clv_draws"] / cac_draws
    payback_draws = payback_months(s_draws, margin_per_period=values["margin_draws"][:, None],
                                   acquisition_cost=cac_draws)
    row.update(ltv_cac=values["clv"] / cost["cac"],
               payback_months=payback_months(s, margin_per_period=values["monthly_margin"],
                                             acquisition_cost=cost["cac"]))
    row.update(zip(("ltv_cac_ci_low", "ltv_cac_ci_high"), percentile_interval(ratio_draws, level), strict=True))
    row.update(zip(("payback_months_ci_low", "payback_months_ci_high"), _payback_interval(payback_draws, level),
                   strict=True))
    return row


def _payback_interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of payback months, where 'never' (NaN) counts as later than any month."""
    if draws.size == 0:
        return np.nan, np.nan
    tail = (1.0 - level) / 2
    low, high = np.quantile(np.where(np.isnan(draws), np.inf, draws), [tail, 1 - tail], method="inverted_cdf")
    return (float(low) if np.isfinite(low) else np.nan), (float(high) if np.isfinite(high) else np.nan)
