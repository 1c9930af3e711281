"""The before/after change around a dated intervention, by segmented regression."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from cxlab import metrics
from cxlab.touchpoints.answers import SURVEY_COLUMNS, _require, _scores_only, surveys_as_of

__all__ = ["InterventionEffect", "intervention_effect"]


@dataclass(frozen=True)
class InterventionEffect:
    """Change in a touchpoint's CSAT share around a dated intervention.

    Attributes
    ----------
    touchpoint : str
    date : pandas.Timestamp
        Intervention date; invitations sent on or after it are "after".
    window_months : int
        Length of each window; the after window is cut at the as-of date.
    before_start, after_end : pandas.Timestamp
        First day of the before window and the end (exclusive) of the after window.
    before, after : metrics.CSATEstimate
        CSAT in each window.
    change : metrics.Difference
        After minus before, share satisfied in percentage points (Newcombe interval, pooled
        z-test).
    segmented : pandas.DataFrame or None
        Segmented regression of the monthly share (weighted least squares, weights = answers
        per month, HC1 robust standard errors): ``pre_trend_per_month``,
        ``level_change_at_date`` and ``slope_change_per_month`` in percentage points with
        ``ci_low``, ``ci_high``, ``p_value``; None with fewer than 3 months on either side.
    monthly : pandas.DataFrame
        Per month since the date (``month`` = whole months, negative before): ``start``,
        ``n``, ``satisfied``, ``share``, ``ci_low``, ``ci_high`` (Wilson, %) and ``fitted``
        (segmented-regression line, %).
    level : float
        Confidence level.
    """

    touchpoint: str
    date: pd.Timestamp
    window_months: int
    before_start: pd.Timestamp
    after_end: pd.Timestamp
    before: metrics.CSATEstimate
    after: metrics.CSATEstimate
    change: metrics.Difference
    segmented: pd.DataFrame | None
    monthly: pd.DataFrame
    level: float

    @property
    def summary(self) -> pd.DataFrame:
        """One table: the two windows, the change and the segmented-regression terms."""
        rows = [
            {"quantity": "CSAT before (% satisfied)", "estimate": self.before.value, "ci_low": self.before.ci_low,
             "ci_high": self.before.ci_high, "p_value": np.nan, "n": self.before.n},
            {"quantity": "CSAT after (% satisfied)", "estimate": self.after.value, "ci_low": self.after.ci_low,
             "ci_high": self.after.ci_high, "p_value": np.nan, "n": self.after.n},
            {"quantity": "Change after - before (percentage points)", "estimate": self.change.estimate,
             "ci_low": self.change.ci_low, "ci_high": self.change.ci_high, "p_value": self.change.p_value,
             "n": self.before.n + self.after.n},
        ]
        if self.segmented is not None:
            labels = {"pre_trend_per_month": "Trend before (points per month)",
                      "level_change_at_date": "Jump at the date (points)",
                      "slope_change_per_month": "Change in trend (points per month)"}
            for term, row in self.segmented.iterrows():
                rows.append({"quantity": labels[term], "estimate": row["estimate"], "ci_low": row["ci_low"],
                             "ci_high": row["ci_high"], "p_value": row["p_value"],
                             "n": self.before.n + self.after.n})
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        return (f"{self.touchpoint} CSAT from {self.date.date()} ({self.window_months} months after vs before): "
                f"{self.after.value:.1f}% vs {self.before.value:.1f}% satisfied; change {self.change}")

    def _repr_html_(self) -> str:
        table = self.summary.round(2).to_html(index=False, na_rep="", border=0, escape=True)
        return f"<p>{html.escape(str(self))}</p>{table}"


def _months_since(times: pd.Series, date: pd.Timestamp) -> pd.Series:
    """Whole months elapsed from ``date`` to each time (negative before the date)."""
    months = (times.dt.year - date.year) * 12 + (times.dt.month - date.month)
    seconds_into_month = (times.dt.day - 1) * 86_400 + (times - times.dt.normalize()).dt.total_seconds()
    date_into_month = (date.day - 1) * 86_400 + (date - date.normalize()).total_seconds()
    return months - (seconds_into_month < date_into_month).astype(int)


def _segmented_fit(monthly: pd.DataFrame, level: float) -> tuple[pd.DataFrame | None, np.ndarray]:
    fitted = np.full(len(monthly), np.nan)
    if (monthly["month"] < 0).sum() < 3 or (monthly["month"] >= 0).sum() < 3:
        return None, fitted
    t = monthly["month"].to_numpy(dtype=float)
    post = (t >= 0).astype(float)
    design = np.column_stack([np.ones_like(t), t, post, t * post])
    fit = sm.WLS(monthly["share"].to_numpy() / 100, design, weights=monthly["n"].to_numpy()).fit(cov_type="HC1")
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    terms = ["pre_trend_per_month", "level_change_at_date", "slope_change_per_month"]
    table = pd.DataFrame({"estimate": fit.params[1:] * 100, "ci_low": ci[1:, 0] * 100, "ci_high": ci[1:, 1] * 100,
                          "se": fit.bse[1:] * 100, "p_value": fit.pvalues[1:]}, index=pd.Index(terms, name="term"))
    return table, fit.fittedvalues * 100


def intervention_effect(surveys: pd.DataFrame, *, date, as_of, touchpoint: str = "invoicing",
                        window_months: int = 12, level: float = 0.95,
                        satisfied_scores: tuple[int, ...] = metrics.SATISFIED_SCORES,
                        cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> InterventionEffect:
    """Change in a touchpoint's CSAT share from the months before a date to the months after it.

    The before window is ``[date - window_months, date)`` and the after window
    ``[date, date + window_months)`` (cut at ``as_of``), by the invitation's ``sent_at`` (the
    experience being rated happened just before it). The headline is the difference of the two
    shares with Newcombe's interval and the pooled z-test (:func:`metrics.compare_csat`).

    A before/after difference credits the intervention with everything else that changed too:
    an existing trend, seasonality, a different mix of customers, and non-response (unhappy
    customers answer less often, so both shares are biased upwards). The segmented regression
    in ``segmented`` separates a linear trend that was already there (``pre_trend_per_month``)
    from a jump at the date and a change of trend after it; it controls a linear pre-trend only.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    date : str or pandas.Timestamp
        Intervention date.
    as_of : str or pandas.Timestamp
        Analysis date (see :func:`surveys_as_of`); must be after ``date``.
    touchpoint : str
        Touchpoint whose CSAT is compared.
    window_months : int
        Months on each side.
    level : float
        Confidence level.
    satisfied_scores : tuple of int
        CSAT scores counted as satisfied.
    cluster_col : str or None
        Column of customer ids: the two windows' intervals and the change allow for customers
        answering several times (default ``"customer_id"`` when present; None treats answers as
        independent). The monthly points and the segmented regression are not clustered.

    Returns
    -------
    InterventionEffect

    Raises
    ------
    ValueError
        When the date is not before ``as_of``, the window is not a positive whole number of
        months or the touchpoint has no invitations.
    """
    _require(surveys, SURVEY_COLUMNS, "intervention_effect")
    date, as_of = pd.Timestamp(date), pd.Timestamp(as_of)
    if date >= as_of:
        raise ValueError(f"intervention date {date.date()} must be before the as-of date {as_of.date()}")
    if int(window_months) != window_months or window_months < 1:
        raise ValueError(f"window_months must be a positive whole number; got {window_months!r}")
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    frame = surveys_as_of(_scores_only(surveys, cluster_col), as_of=as_of)
    frame = frame[frame["touchpoint"] == touchpoint]
    if frame.empty:
        raise ValueError(f"no invitations for touchpoint {touchpoint!r} up to {as_of.date()}")
    start = date - pd.DateOffset(months=int(window_months))
    end = min(date + pd.DateOffset(months=int(window_months)), as_of + pd.Timedelta(days=1))
    sent = pd.to_datetime(frame["sent_at"])
    frame = frame[(sent >= start) & (sent < end)]
    after_mask = pd.to_datetime(frame["sent_at"]) >= date
    before, after = (metrics.csat(rows["csat"], clusters=None if cluster_col is None else rows[cluster_col],
                                  level=level, satisfied_scores=satisfied_scores)
                     for rows in (frame[~after_mask], frame[after_mask]))
    change = metrics.compare_csat(after, before, on="share")
    answered = frame[frame["csat"].notna()]
    month = _months_since(pd.to_datetime(answered["sent_at"]), date)
    monthly = (answered.assign(month=month, hit=answered["csat"].isin(satisfied_scores))
               .groupby("month").agg(n=("hit", "size"), satisfied=("hit", "sum")).reset_index())
    monthly["start"] = [date + pd.DateOffset(months=int(m)) for m in monthly["month"]]
    monthly["share"] = monthly["satisfied"] / monthly["n"] * 100
    low, high = metrics.wilson_interval(monthly["satisfied"], monthly["n"], level)
    monthly["ci_low"], monthly["ci_high"] = low * 100, high * 100
    segmented, fitted = _segmented_fit(monthly, level)
    monthly["fitted"] = fitted
    return InterventionEffect(touchpoint=touchpoint, date=date, window_months=int(window_months),
                              before_start=start, after_end=end, before=before, after=after, change=change,
                              segmented=segmented, monthly=monthly, level=level)
