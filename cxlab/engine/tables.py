"""From aggregates to the tables the analyses use: score distributions, life tables, cohorts.

These functions take the small frames the engine's queries return and give exactly what the pandas
functions give on whole tables (:func:`cxlab.metrics.score_distribution`, :func:`cxlab.tenure.event_table`,
the logo retention of :func:`cxlab.retention.cohort_table`), so an analysis can start from either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.engine.queries import SCALES
from cxlab.retention import NEVER_PERIOD, add_revenue_columns
from cxlab.tenure import event_table

__all__ = ["cohort_alive", "cohort_revenue", "life_tables", "score_distribution"]


def score_distribution(counts: pd.DataFrame, metric: str, by: list[str]) -> pd.DataFrame:
    """Answers per cell (rows) and score (columns ``low .. high`` as floats).

    The layout of :func:`cxlab.metrics.score_distribution`.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``by`` columns, ``score`` and ``answers`` (:func:`cxlab.engine.queries.score_counts`).
    metric : {"nps", "csat", "ces"}
    by : list of str

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> counts = pd.DataFrame({"q": ["a", "a"], "score": [5, 4], "answers": [3, 1]})
    >>> score_distribution(counts, "csat", ["q"]).loc["a"].tolist()
    [0, 0, 0, 1, 3]
    """
    low, high = SCALES[metric]
    table = counts.assign(score=counts["score"].astype(float)).pivot_table(
        index=by, columns="score", values="answers", aggfunc="sum", fill_value=0, dropna=False)
    table = table.reindex(columns=np.arange(low, high + 1, dtype=float), fill_value=0).astype(np.int64)
    table = table.loc[table.sum(axis=1) > 0].sort_index()
    return table.rename_axis(columns="score")


def life_tables(counts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Life table of each group (:func:`cxlab.tenure.event_table` on the weighted counts).

    Parameters
    ----------
    counts : pandas.DataFrame
        ``by`` columns, ``tenure_months``, ``churned`` and ``customers``
        (:func:`cxlab.engine.queries.life_table_counts`).
    by : list of str
        Group columns (empty: one table for everyone).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``tenure_months``, ``at_risk``, ``churned``, ``censored``, ``hazard`` and
        ``survival`` of each group, groups in sorted order.

    Examples
    --------
    >>> counts = pd.DataFrame({"tenure_months": [1, 2], "churned": [1, 0], "customers": [1, 3]})
    >>> life_tables(counts, [])["survival"].tolist()
    [1.0, 0.75, 0.75]
    """
    if not by:
        return _event_table(counts).reset_index()
    parts = []
    for key, group in counts.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        parts.append(_event_table(group).reset_index().assign(**dict(zip(by, key, strict=True))))
    return pd.concat(parts, ignore_index=True)[[*by, "tenure_months", "at_risk", "churned", "censored", "hazard",
                                                "survival"]]


def _event_table(counts: pd.DataFrame) -> pd.DataFrame:
    return event_table(counts["tenure_months"].to_numpy(int), counts["churned"].to_numpy(int),
                       weights=counts["customers"].to_numpy(float))


def cohort_alive(counts: pd.DataFrame, months_per_period: int = 1) -> pd.DataFrame:
    """Customers of each acquisition cohort still active after 0, 1, 2, ... periods (logo retention).

    Definitions as :func:`cxlab.retention.cohort_table`: a churner in tenure month T is active after
    periods ``0 .. ceil(T / m) - 1``; a cohort reports period k only when its most recently acquired
    customer has been observable for ``k * m`` months (later cells missing).

    Parameters
    ----------
    counts : pandas.DataFrame
        ``cohort``, ``tenure_months``, ``churned``, ``customers``, ``cohort_followup_months``
        (:func:`cxlab.engine.queries.cohort_counts`).
    months_per_period : int
        1 (months), 3 (quarters) or 12 (years).

    Returns
    -------
    pandas.DataFrame
        ``cohort``, ``period``, ``months``, ``cohort_size``, ``active``, ``logo_retention``.

    Examples
    --------
    >>> counts = pd.DataFrame({"cohort": ["2025-01"] * 3, "tenure_months": [1, 2, 3], "churned": [1, 1, 0],
    ...                        "customers": [1, 1, 2], "cohort_followup_months": [3, 3, 3]})
    >>> cohort_alive(counts)["logo_retention"].tolist()
    [1.0, 0.75, 0.5, 0.5]
    """
    m = int(months_per_period)
    cohorts = sorted(counts["cohort"].unique())
    code = pd.Index(cohorts).get_indexer(counts["cohort"])
    reached = counts.groupby("cohort")["cohort_followup_months"].min().reindex(cohorts).to_numpy(int) // m
    shape = (len(cohorts), int(reached.max()) + 1)
    tenure = counts["tenure_months"].to_numpy(np.int64)
    last_active = np.where(counts["churned"].to_numpy() == 1, -(-tenure // m) - 1, NEVER_PERIOD)
    counted_to = np.minimum(last_active, reached[code])
    ends = np.bincount(code * shape[1] + counted_to, weights=counts["customers"].to_numpy(float),
                       minlength=shape[0] * shape[1])
    active = ends.reshape(shape)[:, ::-1].cumsum(axis=1)[:, ::-1]
    periods = np.arange(shape[1])
    active[periods[None, :] > reached[:, None]] = np.nan
    size = active[:, 0]
    return pd.DataFrame({
        "cohort": np.repeat(cohorts, shape[1]), "period": np.tile(periods, len(cohorts)),
        "months": np.tile(periods * m, len(cohorts)), "cohort_size": np.repeat(size.astype(int), shape[1]),
        "active": active.ravel(), "logo_retention": (active / size[:, None]).ravel(),
    })


def cohort_revenue(logo: pd.DataFrame, cells: pd.DataFrame, newest: pd.DataFrame, *, as_of,
                   months_per_period: int) -> pd.DataFrame:
    """The revenue columns of :func:`cxlab.retention.cohort_table` added to a logo table (:func:`cohort_alive`).

    Parameters
    ----------
    logo : pandas.DataFrame
        :func:`cohort_alive`'s table.
    cells : pandas.DataFrame
        ``cohort``, ``period``, ``revenue``, ``revenue_kept`` (:func:`cxlab.engine.queries.cohort_revenue`,
        periods from 0); a cohort's period-0 revenue is its base, as every customer is active after period 0.
    newest : pandas.DataFrame
        ``cohort`` and ``newest_month`` (:func:`cxlab.engine.queries.cohort_newest_months`).
    as_of : pandas.Timestamp
    months_per_period : int

    Returns
    -------
    pandas.DataFrame
    """
    cohorts = pd.Index(logo["cohort"].unique())
    width = len(logo) // len(cohorts)
    shown = cells.loc[cells["period"] < width]
    row, column = cohorts.get_indexer(shown["cohort"]), shown["period"].to_numpy(np.int64)
    sums = {}
    for name in ("revenue", "revenue_kept"):
        sums[name] = np.zeros((len(cohorts), width))
        sums[name][row, column] = shown[name].to_numpy(float)
    return add_revenue_columns(logo, **sums, revenue_base=sums["revenue"][:, 0].copy(),
                               newest_month=newest.set_index("cohort")["newest_month"].reindex(cohorts).to_numpy(),
                               as_of=as_of, months_per_period=months_per_period)
