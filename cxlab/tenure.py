"""Tenure and churn events as of an explicit instant: the input of every survival analysis.

Timing convention (used by retention, survival and economics alike)
-------------------------------------------------------------------
Tenure is counted in months of ``DAYS_PER_MONTH`` days (365.25 / 12). The as-of date stands
for the end of that day (:func:`cxlab.periods.as_of_end`): a churn at 15:00 on the as-of date
is known, a churn the next day is not.

* ``observable_months`` is the number of whole months between acquisition and the as-of
  instant: the tenure months of this customer that were fully observable.
* A customer who churned during their k-th month (``k = ceil(days / DAYS_PER_MONTH)``, at
  least 1, so churn on the acquisition day counts as churn in month 1) has
  ``tenure_months = k`` and ``churned = 1`` **when month k was fully observable**
  (``k <= observable_months``).
* Everyone else is censored at their last fully observable month: ``tenure_months =
  observable_months`` and ``churned = 0``. That covers customers still active, customers
  whose churn falls after the as-of instant (not known then), and customers who churned
  during a month that had not ended by the as-of instant.

Why the last rule: whether month k is fully observable depends only on the acquisition date,
never on the customer's fate. Counting a churn in an unfinished month while censoring the
still-active peers of that month at the month before would put events into month k without
their risk set, and bias every hazard upwards (S(k) too low). With the rule, month k's risk
set and its events come from the same customers: those acquired at least k months before the
as-of instant.

Customers acquired after the as-of instant do not exist yet and are left out; their number is
kept in ``frame.attrs["acquired_after_as_of"]``; churners censored in their unfinished month
are counted in ``frame.attrs["churned_in_unfinished_month"]``.

So ``S(k)`` estimated from these tenures is the share of customers who pay for more than
k months, and the survival sequence S(1), S(2), ... is what :func:`cxlab.economics.clv`
takes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.periods import as_of_end

__all__ = ["DAYS_PER_MONTH", "event_table", "is_active", "tenure_frame"]

DAYS_PER_MONTH = 365.25 / 12
_EPSILON_MONTHS = 1e-9


def tenure_frame(customers: pd.DataFrame, *, as_of, acquired_col: str = "acquired_at",
                 churned_col: str = "churned_at") -> pd.DataFrame:
    """Tenure in months and the churn event of each customer as of the end of a day.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        The analysis date: everything up to the end of that day is known, nothing later.
    acquired_col, churned_col : str
        Names of the acquisition and churn date columns.

    Returns
    -------
    pandas.DataFrame
        The customers acquired by the as-of instant with all their columns plus
        ``end_at`` (the churn instant when churn is known by the as-of instant, else the
        as-of instant), ``tenure_days`` (float, days from acquisition to ``end_at``),
        ``observable_months`` (int, whole months between acquisition and the as-of instant),
        ``tenure_months`` (int) and ``churned`` (0/1), see the module's timing convention, and
        ``active`` (bool: no churn known by the as-of instant; a customer who churned in a month
        not yet over is censored but not active). A new frame; when every customer was
        acquired by the as-of instant it shares the columns of ``customers`` rather than copying
        them, so neither frame's columns are to be changed in place.

    Examples
    --------
    >>> customers = pd.DataFrame({"acquired_at": pd.to_datetime(["2025-01-01"] * 3),
    ...     "churned_at": pd.to_datetime(["2025-02-10", "2025-04-20", None])})
    >>> frame = tenure_frame(customers, as_of="2025-04-30")
    >>> frame[["observable_months", "tenure_months", "churned"]].values.tolist()
    [[3, 2, 1], [3, 3, 0], [3, 3, 0]]
    """
    missing = [c for c in (acquired_col, churned_col) if c not in customers.columns]
    if missing:
        raise ValueError(f"tenure_frame: customers table lacks column(s) {missing}")
    end_of_day = as_of_end(as_of)
    acquired = pd.to_datetime(customers[acquired_col])
    known = acquired < end_of_day
    if known.all():  # a new frame sharing the columns: the ones added below go into it alone
        out = customers.copy(deep=False)
    else:
        out = customers.take(np.flatnonzero(known.to_numpy()))  # a new frame (one copy of the kept rows)
        acquired = acquired[known]
    churned_at = pd.to_datetime(out[churned_col])
    churn_known = churned_at.notna() & (churned_at < end_of_day)
    end = churned_at.where(churn_known, end_of_day)
    days = (end - acquired).dt.total_seconds().to_numpy() / 86_400.0
    observable_days = (end_of_day - acquired).dt.total_seconds().to_numpy() / 86_400.0
    observable = np.floor(observable_days / DAYS_PER_MONTH + _EPSILON_MONTHS).astype(int)
    churn_month = np.maximum(np.ceil(days / DAYS_PER_MONTH - _EPSILON_MONTHS), 1).astype(int)
    churned = churn_known.to_numpy() & (churn_month <= observable)
    out["end_at"] = end
    out["tenure_days"] = days
    out["observable_months"] = observable
    out["tenure_months"] = np.where(churned, churn_month, observable)
    out["churned"] = churned.astype(int)
    out["active"] = ~churn_known.to_numpy()
    out.attrs["as_of"] = pd.Timestamp(as_of)
    out.attrs["acquired_after_as_of"] = int((~known).sum())
    out.attrs["churned_in_unfinished_month"] = int((churn_known.to_numpy() & ~churned).sum())
    return out


def is_active(frame: pd.DataFrame) -> np.ndarray:
    """Which customers of a tenure frame are active: its ``active`` column, else those not churned.

    A frame from :func:`tenure_frame` knows which censored customers had in fact churned in a
    month not yet over (not active); a frame built by hand from tenures and churn flags only has
    ``churned``.

    Examples
    --------
    >>> is_active(pd.DataFrame({"tenure_months": [3, 5], "churned": [1, 0]})).tolist()
    [False, True]
    """
    if "active" in frame.columns:
        return frame["active"].to_numpy(dtype=bool)
    return frame["churned"].to_numpy() == 0


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
