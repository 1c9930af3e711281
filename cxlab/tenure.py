"""Tenure and churn events as of an explicit date: the input of every survival analysis.

Timing convention (used by retention, survival and economics alike)
-------------------------------------------------------------------
Tenure is counted in months of ``DAYS_PER_MONTH`` days (365.25 / 12).

* A customer who churned during their k-th month has ``tenure_months = k`` and
  ``churned = 1`` (``k = ceil(days / DAYS_PER_MONTH)``, at least 1, so churn on the
  acquisition day counts as churn in month 1).
* A customer still active at the as-of date has survived ``floor(days / DAYS_PER_MONTH)``
  whole months and is censored there (``churned = 0``); censoring at 0 months means the
  customer was acquired less than a month before the as-of date.
* A churn date after the as-of date is not known at the as-of date: the customer is
  active (censored) then. Customers acquired after the as-of date do not exist yet and are
  left out; their number is kept in ``frame.attrs["acquired_after_as_of"]``.

So ``S(k)`` estimated from these tenures is the share of customers who pay for more than
k months, and the survival sequence S(1), S(2), ... is what :func:`cxlab.economics.clv`
takes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12


def tenure_frame(customers: pd.DataFrame, as_of, *, acquired_col: str = "acquired_at",
                 churned_col: str = "churned_at") -> pd.DataFrame:
    """Tenure in months and the churn event of each customer as of a date.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        The analysis date: nothing after it is used.
    acquired_col, churned_col : str
        Names of the acquisition and churn date columns.

    Returns
    -------
    pandas.DataFrame
        The customers acquired on or before ``as_of`` with all their columns plus
        ``end_at`` (churn date or as-of date), ``tenure_days`` (float),
        ``tenure_months`` (int, see the module's timing convention) and ``churned`` (0/1).

    Examples
    --------
    >>> from cxlab.datasets import load_demo
    >>> frame = tenure_frame(load_demo().customers, as_of="2025-12-31")
    >>> int(frame["churned"].isin([0, 1]).all())
    1
    """
    missing = [c for c in (acquired_col, churned_col) if c not in customers.columns]
    if missing:
        raise ValueError(f"tenure_frame: customers table lacks column(s) {missing}")
    as_of = pd.Timestamp(as_of)
    acquired = pd.to_datetime(customers[acquired_col])
    known = acquired <= as_of
    out = customers.loc[known].copy()
    acquired = acquired[known]
    churned_at = pd.to_datetime(out[churned_col])
    churned = churned_at.notna() & (churned_at <= as_of)
    end = churned_at.where(churned, as_of)
    days = (end - acquired).dt.total_seconds().to_numpy() / 86_400.0
    months = days / DAYS_PER_MONTH
    out["end_at"] = end
    out["tenure_days"] = days
    out["tenure_months"] = np.where(
        churned, np.maximum(np.ceil(months - 1e-9), 1), np.floor(months + 1e-9)
    ).astype(int)
    out["churned"] = churned.astype(int).to_numpy()
    out.attrs["as_of"] = as_of
    out.attrs["acquired_after_as_of"] = int((~known).sum())
    return out


def event_table(tenure_months, churned, weights=None) -> pd.DataFrame:
    """Life table: customers at risk, churned and censored in each tenure month.

    Parameters
    ----------
    tenure_months : array-like of int
        Tenure in whole months (see the module's timing convention).
    churned : array-like of {0, 1}
        1 if the tenure ended in churn, 0 if censored.
    weights : array-like, optional
        Number of customers each row stands for (default 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by month ``t = 0 .. max tenure`` with columns ``at_risk`` (customers whose
        tenure is at least t), ``churned`` (churned with tenure t), ``censored`` (censored
        with tenure t), ``hazard`` (churned / at_risk) and ``survival`` (Kaplan-Meier S(t)).
    """
    t = np.asarray(tenure_months, dtype=int)
    d = np.asarray(churned, dtype=int)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    if len(t) == 0:
        raise ValueError("event_table: no customers")
    if t.min() < 0:
        raise ValueError("event_table: tenure_months must be >= 0")
    size = int(t.max()) + 1
    events = np.bincount(t, weights=w * d, minlength=size)
    ends = np.bincount(t, weights=w, minlength=size)
    at_risk = ends[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
    table = pd.DataFrame(
        {"at_risk": at_risk, "churned": events, "censored": ends - events, "hazard": hazard,
         "survival": np.cumprod(1 - hazard)},
        index=pd.RangeIndex(size, name="tenure_months"),
    )
    return table
