"""Revenue at risk: how much of the active base's monthly revenue is expected to churn away soon.

For the customers active at the as-of instant, grouped by their whole months of tenure ``t``,
with monthly revenue ``R_t`` in all:

* revenue lost by month ``H`` (a run rate): ``sum_t R_t (1 - S_w(t + H) / S_w(t))``;
* revenue not earned over the next ``H`` months: ``sum_t R_t sum_{m=1..H} (1 - S_w(t + m) / S_w(t))``,

where ``S_w`` is the revenue-weighted survival (:func:`cxlab.economics.curves.joint_survival_draws`;
high-revenue customers churn less, so counting customers would overstate the money at risk).
A customer active after ``t`` whole months is treated as at the start of month ``t + 1``. The
intervals are percentiles over the curve's replicates (sampling error of the life table and of
the tail beyond the observed window). Only aggregates enter: revenue per tenure month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.economics.curves import joint_survival_draws, percentile_interval, revenue_life_table
from cxlab.tenure import tenure_frame

__all__ = ["RevenueAtRisk", "revenue_at_risk"]


@dataclass(frozen=True)
class RevenueAtRisk:
    """Revenue of the active base expected to churn within a horizon, with intervals.

    Attributes
    ----------
    horizon_months : int
    active_customers : int
        Customers active at the as-of instant.
    monthly_revenue : float
        Their monthly revenue in all.
    run_rate_lost, run_rate_lost_ci_low, run_rate_lost_ci_high : float
        Monthly revenue expected to have churned away by the end of the horizon.
    revenue_lost, revenue_lost_ci_low, revenue_lost_ci_high : float
        Revenue expected not to be earned over the horizon because of churn.
    level : float
        Confidence level of the intervals.
    """

    horizon_months: int
    active_customers: int
    monthly_revenue: float
    run_rate_lost: float
    run_rate_lost_ci_low: float
    run_rate_lost_ci_high: float
    revenue_lost: float
    revenue_lost_ci_low: float
    revenue_lost_ci_high: float
    level: float

    @property
    def share_at_risk(self) -> float:
        """Share of today's monthly revenue expected to have churned away by the horizon."""
        return self.run_rate_lost / self.monthly_revenue if self.monthly_revenue > 0 else np.nan


def _lost(survival: np.ndarray, revenue_by_tenure: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Run rate lost at the horizon and revenue lost over it, for curves S(0..L) in the last axis."""
    t = np.arange(len(revenue_by_tenure))
    start = survival[..., t]
    kept = np.stack([survival[..., t + m] for m in range(1, horizon + 1)], axis=-1) / start[..., None]
    run_rate = ((1 - kept[..., -1]) * revenue_by_tenure).sum(axis=-1)
    over_horizon = ((1 - kept).sum(axis=-1) * revenue_by_tenure).sum(axis=-1)
    return run_rate, over_horizon


def revenue_at_risk(customers: pd.DataFrame, *, as_of, horizon_months: int = 12, n_resamples: int = 500,
                    seed: int = 0, min_at_risk: int = 30, tail: str = "geometric",
                    level: float = 0.95) -> RevenueAtRisk:
    """Monthly revenue of the active base expected to churn away within a horizon, with intervals.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table with ``monthly_revenue`` known for every customer; not modified.
    as_of : str or pandas.Timestamp
        The as-of date (the end of that day).
    horizon_months : int
        Months ahead.
    n_resamples, seed : int
        Replicates of the survival curve and their seed.
    min_at_risk : int
        The observed curve is used while at least this many customers are at risk; the tail
        model beyond.
    tail : str
        Tail model of :func:`cxlab.economics.curves.survival_draws` (default ``"geometric"``).
    level : float
        Confidence level.

    Returns
    -------
    RevenueAtRisk

    Raises
    ------
    ValueError
        When monthly revenue is missing for some customer or no customer is active.

    Examples
    --------
    >>> from cxlab.datasets import load_demo
    >>> data = load_demo()
    >>> risk = revenue_at_risk(data.customers, as_of=data.as_of, n_resamples=50)
    >>> bool(risk.run_rate_lost_ci_low <= risk.run_rate_lost <= risk.run_rate_lost_ci_high)
    True
    """
    if horizon_months < 1 or horizon_months % 1:
        raise ValueError(f"horizon_months must be a whole number >= 1; got {horizon_months}")
    # the columns it reads: tenure_frame copies every column it is given when a customer comes after the as-of date
    frame = tenure_frame(customers.filter(["acquired_at", "churned_at", "monthly_revenue"]), as_of=as_of)
    revenue = frame["monthly_revenue"].astype(float)
    if revenue.isna().any():
        raise ValueError(f"revenue_at_risk: monthly_revenue is missing for {int(revenue.isna().sum())} customer(s)")
    active = frame["active"]
    if not active.any():
        raise ValueError("revenue_at_risk: no customer is active at the as-of date")
    tenure = frame.loc[active, "tenure_months"].to_numpy()
    revenue_by_tenure = np.bincount(tenure, weights=revenue[active].to_numpy())
    table = revenue_life_table(frame["tenure_months"], frame["churned"], revenue)
    _, curve = joint_survival_draws(table, horizon_months=len(revenue_by_tenure) + horizon_months,
                                    n_resamples=n_resamples, seed=seed, min_at_risk=min_at_risk, tail=tail)
    run_rate, lost = _lost(curve.survival(), revenue_by_tenure, horizon_months)
    run_rate_draws, lost_draws = _lost(curve.survival_draws(), revenue_by_tenure, horizon_months)
    (run_low, run_high), (lost_low, lost_high) = (percentile_interval(d, level) for d in (run_rate_draws, lost_draws))
    return RevenueAtRisk(horizon_months=int(horizon_months), active_customers=int(active.sum()),
                         monthly_revenue=float(revenue_by_tenure.sum()), run_rate_lost=float(run_rate),
                         run_rate_lost_ci_low=float(run_low), run_rate_lost_ci_high=float(run_high),
                         revenue_lost=float(lost), revenue_lost_ci_low=float(lost_low),
                         revenue_lost_ci_high=float(lost_high), level=level)
