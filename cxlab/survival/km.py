"""Kaplan-Meier curves, their summaries and log-rank tests, fitted on aggregated counts.

Monthly tenure takes few distinct values, so the customers are first counted per
``(group, tenure, churned)`` and lifelines fits those counts as integer weights. The
Kaplan-Meier estimate, its Greenwood variance and the log-rank statistics depend on the data
only through these counts, so the results are identical to a fit on one row per customer.

Reading the numbers (timing convention of :mod:`cxlab.tenure`): ``S(12)`` is the share of
customers who stay more than 12 months; the median tenure is the first month by whose end half
of the customers have churned; the restricted mean survival time ``RMST(36)`` is the average
number of the first 36 months a customer stays.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxlab.survival.wording import format_p

__all__ = ["ALL", "LOGRANK_COLUMNS", "SUMMARY_COLUMNS", "fitters_by_group", "km_by", "km_summary", "logrank_table",
           "rmst", "survival_at", "survival_se"]

ALL = "all customers"
SUMMARY_COLUMNS = ["group", "n", "events", "measure", "horizon_months", "estimate", "se", "ci_low", "ci_high",
                   "unit", "note", "sentence"]
LOGRANK_COLUMNS = ["comparison", "group_a", "group_b", "test_statistic", "df", "p", "p_holm", "sentence"]


def _counts(frame: pd.DataFrame, group_col: str | None, duration_col: str, event_col: str,
            weights_col: str | None) -> pd.DataFrame:
    """Customers per (group, tenure, churned): the sufficient statistic of every estimate here."""
    needed = [duration_col, event_col] + [c for c in (group_col, weights_col) if c]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"Kaplan-Meier: column(s) {missing} not in the frame (have {list(frame.columns)})")
    events = frame[event_col]
    if events.isna().any() or not events.isin([0, 1]).all():
        raise ValueError(f"'{event_col}' must be 0 (censored) or 1 (churned) in every row")
    if (frame[duration_col] < 0).any() or frame[duration_col].isna().any():
        raise ValueError(f"'{duration_col}' must be a tenure >= 0 in every row")
    data = pd.DataFrame({
        "group": frame[group_col].astype("string").fillna("missing").to_numpy() if group_col else ALL,
        "duration": frame[duration_col].to_numpy(),
        "event": frame[event_col].to_numpy(dtype=int),
        "weight": frame[weights_col].to_numpy(dtype=float) if weights_col else 1.0,
    })
    return data.groupby(["group", "duration", "event"], sort=True)["weight"].sum().reset_index()


def km_by(frame: pd.DataFrame, group_col: str | None = None, *, duration_col: str = "tenure_months",
          event_col: str = "churned", weights_col: str | None = None, level: float = 0.95):
    """Fit Kaplan-Meier curves, overall or per group, on aggregated counts.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (e.g. :func:`cxlab.tenure.tenure_frame` or
        :func:`cxlab.survival.survival_frame`); not modified.
    group_col : str, optional
        Column defining the groups (missing values form the group ``"missing"``).
    duration_col, event_col : str
        Tenure in months and the 0/1 churn flag.
    weights_col : str, optional
        Customers per row, for an already aggregated frame.
    level : float
        Confidence level of the (log-log, Greenwood) intervals.

    Returns
    -------
    lifelines.KaplanMeierFitter or dict of str to lifelines.KaplanMeierFitter
        One fitter when ``group_col`` is None, else one per group (sorted by name), each
        labelled with the group name.

    Examples
    --------
    >>> frame = pd.DataFrame({"tenure_months": [1, 3, 3, 5, 8], "churned": [1, 1, 0, 1, 0]})
    >>> round(float(km_by(frame).survival_function_at_times(3).iloc[0]), 3)
    0.6
    """
    counts = _counts(frame, group_col, duration_col, event_col, weights_col)
    if counts.empty:
        raise ValueError("Kaplan-Meier: the frame has no customers")
    fitters = {}
    for group, part in counts.groupby("group", sort=True):
        fitters[group] = KaplanMeierFitter(alpha=1 - level).fit(
            part["duration"], part["event"], weights=part["weight"], label=str(group)
        )
    if group_col is None:
        return fitters[ALL]
    return fitters


def fitters_by_group(km) -> dict:
    """The Kaplan-Meier fits of a :func:`km_by` result by group label.

    Parameters
    ----------
    km : lifelines.KaplanMeierFitter or dict of them
        The result of :func:`km_by` (one fit, or one per group).

    Returns
    -------
    dict
        Group label -> fitted ``KaplanMeierFitter`` (one entry, labelled by the fit, for a single curve).
    """
    return km if isinstance(km, dict) else {km._label: km}


def survival_at(kmf: KaplanMeierFitter, months: float) -> tuple[float, float, float]:
    """Kaplan-Meier survival at a tenure with its confidence interval.

    Parameters
    ----------
    kmf : lifelines.KaplanMeierFitter
        A fitted curve.
    months : float
        Tenure in months.

    Returns
    -------
    (float, float, float)
        Estimate, lower and upper bound; NaN when no customer was followed that long (and
        the curve has not reached 0).
    """
    sf = kmf.survival_function_.iloc[:, 0]
    if months > sf.index.max() and sf.iloc[-1] > 0:
        return np.nan, np.nan, np.nan
    ci = kmf.confidence_interval_survival_function_.loc[:months]
    estimate = float(sf.loc[:months].iloc[-1])
    return estimate, float(ci.iloc[-1, 0]), float(ci.iloc[-1, 1])


def survival_se(kmf: KaplanMeierFitter, months: float) -> float:
    """Greenwood standard error of the Kaplan-Meier survival at a tenure.

    ``SE = S(t) * sqrt(sum_{t_i <= t} d_i / (Y_i (Y_i - d_i)))`` (Greenwood 1926; Klein &
    Moeschberger 2003, eq. 4.2.2), with ``d_i`` churned and ``Y_i`` at risk at ``t_i``.

    Parameters
    ----------
    kmf : lifelines.KaplanMeierFitter
        A fitted curve.
    months : float
        Tenure in months.

    Returns
    -------
    float
        NaN where :func:`survival_at` has no estimate; 0 once the curve has reached 0.

    Examples
    --------
    >>> kmf = KaplanMeierFitter().fit([1, 2, 2, 4], [1, 1, 0, 0])
    >>> round(survival_se(kmf, 2), 4)  # S = 3/4 * 2/3 = 0.5; 0.5 * sqrt(1/12 + 1/6)
    0.25
    """
    estimate = survival_at(kmf, months)[0]
    if not np.isfinite(estimate):
        return np.nan
    table = kmf.event_table.loc[:months]
    d = table["observed"].to_numpy(dtype=float)
    y = table["at_risk"].to_numpy(dtype=float)
    if np.any((d > 0) & (d >= y)):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (y * (y - d)), 0.0)
    return float(estimate * np.sqrt(terms.sum()))


def rmst(kmf: KaplanMeierFitter, horizon_months: float) -> tuple[float, float]:
    """Restricted mean survival time (area under the Kaplan-Meier curve) with its standard error.

    The estimate is the exact area under the step function (as lifelines'
    ``restricted_mean_survival_time``); the standard error is the Greenwood-type estimator of
    Klein & Moeschberger (2003, §4.5), as in R's ``survival`` (``print(survfit, rmean=)``) and
    ``survRM2``:
    ``Var = sum_{t_i <= tau} A_i^2 d_i / (Y_i (Y_i - d_i))`` with ``A_i`` the area under the
    curve from ``t_i`` to ``tau``, ``d_i`` churned and ``Y_i`` at risk at ``t_i``.

    Parameters
    ----------
    kmf : lifelines.KaplanMeierFitter
        A fitted curve.
    horizon_months : float
        Upper limit ``tau`` of the integral.

    Returns
    -------
    (float, float)
        RMST in months and its standard error; both NaN when no customer was followed up to
        ``horizon_months`` (and the curve has not reached 0).

    Examples
    --------
    >>> kmf = KaplanMeierFitter().fit([1, 2, 2, 4], [1, 1, 0, 0])
    >>> round(rmst(kmf, 3)[0], 4)
    2.25
    """
    sf = kmf.survival_function_.iloc[:, 0]
    if horizon_months > sf.index.max() and sf.iloc[-1] > 0:
        return np.nan, np.nan
    times = sf.index.to_numpy(dtype=float)
    values = sf.to_numpy(dtype=float)
    # S is a step function: constant from each time in its index to the next one (and to the horizon)
    grid = np.append(times[times <= horizon_months], horizon_months)
    segment_area = values[: len(grid) - 1] * np.diff(grid)
    estimate = float(segment_area.sum())
    area_after = np.cumsum(segment_area[::-1])[::-1]
    table = kmf.event_table.loc[:horizon_months]
    table = table[table["observed"] > 0]
    areas = area_after[np.searchsorted(grid[:-1], table.index.to_numpy(dtype=float))]
    d = table["observed"].to_numpy(dtype=float)
    y = table["at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(areas > 0, areas**2 * d / (y * (y - d)), 0.0)
    return estimate, float(np.sqrt(terms.sum()))


def km_summary(km, *, times_months=(12, 24, 36), rmst_months: float | None = 36, min_cell_size: int = 0
               ) -> pd.DataFrame:
    """Median tenure, survival at given months and RMST per group, with intervals, in a tidy table.

    Parameters
    ----------
    km : lifelines.KaplanMeierFitter or dict of them
        The result of :func:`km_by`.
    times_months : float or sequence of float
        Tenure(s) at which to report survival.
    rmst_months : float, optional
        Horizon of the restricted mean survival time (None: leave it out).
    min_cell_size : int
        Groups with fewer customers have their estimates blanked (``note`` says so).

    Returns
    -------
    pandas.DataFrame
        One row per group and measure: group, n, events, measure (``"median tenure"``,
        ``"survival"``, ``"rmst"``), horizon_months, estimate, se, ci_low, ci_high, unit
        (``"months"`` or ``"share"``), note, sentence. ``se`` is the Greenwood standard error
        for survival (:func:`survival_se`) and the Klein-Moeschberger one for the RMST
        (:func:`rmst`); the median has no standard error (missing): its interval is the
        Brookmeyer-Crowley one, the tenures where the pointwise survival interval crosses 0.5.

    Examples
    --------
    >>> kmf = km_by(pd.DataFrame({"tenure_months": [1, 2, 2, 4], "churned": [1, 1, 0, 0]}))
    >>> km_summary(kmf, times_months=2, rmst_months=None)[["measure", "estimate", "se"]].values.tolist()
    [['median tenure', 2.0, nan], ['survival', 0.5, 0.25]]
    """
    times_months = np.atleast_1d(np.asarray(times_months, dtype=float)).tolist()
    rows = []
    for group, kmf in fitters_by_group(km).items():
        n = int(round(kmf.event_table["entrance"].sum()))
        events = int(round(kmf.event_table["observed"].sum()))
        base = {"group": group, "n": n, "events": events}
        suppressed = n < min_cell_size
        level = 1 - kmf.alpha
        who = "all customers" if group == ALL else f"'{group}' customers"
        median = float(kmf.median_survival_time_)
        bounds = median_survival_times(kmf.confidence_interval_).iloc[0].to_numpy(dtype=float)
        lo, hi = (np.nan if np.isinf(b) else float(b) for b in bounds)
        reached = np.isfinite(median)
        rows.append({**base, "measure": "median tenure", "horizon_months": np.nan,
                     "estimate": median if reached else np.nan, "se": np.nan, "ci_low": lo, "ci_high": hi,
                     "unit": "months", "note": "" if reached else "not reached",
                     "sentence": (f"Half of {who} have churned by month {median:.0f} ({level:.0%} CI "
                                  f"{lo:.0f}–{'not reached' if np.isnan(hi) else f'{hi:.0f}'})." if reached else
                                  f"Fewer than half of {who} have churned in the observed window: the median "
                                  f"tenure is not reached.")})
        for months in times_months:
            estimate, lo, hi = survival_at(kmf, months)
            sentence = (f"{estimate:.0%} of {who} stay more than {months:g} months ({level:.0%} CI "
                        f"{lo:.0%}–{hi:.0%})." if np.isfinite(estimate) else
                        f"No {who} have been followed for {months:g} months yet.")
            rows.append({**base, "measure": "survival", "horizon_months": months, "estimate": estimate,
                         "se": survival_se(kmf, months), "ci_low": lo, "ci_high": hi, "unit": "share",
                         "note": "" if np.isfinite(estimate) else "not observed", "sentence": sentence})
        if rmst_months is not None:
            estimate, se = rmst(kmf, rmst_months)
            z = stats.norm.ppf(1 - kmf.alpha / 2)
            sentence = (f"Of their first {rmst_months:g} months, {who} stay {estimate:.1f} months on average "
                        f"({level:.0%} CI {estimate - z * se:.1f}–{estimate + z * se:.1f})."
                        if np.isfinite(estimate) else f"No {who} have been followed for {rmst_months:g} months yet.")
            rows.append({**base, "measure": "rmst", "horizon_months": rmst_months, "estimate": estimate, "se": se,
                         "ci_low": estimate - z * se, "ci_high": estimate + z * se, "unit": "months",
                         "note": "" if np.isfinite(estimate) else "not observed", "sentence": sentence})
        if suppressed:
            for row in rows:
                if row["group"] == group:
                    row.update({k: np.nan for k in ("estimate", "se", "ci_low", "ci_high")})
                    row["note"] = f"suppressed: fewer than {min_cell_size} customers"
                    row["sentence"] = f"Not shown: fewer than {min_cell_size} {who}."
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def logrank_table(frame: pd.DataFrame, group_col: str, *, duration_col: str = "tenure_months",
                  event_col: str = "churned", weights_col: str | None = None, min_cell_size: int = 0,
                  group_label: str | None = None) -> pd.DataFrame:
    """Log-rank tests of equal survival across groups: overall and for every pair.

    The overall test is lifelines' ``multivariate_logrank_test`` (k - 1 degrees of freedom);
    pairs use ``logrank_test``, with Holm-adjusted p-values for the multiple comparisons.
    Both run on aggregated counts (identical statistics).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer; not modified.
    group_col : str
        Column defining the groups.
    duration_col, event_col, weights_col : str
        As in :func:`km_by`.
    min_cell_size : int
        Groups with fewer customers are left out of the tests.
    group_label : str, optional
        Plain name of the groups for the sentences, e.g. ``"NPS categories"`` (default
        ``"<group_col> groups"``).

    Returns
    -------
    pandas.DataFrame
        Columns comparison (``"overall"`` or ``"pair"``), group_a, group_b, test_statistic
        (chi-squared), df, p, p_holm (pairs), sentence.
    """
    counts = _counts(frame, group_col, duration_col, event_col, weights_col)
    sizes = counts.groupby("group")["weight"].sum()
    counts = counts[counts["group"].isin(sizes.index[sizes >= min_cell_size])]
    groups = sorted(counts["group"].unique())
    if len(groups) < 2:
        return pd.DataFrame(columns=LOGRANK_COLUMNS)
    overall = multivariate_logrank_test(counts["duration"], counts["group"], counts["event"],
                                        weights=counts["weight"])
    rows = [{"comparison": "overall", "group_a": "all groups", "group_b": "", "test_statistic":
             float(overall.test_statistic), "df": len(groups) - 1, "p": float(overall.p_value), "p_holm": np.nan}]
    parts = {g: counts[counts["group"] == g] for g in groups}
    for a, b in combinations(groups, 2):
        result = logrank_test(parts[a]["duration"], parts[b]["duration"], parts[a]["event"], parts[b]["event"],
                              weights_A=parts[a]["weight"], weights_B=parts[b]["weight"])
        rows.append({"comparison": "pair", "group_a": a, "group_b": b, "test_statistic":
                     float(result.test_statistic), "df": 1, "p": float(result.p_value), "p_holm": np.nan})
    table = pd.DataFrame(rows, columns=LOGRANK_COLUMNS)
    pairs = table["comparison"] == "pair"
    table.loc[pairs, "p_holm"] = multipletests(table.loc[pairs, "p"], method="holm")[1]
    what = f"{'between' if len(groups) == 2 else 'across'} {group_label or f'{group_col} groups'}"
    table["sentence"] = [_logrank_sentence(row, what) for row in table.itertuples(index=False)]
    return table


def _logrank_sentence(row, what: str) -> str:
    if row.comparison == "overall":
        verdict = "differs" if row.p < 0.05 else "shows no clear difference"
        return (f"Survival {verdict} {what} (log-rank chi² = {row.test_statistic:.1f} on "
                f"{row.df} df, {format_p(row.p)}).")
    verdict = "differs" if row.p_holm < 0.05 else "shows no clear difference"
    return (f"'{row.group_a}' vs '{row.group_b}': survival {verdict} (chi² = {row.test_statistic:.1f}, "
            f"Holm-adjusted {format_p(row.p_holm)}).")
