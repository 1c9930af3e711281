"""Cohort retention: logo and revenue retention of acquisition cohorts, censored correctly.

Definitions (``m`` = months per period: 1 for ``period="month"``, 3 for ``"quarter"``, 12 for
``"year"``; tenure and churn follow :mod:`cxlab.tenure` exactly)

Logo retention after k periods
    Share of a cohort's customers still active after ``k * m`` months of tenure: churners
    with ``tenure_months > k * m`` and everyone not churned by the as-of date. A customer who
    churned exactly at the boundary (in tenure month ``k * m``) is *not* active after k periods.
Censoring
    A cohort reports period k only when every one of its customers could have been observed
    for ``k * m`` months by the as-of date (the cohort's most recently acquired customer
    has ``floor(days / 30.4375) >= k * m``); later cells are missing, never 0 and never
    carried forward. Churn dates after the as-of date are unknown at the as-of date (those
    customers count as active) and customers acquired after it are left out.
Revenue periods
    Revenue rows are calendar billing months. The acquisition month is left out (its revenue
    is usually prorated); billing month ``j`` (1 = the first full month after the acquisition
    month) belongs to period ``(j - 1) // m``. ``R_i(k)`` is customer i's revenue in period k.
    A cohort reports revenue for period k only when that period's billing months are complete
    (the month's last day on or before the as-of date) for all its customers.
Net revenue retention (NRR) of period k
    ``sum_i R_i(k) / sum_i R_i(0)`` over the cohort, where the numerator only counts customers
    still active after k periods: expansion, contraction and churn all count.
Gross revenue retention (GRR) of period k
    ``sum_i min(R_i(k), R_i(0)) / sum_i R_i(0)`` over the same customers: revenue kept from
    period 0, with expansion capped away; at most 1.

The shifted-beta-geometric model for projecting these curves lives in :mod:`cxlab.sbg` and is
re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.identifiers import positions
from cxlab.patterns import first_rows, identical_rows
from cxlab.periods import as_datetime
from cxlab.resampling import profile_draw_counts
from cxlab.sbg import (
    ShiftedBetaGeometric,
    fit_by,
    sbg_churn_probability,
    sbg_derl,
    sbg_retention_rate,
    sbg_survival,
    tenure_in_periods,
)
from cxlab.tenure import tenure_frame

__all__ = [
    "NEVER_PERIOD",
    "PERIOD_MONTHS",
    "ShiftedBetaGeometric",
    "add_revenue_columns",
    "cohort_table",
    "fit_by",
    "last_complete_month",
    "period_months",
    "plot_cohort_heatmap",
    "ratio_sums",
    "retention_over_time",
    "revenue_retention",
    "revenue_retention_from_sums",
    "sbg_churn_probability",
    "sbg_derl",
    "sbg_retention_rate",
    "sbg_survival",
    "tenure_in_periods",
]

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_COHORT_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
_VALUE_LABELS = {
    "logo_retention": "Customers still active (% of cohort)",
    "gross_revenue_retention": "Gross revenue retention (% of first-period revenue)",
    "net_revenue_retention": "Net revenue retention (% of first-period revenue)",
}
NEVER_PERIOD = np.iinfo(np.int64).max // 4  # the last period active of a customer who has not left


def cohort_table(customers: pd.DataFrame, *, as_of, cohort: str = "quarter", period: str = "month",
                 revenue: pd.DataFrame | None = None, id_col: str = "customer_id",
                 acquired_col: str = "acquired_at", churned_col: str = "churned_at") -> pd.DataFrame:
    """Logo (and revenue) retention of each acquisition cohort after 0, 1, 2, ... periods.

    See the module docstring for the exact definitions and the censoring rule.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date: nothing after it is used.
    cohort : {"quarter", "month", "year"}
        Acquisition cohorts by calendar quarter, month or year of ``acquired_at``.
    period : {"month", "quarter", "year"}
        Length of the retention period.
    revenue : pandas.DataFrame, optional
        A ``revenue`` table (customer_id, month, amount); adds gross and net revenue retention.
        Rows of customers not in ``customers`` (or acquired after ``as_of``) and billing months
        not complete by ``as_of`` are not used.
    id_col, acquired_col, churned_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per cohort and period ``0 .. last period any cohort reached``:
        ``cohort`` (label such as ``"2024Q1"``), ``period`` (k), ``months`` (k * m),
        ``cohort_size``, ``active`` and ``logo_retention`` (missing where the cohort has not
        reached the period); with ``revenue`` also ``revenue_base`` (period-0 revenue),
        ``revenue`` (period-k revenue of customers active after k periods),
        ``revenue_kept`` (the same capped at each customer's period-0 revenue),
        ``gross_revenue_retention`` and ``net_revenue_retention``. ``attrs`` holds
        ``as_of``, ``cohort``, ``period``, ``period_months`` and ``acquired_after_as_of``.

    Raises
    ------
    ValueError
        On an unknown cohort or period name, missing columns, or revenue billed before a
        customer's acquisition month.

    Examples
    --------
    >>> customers = pd.DataFrame({
    ...     "acquired_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"]),
    ...     "churned_at": pd.to_datetime(["2025-01-20", "2025-02-20", None, "2026-01-01"]),
    ... })
    >>> table = cohort_table(customers, as_of="2025-04-30", cohort="month", period="month")
    >>> table["logo_retention"].tolist()
    [1.0, 0.75, 0.5, 0.5]
    """
    months_per_period = period_months(period)
    freq = _choice(cohort, _COHORT_FREQ, "cohort")
    as_of = pd.Timestamp(as_of)
    frame = tenure_frame(_needed(customers, id_col, acquired_col, churned_col), as_of=as_of,
                         acquired_col=acquired_col, churned_col=churned_col)
    if frame.empty:
        raise ValueError(f"cohort_table: no customer was acquired on or before {as_of.date()}")
    cust, cohorts = _customer_periods(customers, frame, as_of, freq, months_per_period, acquired_col,
                                      churned_col)
    n_cohorts = len(cohorts)
    reached = cust.groupby("cohort_code")["followup_periods"].min().to_numpy()
    last_period = int(reached.max())
    shape = (n_cohorts, last_period + 1)
    counted_to = np.minimum(cust["last_active_period"].to_numpy(), reached[cust["cohort_code"]])
    ends = np.bincount(cust["cohort_code"] * shape[1] + counted_to, minlength=shape[0] * shape[1])
    active = ends.reshape(shape)[:, ::-1].cumsum(axis=1)[:, ::-1].astype(float)
    periods = np.arange(shape[1])
    not_reached = periods[None, :] > reached[:, None]
    active[not_reached] = np.nan
    size = active[:, 0]
    table = pd.DataFrame({
        "cohort": np.repeat([str(c) for c in cohorts], shape[1]),
        "period": np.tile(periods, n_cohorts),
        "months": np.tile(periods * months_per_period, n_cohorts),
        "cohort_size": np.repeat(size.astype(int), shape[1]),
        "active": active.ravel(),
        "logo_retention": (active / size[:, None]).ravel(),
    })
    if revenue is not None:
        per_period = _revenue_by_customer_period(cust, _ids(frame, id_col), revenue, as_of, months_per_period,
                                                 id_col)
        table = _add_revenue(table, cust, per_period, as_of, months_per_period, shape)
    table.attrs.update(as_of=as_of, cohort=cohort, period=period, period_months=months_per_period,
                       acquired_after_as_of=frame.attrs["acquired_after_as_of"])
    return table


def revenue_retention(customers: pd.DataFrame, revenue: pd.DataFrame, *, as_of, months: int = 12,
                      level: float = 0.95, id_col: str = "customer_id", acquired_col: str = "acquired_at",
                      churned_col: str = "churned_at") -> pd.DataFrame:
    """Net and gross revenue retention after ``months`` months, pooled over customers, with intervals.

    Pools every customer whose billing month ``months`` (of the definitions in the module
    docstring, with monthly periods) is complete by the as-of date, whatever their cohort.
    The estimates are ratios of sums over customers; their standard errors use the
    linearisation (delta method) of a ratio estimator,
    ``se = sqrt(n / (n - 1) * sum_i (y_i - R x_i)^2) / sum_i x_i``, treating customers as
    independent draws.

    Parameters
    ----------
    customers, revenue : pandas.DataFrame
        ``customers`` and ``revenue`` tables; not modified.
    as_of : str or pandas.Timestamp
        Analysis date.
    months : int
        Months after the first full billing month (12 compares month 13 with month 1).
    level : float
        Confidence level of the normal intervals.
    id_col, acquired_col, churned_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``measure`` (``net_revenue_retention``, ``gross_revenue_retention``) with
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` (customers pooled) and
        ``revenue_base`` (their month-1 revenue); missing estimates when no customer qualifies.
    """
    if months < 0 or months != int(months):
        raise ValueError(f"months must be a whole number >= 0; got {months}")
    as_of = pd.Timestamp(as_of)
    frame = tenure_frame(_needed(customers, id_col, acquired_col, churned_col), as_of=as_of,
                         acquired_col=acquired_col, churned_col=churned_col)
    cust, _ = _customer_periods(customers, frame, as_of, "M", 1, acquired_col, churned_col)
    per_period = _revenue_by_customer_period(cust, _ids(frame, id_col), revenue, as_of, 1, id_col)
    base = per_period.loc[per_period["period"] == 0].groupby("row")["amount"].sum()
    later = per_period.loc[per_period["period"] == months].groupby("row")["amount"].sum()
    last_month = last_complete_month(as_of)
    status_known = (cust["churned"] == 1) | (cust["followup_months"] >= months)
    eligible = (cust["acquired_month"] + months + 1 <= last_month) & status_known
    rows = cust.index[eligible.to_numpy()]
    x = base.reindex(rows, fill_value=0.0).to_numpy()
    kept_customer = (cust.loc[rows, "last_active_period"] >= months).to_numpy()
    y_net = np.where(kept_customer, later.reindex(rows, fill_value=0.0).to_numpy(), 0.0)
    return revenue_retention_from_sums(ratio_sums(x, y_net), as_of=as_of, months=months, level=level)


def ratio_sums(x: np.ndarray, y_net: np.ndarray) -> dict[str, float]:
    """The sums over customers behind :func:`revenue_retention_from_sums`.

    Parameters
    ----------
    x, y_net : numpy.ndarray
        Per customer, month-1 revenue and the revenue ``months`` months later (0 for a customer
        who left).

    Returns
    -------
    dict
        ``n``; ``x``, ``xx``; for ``y`` the net revenue and ``g`` the gross (``min(y, x)``): their
        sums, sums of squares and sums of products with ``x`` (``y``, ``yy``, ``xy``, ``g``, ``gg``,
        ``xg``).
    """
    g = np.minimum(y_net, x)
    return {"n": len(x), "x": x.sum(), "xx": (x * x).sum(), "y": y_net.sum(), "yy": (y_net * y_net).sum(),
            "xy": (x * y_net).sum(), "g": g.sum(), "gg": (g * g).sum(), "xg": (x * g).sum()}


def revenue_retention_from_sums(sums: dict, *, as_of, months: int, level: float = 0.95) -> pd.DataFrame:
    """Net and gross revenue retention from sums over customers (:func:`ratio_sums`), as :func:`revenue_retention`.

    The ratio ``R = sum y / sum x`` and the delta-method standard error
    ``sqrt(n / (n - 1) * sum (y - R x)^2) / sum x``, where
    ``sum (y - R x)^2 = sum y^2 - 2 R sum xy + R^2 sum x^2`` (floored at 0 against rounding).

    Parameters
    ----------
    sums : dict
        ``n``, ``x``, ``xx``, ``y``, ``yy``, ``xy``, ``g``, ``gg``, ``xg``.
    as_of : pandas.Timestamp
    months : int
    level : float
        Confidence level of the normal intervals.

    Returns
    -------
    pandas.DataFrame
        As :func:`revenue_retention`.

    Examples
    --------
    >>> sums = ratio_sums(np.array([10.0, 20.0, 10.0]), np.array([12.0, 0.0, 10.0]))
    >>> float(revenue_retention_from_sums(sums, as_of="2026-09-30", months=12).loc["net_revenue_retention",
    ...                                                                           "estimate"])
    0.55
    """
    z = stats.norm.ppf(0.5 + level / 2)
    n, sx = int(sums["n"]), float(sums["x"])
    out = {}
    for name, y in (("net_revenue_retention", "y"), ("gross_revenue_retention", "g")):
        if n < 2 or sx <= 0:
            out[name] = dict(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan)
        else:
            ratio = sums[y] / sx
            residual = max(sums[y + y] - 2 * ratio * sums["x" + y] + ratio**2 * sums["xx"], 0.0)
            se = np.sqrt(n / (n - 1) * residual) / sx
            out[name] = dict(estimate=ratio, se=se, ci_low=ratio - z * se, ci_high=ratio + z * se)
        out[name].update(n=n, revenue_base=sx)
    result = pd.DataFrame.from_dict(out, orient="index").rename_axis("measure")
    result.attrs.update(as_of=pd.Timestamp(as_of), months=months, level=level)
    return result


def retention_over_time(customers: pd.DataFrame, *, as_of_dates, months: int = 12, n_resamples: int = 500,
                        seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier share still active after ``months`` months as known at several as-of dates, and its changes.

    The same customers enter the estimates of different dates, so the estimates are not
    independent: the changes' intervals come from one bootstrap of customers applied to every
    date at once (a resampled customer carries the same weight in each date's life table).

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table; not modified.
    as_of_dates : sequence of str or pandas.Timestamp
        The dates, the last being the one the changes are measured from.
    months : int
        Tenure at which retention is read.
    n_resamples, seed : int
        Bootstrap replicates over customers and their seed.
    level : float
        Confidence level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per date: ``as_of``, ``estimate`` (share), ``ci_low``, ``ci_high``, ``n``
        (customers acquired by then) and ``change`` (last date's estimate minus this one's) with
        ``change_ci_low``, ``change_ci_high``; missing where no customer had been followed for
        ``months`` months.

    Examples
    --------
    >>> from cxlab.datasets import load_demo
    >>> customers = load_demo().customers
    >>> table = retention_over_time(customers, as_of_dates=["2025-09-30", "2026-09-30"], n_resamples=50)
    >>> bool(table["change_ci_low"].iloc[0] <= table["change"].iloc[0] <= table["change_ci_high"].iloc[0])
    True
    """
    dates = [pd.Timestamp(d) for d in as_of_dates]
    if not dates:
        raise ValueError("retention_over_time: give at least one as-of date")
    # each customer reduced, per date, to its tenure capped at months + 1 (-1: not yet acquired) and
    # whether it churned by months: all the Kaplan-Meier estimate at months needs
    tenures, churns, sizes = [], [], []
    position = pd.Series(np.arange(len(customers)), index=customers.index)
    dated = customers.filter(["acquired_at", "churned_at"])  # tenure_frame copies them at earlier dates
    for date in dates:
        frame = tenure_frame(dated, as_of=date)
        rows = position.loc[frame.index].to_numpy()
        tenure = np.full(len(customers), -1, dtype=np.int64)
        tenure[rows] = np.minimum(frame["tenure_months"].to_numpy(), months + 1)
        churned = np.zeros(len(customers), dtype=np.int64)
        churned[rows] = (frame["churned"].to_numpy() == 1) & (frame["tenure_months"].to_numpy() <= months)
        tenures.append(tenure)
        churns.append(churned)
        sizes.append(len(frame))
    profile = identical_rows([*tenures, *churns], len(customers))
    first = first_rows(profile)
    weights = np.bincount(profile).astype(float)[None, :]
    resampled = (np.vstack(list(profile_draw_counts(profile, n_resamples, seed)))
                 if n_resamples and len(customers) else np.zeros((0, len(first))))
    estimates, draws = [], []
    for tenure, churned in zip(tenures, churns, strict=True):
        estimates.append(_survival_at(tenure[first], churned[first], weights, months)[0])
        draws.append(_survival_at(tenure[first], churned[first], resampled, months))
    estimates, draws = np.array(estimates), np.array(draws)
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(draws, [tail, 1 - tail], axis=1) if n_resamples else (np.nan, np.nan)
        change = estimates[-1] - estimates
        change_draws = draws[-1] - draws
        change_low, change_high = np.nanquantile(change_draws, [tail, 1 - tail], axis=1)
    return pd.DataFrame({"as_of": dates, "estimate": estimates, "ci_low": low, "ci_high": high, "n": sizes,
                         "change": change, "change_ci_low": change_low, "change_ci_high": change_high})


def _survival_at(tenure: np.ndarray, churned: np.ndarray, weights: np.ndarray, months: int) -> np.ndarray:
    """Kaplan-Meier S(months) for each row of weights over the tenures (NaN when nobody was followed that long).

    ``tenure`` is -1 for rows not yet acquired (no weight in the life table).
    """
    if not (tenure >= months).any():
        return np.full(len(weights), np.nan)
    present = tenure >= 0
    ends = np.zeros((len(tenure), months + 2))
    ends[np.flatnonzero(present), tenure[present]] = 1.0
    ended = weights @ ends
    events = weights @ (ends * churned[:, None])
    at_risk = ended[:, ::-1].cumsum(axis=1)[:, ::-1]
    window = slice(1, months + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk[:, window] > 0, events[:, window] / at_risk[:, window], 0.0)
    return np.prod(1 - hazard, axis=1)


def plot_cohort_heatmap(table: pd.DataFrame, *, value: str = "logo_retention", ax=None,
                        annotate: bool | None = None, cmap: str = "YlGnBu"):
    """Heatmap of a :func:`cohort_table`: cohorts down, periods since acquisition across.

    Cells a cohort has not reached are blank. A ``suppressed`` column (from
    :func:`cxlab.display.suppress_small`) marks cohorts too small to show.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cohort_table` (possibly with small cohorts suppressed).
    value : str
        ``"logo_retention"``, ``"gross_revenue_retention"`` or ``"net_revenue_retention"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure sized to the table).
    annotate : bool, optional
        Write the percentage in each cell; default when there are at most 24 periods.
    cmap : str
        Matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    missing = [c for c in ("cohort", "period", "cohort_size", value) if c not in table.columns]
    if missing:
        raise ValueError(f"plot_cohort_heatmap: table lacks column(s) {missing}; pass a cohort_table() result")
    wide = 100 * table.pivot(index="cohort", columns="period", values=value).astype(float)
    per_cohort = table.groupby("cohort", sort=True)
    sizes = per_cohort["cohort_size"].first()
    if "suppressed" in table.columns:
        small = per_cohort["suppressed"].any()
    else:
        small = pd.Series(False, index=sizes.index)
    labels = [f"{c} (small cohort)" if small[c] else f"{c} (n={sizes[c]:,})" for c in wide.index]
    if annotate is None:
        annotate = wide.shape[1] <= 24
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2 + 0.55 * wide.shape[1], 18), 1.5 + 0.32 * wide.shape[0]))
    # shares of a whole run 0-100; net revenue retention is centred on 100 (growth above, loss below)
    scale = dict(vmin=50, vmax=150, center=100) if value == "net_revenue_retention" else dict(vmin=0, vmax=100)
    sns.heatmap(
        wide, ax=ax, cmap=cmap, annot=annotate, fmt=".0f", annot_kws={"fontsize": 7},
        cbar_kws={"label": _VALUE_LABELS.get(value, value)}, **scale,
    )
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels, rotation=0)
    period = table.attrs.get("period", "period")
    as_of = table.attrs.get("as_of")
    when = f", as of {pd.Timestamp(as_of):%Y-%m-%d}" if as_of is not None else ""
    ax.set(xlabel=f"{period}s since acquisition", ylabel="acquisition cohort",
           title=f"{_VALUE_LABELS.get(value, value)}{when}")
    return ax


# ---------------------------------------------------------------------- internals
def period_months(period: str) -> int:
    """Months in a retention period (:data:`PERIOD_MONTHS`), refusing an unknown period by name.

    Examples
    --------
    >>> period_months("quarter")
    3
    """
    return _choice(period, PERIOD_MONTHS, "period")


def _choice(name: str, options: dict, what: str):
    if name not in options:
        raise ValueError(f"{what} must be one of {sorted(options)}; got {name!r}")
    return options[name]


def _customer_periods(customers, frame, as_of, freq, months_per_period, acquired_col,
                      churned_col) -> tuple[pd.DataFrame, pd.PeriodIndex]:
    """Per customer of ``frame``: cohort code, acquisition month number, follow-up, last period active."""
    unchurned = customers[[acquired_col]].assign(**{churned_col: pd.NaT})
    followup = tenure_frame(unchurned, as_of=as_of, acquired_col=acquired_col, churned_col=churned_col)["tenure_months"]
    acquired = as_datetime(frame[acquired_col])
    codes, cohorts = pd.factorize(acquired.dt.to_period(freq), sort=True)
    tenure = frame["tenure_months"].to_numpy()
    churned = frame["churned"].to_numpy()
    out = pd.DataFrame({
        "cohort_code": codes,
        "acquired_month": _month_number(acquired).to_numpy(),
        "churned": churned,
        "followup_months": followup.to_numpy(),
        "followup_periods": followup.to_numpy() // months_per_period,
        # churn in tenure month T: active after periods 0 .. ceil(T / m) - 1
        "last_active_period": np.where(churned == 1, -(-tenure // months_per_period) - 1, NEVER_PERIOD),
    })
    return out, cohorts


def _needed(customers: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The columns the tables here use (copying every customer column of a large table is slow)."""
    return customers[[c for c in dict.fromkeys(columns) if c in customers.columns]]


def _ids(frame: pd.DataFrame, id_col: str) -> pd.Series:
    if id_col not in frame.columns:
        raise ValueError(f"customers table lacks column {id_col!r}, needed to link revenue")
    if frame[id_col].duplicated().any():
        raise ValueError(f"customers.{id_col} must be unique to link revenue")
    return frame[id_col]


def _month_number(dates: pd.Series) -> pd.Series:
    """Calendar months of dates as integers (year * 12 + month - 1), so differences count months."""
    values = dates.to_numpy()
    if np.issubdtype(values.dtype, np.datetime64) and not np.isnat(values).any():
        # numpy's month unit counts months since 1970-01 (the .dt accessors take several times longer)
        months = values.astype("datetime64[M]").astype(np.int64) + 1970 * 12
        return pd.Series(months, index=dates.index)
    return dates.dt.year * 12 + dates.dt.month - 1


def _positions(ids: pd.Series, values: pd.Series) -> np.ndarray:
    """Position of each value in the unique ``ids`` (-1 where absent).

    Arrow-backed text is looked up in Arrow's hash table (:func:`cxlab.identifiers.positions`).
    Python-object text looks up each run of equal consecutive values once: revenue rows usually come
    grouped by customer, so this hashes about one id per customer instead of one per row.
    """
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    if isinstance(values.dtype, pd.StringDtype):
        return positions(values, ids)
    values = values.to_numpy()
    missing = pd.isna(values)
    if missing.any():  # pd.NA cannot be compared; a missing id matches no customer either way
        values = np.where(missing, None, values)
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    heads = np.flatnonzero(starts)
    found = pd.Index(ids.to_numpy()).get_indexer(values[heads])
    return np.repeat(found, np.diff(np.append(heads, len(values))))


def last_complete_month(as_of) -> int:
    """Month number (``year * 12 + month - 1``) of the latest calendar month whose last day is on or before ``as_of``.

    Examples
    --------
    >>> last_complete_month("2026-09-30") - 2026 * 12, last_complete_month("2026-09-29") - 2026 * 12
    (8, 7)
    """
    as_of = pd.Timestamp(as_of)
    month = as_of.year * 12 + as_of.month - 1
    return month if as_of.normalize() >= (as_of + pd.offsets.MonthEnd(0)).normalize() else month - 1


def _revenue_by_customer_period(cust: pd.DataFrame, ids: pd.Series, revenue: pd.DataFrame, as_of,
                                months_per_period: int, id_col: str) -> pd.DataFrame:
    """Revenue per (customer row, period) from complete billing months after the acquisition month."""
    needed = [id_col, "month", "amount"]
    missing = [c for c in needed if c not in revenue.columns]
    if missing:
        raise ValueError(f"revenue table lacks column(s) {missing} (needs {needed})")
    billed = _month_number(as_datetime(revenue["month"])).to_numpy()
    row = _positions(ids, revenue[id_col])
    # revenue of customers unknown or acquired after as_of is not used
    keep = (billed <= last_complete_month(as_of)) & (row >= 0)
    row = row[keep]
    month_index = billed[keep] - cust["acquired_month"].to_numpy()[row]
    if np.any(month_index < 0):
        raise ValueError("revenue.month: some revenue is billed before the customer's acquisition month")
    amount = pd.to_numeric(revenue["amount"], errors="coerce").to_numpy()[keep]
    if np.isnan(amount).any():
        raise ValueError("revenue.amount must be numeric and not missing")
    after_acquisition_month = month_index >= 1
    row = row[after_acquisition_month]
    period = (month_index[after_acquisition_month] - 1) // months_per_period
    amount = amount[after_acquisition_month]
    if len(row) == 0:
        return pd.DataFrame({"row": row, "period": period, "amount": amount})
    key = row.astype(np.int64) * (int(period.max()) + 1) + period
    if not np.all(key[1:] >= key[:-1]):  # revenue tables usually come customer by customer, month by month
        order = np.argsort(key, kind="stable")
        row, period, amount, key = row[order], period[order], amount[order], key[order]
    # one sum per run of equal keys, in the order the months come
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    return pd.DataFrame({"row": row[starts], "period": period[starts], "amount": np.add.reduceat(amount, starts)})


def _sums(codes, weights, size: int) -> np.ndarray:
    """Sum of the weights per code 0 .. size - 1, as floats (``np.bincount`` of no codes gives integers)."""
    return np.bincount(codes, weights=weights, minlength=size).astype(float, copy=False)


def _add_revenue(table, cust, per_period, as_of, months_per_period, shape) -> pd.DataFrame:
    """Add period-0 revenue, period-k revenue of active customers, and GRR/NRR per cohort cell."""
    base = _sums(per_period.loc[per_period["period"] == 0, "row"],
                 per_period.loc[per_period["period"] == 0, "amount"], len(cust))
    last_active = cust["last_active_period"].to_numpy()[per_period["row"]]
    counted = (per_period["period"].to_numpy() <= last_active) & (per_period["period"].to_numpy() < shape[1])
    part = per_period.loc[counted]
    code = cust["cohort_code"].to_numpy()[part["row"]]
    cell = code * shape[1] + part["period"].to_numpy()
    size = shape[0] * shape[1]
    amount = part["amount"].to_numpy()
    return add_revenue_columns(
        table, revenue=_sums(cell, amount, size).reshape(shape),
        revenue_kept=_sums(cell, np.minimum(amount, base[part["row"]]), size).reshape(shape),
        revenue_base=_sums(cust["cohort_code"], base, shape[0]),
        newest_month=cust.groupby("cohort_code")["acquired_month"].max().to_numpy(), as_of=as_of,
        months_per_period=months_per_period)


def add_revenue_columns(table: pd.DataFrame, *, revenue: np.ndarray, revenue_kept: np.ndarray,
                        revenue_base: np.ndarray, newest_month: np.ndarray, as_of,
                        months_per_period: int) -> pd.DataFrame:
    """Add the revenue columns of :func:`cohort_table` to its logo table, from sums per cohort and period.

    Parameters
    ----------
    table : pandas.DataFrame
        The logo table: cohorts in order, periods ``0 .. width - 1`` each, ``active`` missing where a
        cohort has not reached the period.
    revenue, revenue_kept : numpy.ndarray
        Shape (cohorts, width): per cohort and period, the revenue of customers still active after
        it and the same capped at each customer's period-0 revenue.
    revenue_base : numpy.ndarray
        Per cohort, its customers' period-0 revenue.
    newest_month : numpy.ndarray
        Per cohort, the month number (``year * 12 + month - 1``) of its latest acquisition.
    as_of : pandas.Timestamp
    months_per_period : int

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``revenue_base``, ``revenue``, ``revenue_kept``, ``gross_revenue_retention``
        and ``net_revenue_retention``; missing where the cohort has not reached the period, a
        billing month of it is not complete, or the cohort had no period-0 revenue.
    """
    revenue, revenue_kept = revenue.astype(float), revenue_kept.astype(float)
    width = revenue.shape[1]
    not_reached = table["active"].isna().to_numpy().reshape(revenue.shape)
    complete = (last_complete_month(as_of) - newest_month) // months_per_period
    hidden = not_reached | (np.arange(width)[None, :] >= complete[:, None]) | (revenue_base[:, None] <= 0)
    revenue[hidden] = np.nan
    revenue_kept[hidden] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return table.assign(
            revenue_base=np.repeat(revenue_base, width),
            revenue=revenue.ravel(),
            revenue_kept=revenue_kept.ravel(),
            gross_revenue_retention=(revenue_kept / revenue_base[:, None]).ravel(),
            net_revenue_retention=(revenue / revenue_base[:, None]).ravel(),
        )
