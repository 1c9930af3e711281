"""Closed loop on detractors: were unhappy customers called back, how fast, and did it help?

Starting from the survey answers and the ``cases`` table, :func:`detractor_followups` gives one row
per detractor answer (NPS 0-6) with the ``detractor_followup`` case opened for it, if any:

* A case belongs to the answer whose ``invitation_id`` it carries. If the cases table has no
  ``invitation_id`` (or it is empty for every follow-up), the answer's follow-up is the customer's
  first ``detractor_followup`` case opened within ``followup_window_days`` days after the answer
  (on or after the answer time); two answers of one customer in that span can then share a case.
* Cases opened after the as-of date do not exist yet; response and close times after it are not
  known yet. A case without a first response at the as-of date is *censored* at its age then,
  not dropped: times to first response and to close are estimated by Kaplan-Meier, and the share
  answered within the SLA is ``1 - S(1)`` on the time scale "hours / promised sla_hours", so a case
  still waiting longer than its SLA counts as a miss and one opened an hour before the as-of date
  counts only for the time it was observed.
* Coverage (share of detractor answers with a follow-up, Wilson interval) uses only *mature*
  answers, given at least ``followup_window_days`` before the as-of date; younger answers may
  still get their call and are counted as pending.

:func:`sla_control_chart` follows the share answered within the SLA week by week as a p-chart.

:func:`followup_survival_frame` hands "do followed-up detractors churn less?" to the survival
tools (:func:`cxlab.survival.km_by`, :func:`cxlab.survival.fit_cox`): time from the detractor answer
to churn or the as-of date, with a follow-up flag and the covariates to adjust for. That comparison
is an association: follow-ups go more often to valuable customers. :func:`followup_effect`
(:mod:`cxlab.causal`) estimates the causal effect of a follow-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from cxlab import causal
from cxlab.display import suppress_small
from cxlab.followups import (  # noqa: F401  (re-exported: the closed loop's vocabulary)
    CASE_LEVEL_GROUPS,
    DETRACTOR_MAX,
    FOLLOWUP_KIND,
    HOURS,
    _require,
    answer_followups,
    detractor_followups,
)
from cxlab.identifiers import as_text_ids
from cxlab.metrics import wilson_interval
from cxlab.periods import known_by
from cxlab.schema import RELATIONSHIP
from cxlab.survival import survival_at
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

__all__ = ["KPI_VALUE_COLUMNS", "REPORT_COLUMNS", "followup_effect", "followup_survival_frame", "kpi_report_table",
           "loop_kpis", "plot_first_response_hours", "plot_sla_control_chart", "sla_control_chart"]


def _km(durations, observed, level: float) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=1 - level).fit(np.asarray(durations, float), np.asarray(observed, bool))


def _share_by(kmf: KaplanMeierFitter, t: float) -> tuple[float, float, float]:
    """Kaplan-Meier probability that the event happened by time t, with its interval."""

    surv, low, high = survival_at(kmf, t)
    return 1 - surv, 1 - high, 1 - low


def _median(kmf: KaplanMeierFitter) -> tuple[float, float, float]:
    ci = median_survival_times(kmf.confidence_interval_)
    values = np.array([kmf.median_survival_time_, ci.iloc[0, 0], ci.iloc[0, 1]], dtype=float)
    values[~np.isfinite(values)] = np.nan  # not reached: fewer than half of the events happened
    return tuple(values)


def _group_kpis(frame: pd.DataFrame, level: float, with_coverage: bool) -> dict:
    mature = frame[frame["mature"]]
    cases = frame[frame["followed_up"]]
    row = {
        "detractors": len(frame),
        "mature_detractors": len(mature),
        "followed_up": int(mature["followed_up"].sum()) if with_coverage else np.nan,
    }
    row["coverage"] = row["followed_up"] / len(mature) if with_coverage and len(mature) else np.nan
    low, high = wilson_interval(row["followed_up"], len(mature), level) if with_coverage else (np.nan, np.nan)
    row.update(coverage_ci_low=float(low), coverage_ci_high=float(high))
    row.update(cases=len(cases), answered=int(cases["first_response_observed"].sum()))
    row["awaiting_response"] = row["cases"] - row["answered"]
    row["open_cases"] = int((~cases["close_observed"]).sum())
    if len(cases):
        sla_scale = cases["hours_to_first_response"] / cases["sla_hours"]
        kmf = _km(sla_scale, cases["first_response_observed"], level)
        row["within_sla_share"], row["within_sla_ci_low"], row["within_sla_ci_high"] = _share_by(kmf, 1.0)
        kmf = _km(cases["hours_to_first_response"], cases["first_response_observed"], level)
        (
            row["median_hours_to_first_response"],
            row["median_response_ci_low"],
            row["median_response_ci_high"],
        ) = _median(kmf)
        kmf = _km(cases["hours_to_close"], cases["close_observed"], level)
        row["median_hours_to_close"], row["median_close_ci_low"], row["median_close_ci_high"] = _median(kmf)
    return row


KPI_VALUE_COLUMNS = [
    "coverage",
    "coverage_ci_low",
    "coverage_ci_high",
    "within_sla_share",
    "within_sla_ci_low",
    "within_sla_ci_high",
    "median_hours_to_first_response",
    "median_response_ci_low",
    "median_response_ci_high",
    "median_hours_to_close",
    "median_close_ci_low",
    "median_close_ci_high",
]


def loop_kpis(
    followups: pd.DataFrame, *, by: str | None = None, min_cell_size: int = 30, level: float = 0.95
) -> pd.DataFrame:
    """Closed-loop KPIs overall or per group, with intervals and small cells suppressed.

    Parameters
    ----------
    followups : pandas.DataFrame
        Output of :func:`detractor_followups`.
    by : str, optional
        Grouping column (``"quarter"``, ``"segment"``, ``"team"``, ...). ``team`` is known only
        for followed-up answers, so coverage is not defined by team (left missing).
    min_cell_size : int
        Groups with fewer detractor answers (fewer cases, for a case-level grouping) have their
        estimates blanked (``suppressed`` = True).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per group (one row overall when ``by`` is None): ``detractors``,
        ``mature_detractors``, ``followed_up``, ``coverage`` with Wilson interval
        (``coverage_ci_low``/``_high``), ``cases``, ``answered``, ``awaiting_response``,
        ``open_cases``, ``within_sla_share`` (Kaplan-Meier, with interval), median hours to first
        response and to close (Kaplan-Meier, with intervals; missing when fewer than half have
        happened), ``suppressed``.

    Examples
    --------
    >>> f = pd.DataFrame({"mature": [True, True], "followed_up": [True, False],
    ...     "first_response_observed": [True, False], "close_observed": [True, False],
    ...     "hours_to_first_response": [5.0, np.nan], "hours_to_close": [30.0, np.nan],
    ...     "sla_hours": [24.0, np.nan]})
    >>> float(loop_kpis(f, min_cell_size=1)["coverage"].iloc[0])
    0.5
    """
    needed = [
        "mature",
        "followed_up",
        "first_response_observed",
        "close_observed",
        "hours_to_first_response",
        "hours_to_close",
        "sla_hours",
    ]
    _require(followups, needed + ([by] if by else []), "followups", "loop_kpis")
    if by is None:
        table = pd.DataFrame([_group_kpis(followups, level, with_coverage=True)])
    else:
        case_level = by in CASE_LEVEL_GROUPS
        frame = followups[followups["followed_up"]] if case_level else followups
        rows = [
            {by: key, **_group_kpis(group, level, with_coverage=not case_level)}
            for key, group in frame.groupby(by, sort=True)
        ]
        table = pd.DataFrame(rows, columns=[by, "detractors"]) if not rows else pd.DataFrame(rows)
    for col in KPI_VALUE_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    n_col = "cases" if by in CASE_LEVEL_GROUPS else "detractors"
    return suppress_small(table, n_col=n_col, min_cell_size=min_cell_size, value_cols=KPI_VALUE_COLUMNS)


REPORT_COLUMNS = {
    "detractors": "detractor answers",
    "followed_up": "followed up",
    "coverage": "coverage %",
    "coverage_ci_low": "coverage 95% low",
    "coverage_ci_high": "coverage 95% high",
    "cases": "follow-up cases",
    "awaiting_response": "awaiting response",
    "within_sla_share": "within SLA %",
    "within_sla_ci_low": "within SLA 95% low",
    "within_sla_ci_high": "within SLA 95% high",
    "median_hours_to_first_response": "median hours to first response",
    "median_hours_to_close": "median hours to close",
    "suppressed": "suppressed (small group)",
}


def kpi_report_table(kpis: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """The main columns of :func:`loop_kpis` for a report: shares in %, plain column names.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Output of :func:`loop_kpis` (overall or grouped); not modified.
    digits : int
        Decimals to round to.

    Returns
    -------
    pandas.DataFrame
        The grouping column (if any) and the columns of :data:`REPORT_COLUMNS`, renamed.

    Examples
    --------
    >>> k = pd.DataFrame({c: [0.5] for c in REPORT_COLUMNS})
    >>> float(kpi_report_table(k)["coverage %"].iloc[0])
    50.0
    """
    missing = [c for c in REPORT_COLUMNS if c not in kpis.columns]
    if missing:
        raise ValueError(f"kpi_report_table: columns {missing} missing; pass the output of loop_kpis")
    groups = [
        c
        for c in kpis.columns
        if c not in REPORT_COLUMNS
        and c not in KPI_VALUE_COLUMNS
        and c not in ("mature_detractors", "answered", "open_cases")
    ]
    table = kpis[groups + list(REPORT_COLUMNS)].copy()
    shares = [
        "coverage",
        "coverage_ci_low",
        "coverage_ci_high",
        "within_sla_share",
        "within_sla_ci_low",
        "within_sla_ci_high",
    ]
    table[shares] = 100 * table[shares].astype(float)
    return table.round(digits).rename(columns=REPORT_COLUMNS)


def plot_first_response_hours(followups: pd.DataFrame, *, max_hours: float = 96.0, ax=None):
    """Histogram of hours from follow-up case opening to first response, with the SLA marked.

    Cases still waiting at the as-of date are not in the bars; their number is in the title.

    Parameters
    ----------
    followups : pandas.DataFrame
        Output of :func:`detractor_followups`.
    max_hours : float
        Right end of the horizontal axis; later responses are collected in the last bar.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    cases = followups[followups["followed_up"]]
    answered = cases.loc[cases["first_response_observed"], "hours_to_first_response"].clip(upper=max_hours)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    sns.histplot(answered, bins=np.arange(0, max_hours + 4, 4), ax=ax, color="tab:blue")
    slas = cases["sla_hours"].dropna().unique()
    for sla in slas:
        ax.axvline(sla, color="tab:red", ls="--", lw=1.2, label=f"SLA {sla:g} h")
    if len(slas):
        ax.legend()
    ax.set_xlabel(f"Hours from case opening to first response (last bar: {max_hours:g} h or more)")
    ax.set_ylabel("Follow-up cases")
    waiting = int((~cases["first_response_observed"]).sum())
    ax.set_title(f"Time to first response: {len(answered):,} answered cases, {waiting:,} still waiting")
    return ax


def followup_survival_frame(
    followups: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    as_of,
    surveys: pd.DataFrame | None = None,
    touchpoint: str = RELATIONSHIP,
) -> pd.DataFrame:
    """Detractors' time from their first mature detractor answer to churn, with a follow-up flag.

    One row per customer: their earliest detractor answer that is old enough to have been
    followed up (``mature``). Time runs from that answer to churn or ``as_of`` in months, with the
    convention of :func:`cxlab.tenure.tenure_frame` (churn in the k-th month counts as k months;
    active customers are censored at whole months). Customers who churned before answering are
    left out (``attrs["churned_before_answer"]``).

    With ``surveys`` given, each row also ends (censored, at the whole months elapsed) at the
    customer's next answer to the same survey: from then on a newer answer, not the followed-up
    one, describes the customer, so the comparison measures the follow-up while it is the latest
    word. Without it the effect is diluted by later experience. Either way this is a comparison
    of groups that were not randomised (coverage differs by segment and customer value); for the
    causal question use :func:`followup_effect`.

    Ready for :func:`cxlab.survival.km_by` grouped by ``followup`` and
    :func:`cxlab.survival.fit_cox`.

    Parameters
    ----------
    followups : pandas.DataFrame
        Output of :func:`detractor_followups`.
    customers : pandas.DataFrame
        A ``customers`` table with ``churned_at``.
    as_of : str or pandas.Timestamp
        Analysis date (the one used for ``followups``).
    surveys : pandas.DataFrame, optional
        The ``surveys`` table, to end each row at the customer's next answer.
    touchpoint : str
        The survey whose next answer ends a row.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``responded_at``, ``nps``, ``followup`` (0/1, named as in
        :mod:`cxlab.survival`, whose wording labels it),
        ``tenure_months`` (months since the answer), ``churned``, ``ended_by_next_answer`` and
        the customer attributes ``segment``, ``region``, ``contract`` where present.
    """
    _require(
        followups,
        ["customer_id", "responded_at", "nps", "followed_up", "mature"],
        "followups",
        "followup_survival_frame",
    )
    _require(customers, ["customer_id", "churned_at"], "customers", "followup_survival_frame")
    as_of = pd.Timestamp(as_of)
    first = (
        followups[followups["mature"]]
        .sort_values("responded_at", kind="stable")
        .drop_duplicates("customer_id")[["customer_id", "responded_at", "nps", "followed_up"]]
    )
    attrs = [c for c in ("segment", "region", "contract") if c in customers.columns]
    info = customers[["customer_id", "churned_at", *attrs]].assign(
        customer_id=lambda d: as_text_ids(d["customer_id"])
    )
    frame = first.merge(info, on="customer_id", how="inner")
    before = pd.to_datetime(frame["churned_at"], cache=False) < frame["responded_at"]
    frame = frame[~before]
    out = tenure_frame(frame, as_of=as_of, acquired_col="responded_at", churned_col="churned_at").reset_index(
        drop=True
    )
    out["followup"] = out["followed_up"].astype(int)
    out["ended_by_next_answer"] = False
    if surveys is not None:
        _require(surveys, ["customer_id", "touchpoint", "responded_at"], "surveys", "followup_survival_frame")
        answered = pd.to_datetime(surveys["responded_at"], cache=False)
        later = surveys.loc[
            (surveys["touchpoint"] == touchpoint) & known_by(answered, as_of=as_of), ["customer_id"]
        ].assign(customer_id=lambda d: as_text_ids(d["customer_id"]), next_at=answered)
        keys = out[["customer_id", "responded_at"]].reset_index().sort_values("responded_at")
        later["customer_id"] = later["customer_id"].astype(keys["customer_id"].dtype)  # text either way; one kind
        found = pd.merge_asof(
            keys,
            later.sort_values("next_at"),
            left_on="responded_at",
            right_on="next_at",
            by="customer_id",
            direction="forward",
            allow_exact_matches=False,
        )
        next_at = found.set_index("index")["next_at"].reindex(out.index)
        months_to_next = np.floor(
            (next_at - out["responded_at"]).dt.total_seconds() / 86_400 / DAYS_PER_MONTH + 1e-9
        )
        cut = next_at.notna() & (next_at < out["end_at"]) & (months_to_next < out["tenure_months"])
        out.loc[cut, "tenure_months"] = months_to_next[cut].astype(int)
        out.loc[cut, "churned"] = 0
        out["ended_by_next_answer"] = cut
    out = out[
        [
            "customer_id",
            "responded_at",
            "nps",
            "followup",
            "tenure_months",
            "churned",
            "ended_by_next_answer",
            *attrs,
        ]
    ]
    out.attrs.update(as_of=as_of, churned_before_answer=int(before.sum()))
    return out


def sla_control_chart(
    followups: pd.DataFrame, *, freq: str = "W-SUN", sigma: float = 3.0, run_length: int = 8
) -> pd.DataFrame:
    """Share of follow-ups answered within the SLA per week, as a p-chart with breaches and runs flagged.

    Each week (by the day the case was opened) gives the share of its decided cases
    (``within_sla`` known: answered, or waiting longer than the SLA) that were answered within the
    SLA. The centre line is the pooled share over all weeks, ``p``; the control limits of a week
    with ``n`` decided cases are ``p +- sigma * sqrt(p (1 - p) / n)``, clipped to [0, 1]. A week
    outside its limits is a *breach*; ``run_length`` or more weeks in a row on the same side of the
    centre line are a *run* (a shift too steady to be chance, Western Electric rule 4).

    Parameters
    ----------
    followups : pandas.DataFrame
        Output of :func:`detractor_followups`.
    freq : str
        Pandas period frequency of the chart's points (weeks ending on Sunday by default).
    sigma : float
        Width of the control limits in standard errors.
    run_length : int
        Consecutive weeks on one side of the centre line that make a run.

    Returns
    -------
    pandas.DataFrame
        One row per period with decided cases: ``week_start``, ``cases``, ``within_sla``,
        ``share``, ``centre``, ``lower_limit``, ``upper_limit``, ``breach`` (``"below"``,
        ``"above"`` or empty), ``in_run`` (bool).

    Examples
    --------
    >>> f = pd.DataFrame({"followed_up": True, "within_sla": [1.0] * 9 + [0.0],
    ...     "opened_at": pd.date_range("2026-01-05", periods=10, freq="D")})
    >>> sla_control_chart(f)["cases"].tolist()
    [7, 3]
    """
    _require(followups, ["followed_up", "within_sla", "opened_at"], "followups", "sla_control_chart")
    if run_length < 2:
        raise ValueError(f"sla_control_chart: run_length must be at least 2, got {run_length}")
    cases = followups[followups["followed_up"] & followups["within_sla"].notna()]
    period = pd.to_datetime(cases["opened_at"], cache=False).dt.to_period(freq)
    chart = cases.groupby(period)["within_sla"].agg(cases="size", within_sla="sum")
    chart.index = chart.index.start_time.rename("week_start")
    chart = chart.reset_index()
    chart["within_sla"] = chart["within_sla"].astype(int)
    chart["share"] = chart["within_sla"] / chart["cases"]
    centre = chart["within_sla"].sum() / chart["cases"].sum() if len(chart) else np.nan
    spread = sigma * np.sqrt(centre * (1 - centre) / chart["cases"])
    chart["centre"] = centre
    chart["lower_limit"] = (centre - spread).clip(lower=0.0)
    chart["upper_limit"] = (centre + spread).clip(upper=1.0)
    chart["breach"] = np.where(chart["share"] < chart["lower_limit"], "below",
                               np.where(chart["share"] > chart["upper_limit"], "above", ""))
    side = np.sign(chart["share"] - centre)
    streak = (side != side.shift()).cumsum()
    length = side.groupby(streak).transform("size")
    chart["in_run"] = (side != 0) & (length >= run_length)
    return chart


def plot_sla_control_chart(chart: pd.DataFrame, *, sla_hours: float = 24.0, ax=None):
    """The p-chart of :func:`sla_control_chart`: weekly shares, centre line, limits, breaches and runs.

    Weeks without decided cases (between survey waves) have no point.

    Parameters
    ----------
    chart : pandas.DataFrame
        Output of :func:`sla_control_chart`.
    sla_hours : float
        The promised hours, for the axis label.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    x = chart["week_start"]
    ax.vlines(x, 100 * chart["lower_limit"], 100 * chart["upper_limit"], color="tab:grey", alpha=0.5, lw=3,
              label="control limits of the week")
    ax.plot(x, 100 * chart["centre"], color="black", lw=1, label="average share")
    ax.scatter(x, 100 * chart["share"], color="tab:blue", s=12, zorder=2, label="weekly share")
    runs = chart[chart["in_run"]]
    ax.scatter(runs["week_start"], 100 * runs["share"], facecolors="none", edgecolors="tab:orange", s=60,
               label="part of a run of weeks on one side")
    breaches = chart[chart["breach"] != ""]
    ax.scatter(breaches["week_start"], 100 * breaches["share"], color="tab:red", marker="x", s=60, zorder=3,
               label="outside the limits")
    ax.set_ylabel(f"% answered within {sla_hours:g} h")
    ax.set_xlabel("Week the follow-up case was opened")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def followup_effect(data, *, as_of=None, method: str = "rdd", horizon_months: int = 12, **options):
    """The causal effect of a detractor follow-up on churn: :func:`cxlab.causal.followup_effect`.

    Parameters
    ----------
    data : cxlab.io.CXData or cxlab.synth.SimulatedWorld
        Loaded data or a simulated world.
    as_of : str or pandas.Timestamp, optional
        Analysis date (default: the data's).
    method : {"rdd", "ipw", "aipw", "naive"}
        The design.
    horizon_months : int
        Months after the answer over which churn counts.
    **options
        Further options of :func:`cxlab.causal.followup_effect`.

    Returns
    -------
    cxlab.causal.FollowupEffect
        ``value`` (hazard ratio of churn, followed-up vs not), ``ci_low``, ``ci_high``, ``n`` and
        ``diagnostics``.
    """

    return causal.followup_effect(data, as_of=as_of, method=method, horizon_months=horizon_months, **options)
