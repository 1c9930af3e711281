"""Customer lifetime value from a survival curve, a margin and a discount rate.

Timing convention
-----------------
A customer is acquired at time 0. The margin of period ``t`` is earned at the *end* of period
``t`` if the customer is still a customer then, and is discounted by ``(1 + i)^t``:

    CLV = sum_{t=1}^{H} m(t) * S(t) / (1 + i)^t

This is Gupta & Lehmann's convention ("Customers as assets", Journal of Interactive Marketing
17(1), 2003): with constant retention ``S(t) = r^t`` and an infinite horizon it equals
``m * r / (1 + i - r)``.

In :mod:`cxlab.tenure`'s terms, ``S(t)`` is the share of customers whose tenure exceeds ``t``
months (a customer who churns during month ``k`` has tenure ``k``). So the sum counts the
completed months of a customer: one who churns during month ``k`` earns the margins of months
1 .. k - 1. A business that bills monthly in advance also collects the month in which the
customer leaves (or, equivalently, the first month at acquisition): its value is
``m + clv(...)`` (``sum_{t>=1} m S(t-1) / (1+i)^(t-1)`` rearranged). The scenario arithmetic of
:mod:`cxlab.economics.scenario` uses the same end-of-month convention throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.economics.curves import (
    SurvivalDraws,
    joint_survival_draws,
    percentile_interval,
    revenue_life_table,
    survival_draws,
)
from cxlab.tenure import event_table, is_active

__all__ = ["HEADLINE_TAILS", "LIFETIME_MONTHS", "clv", "clv_across_tails", "clv_by", "clv_difference", "group_clv",
           "group_curves", "monthly_rate", "payback_months"]

LIFETIME_MONTHS = 600
HEADLINE_TAILS = ("geometric", "sbg", "best")


def monthly_rate(annual_rate: float) -> float:
    """Monthly rate compounding to an annual one: ``(1 + annual)^(1/12) - 1``.

    Examples
    --------
    >>> round(monthly_rate(0.10), 6)
    0.007974
    """
    if annual_rate <= -1:
        raise ValueError(f"annual rate must be > -1; got {annual_rate}")
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def _survival_array(survival, horizon_periods: int | None) -> np.ndarray:
    """S(1..H) along the last axis from a sequence, a SurvivalDraws or a fitted model."""
    if isinstance(survival, (np.ndarray, pd.Series, pd.DataFrame, list, tuple)):
        s = np.asarray(survival, dtype=float)
        if s.ndim == 0 or s.shape[-1] == 0:
            raise ValueError("survival must be a non-empty sequence S(1), S(2), ...")
        if horizon_periods is not None:
            if horizon_periods > s.shape[-1]:
                raise ValueError(f"horizon_periods={horizon_periods} exceeds the {s.shape[-1]} periods given")
            s = s[..., :horizon_periods]
    else:
        if horizon_periods is None:
            raise ValueError("a fitted survival model needs horizon_periods (how many periods to value)")
        t = np.arange(1, horizon_periods + 1)
        if hasattr(survival, "survival") and callable(survival.survival):
            s = np.asarray(survival.survival(t), dtype=float)
        elif hasattr(survival, "survival_function_at_times"):
            s = np.asarray(survival.survival_function_at_times(t), dtype=float)
        else:
            raise ValueError("survival must be a sequence S(1), S(2), ... or a model with survival(t)")
    if np.any(~np.isfinite(s)) or np.any(s < 0) or np.any(s > 1 + 1e-12):
        raise ValueError("survival values must be finite and between 0 and 1")
    return s


def clv(survival, *, margin_per_period, discount_rate_per_period: float, horizon_periods: int | None = None):
    """Expected discounted margin of one newly acquired customer.

    Parameters
    ----------
    survival : array-like or fitted model
        The sequence S(1), S(2), ..., S(H) (shape ``(..., H)``: leading axes, e.g. bootstrap
        replicates, are kept), or a model exposing ``survival(t)`` (e.g.
        :class:`~cxlab.economics.curves.SurvivalDraws`, an sBG fit) or lifelines'
        ``survival_function_at_times(t)``, evaluated at t = 1 .. ``horizon_periods``.
    margin_per_period : float or array-like
        Margin (currency) per period survived; an array broadcasts against ``survival``
        (a margin per period, or per replicate with shape ``(n, 1)``).
    discount_rate_per_period : float
        Discount rate per period (monthly for monthly curves; see :func:`monthly_rate`).
    horizon_periods : int, optional
        Periods to value; required for a model, optional truncation for a sequence.

    Returns
    -------
    float or numpy.ndarray
        ``sum_t m(t) S(t) / (1 + i)^t`` (see the module docstring for the timing convention).

    Examples
    --------
    Constant retention 0.9, margin 10, discount 1% per period: Gupta & Lehmann's closed form
    is 10 * 0.9 / (1.01 - 0.9) = 81.82.

    >>> r = 0.9
    >>> round(float(clv(r ** np.arange(1, 2001), margin_per_period=10, discount_rate_per_period=0.01)), 2)
    81.82
    """
    if discount_rate_per_period <= -1:
        raise ValueError(f"discount_rate_per_period must be > -1; got {discount_rate_per_period}")
    s = _survival_array(survival, horizon_periods)
    t = np.arange(1, s.shape[-1] + 1)
    value = (np.asarray(margin_per_period, dtype=float) * s * (1.0 + discount_rate_per_period) ** -t).sum(axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def payback_months(survival, *, margin_per_period, acquisition_cost, discount_rate_per_period: float = 0.0):
    """Months of expected margin needed to recover the cost of acquiring a customer.

    Definition: the first month ``k`` at which the expected cumulative margin of a newly
    acquired customer, ``sum_{t<=k} m S(t) / (1 + i)^t``, reaches the acquisition cost. Churn
    is accounted for (survival-weighted), so payback is later than the naive ``CAC / m`` and
    never comes when the customer's lifetime value is below the cost.

    Parameters
    ----------
    survival : array-like
        S(1), S(2), ... with optional leading replicate axes (as in :func:`clv`).
    margin_per_period : float or array-like
        Margin per month survived (broadcast as in :func:`clv`).
    acquisition_cost : float or array-like
        Cost per acquired customer; an array of shape ``(n,)`` matches ``n`` replicates.
    discount_rate_per_period : float
        Monthly discount rate (0 = undiscounted payback, the usual business definition).

    Returns
    -------
    float or numpy.ndarray
        Payback month (1-based); NaN where the cost is not recovered within the curve.

    Examples
    --------
    >>> payback_months([1.0, 1.0, 0.5, 0.5], margin_per_period=10, acquisition_cost=25)
    3.0
    """
    s = _survival_array(survival, None)
    t = np.arange(1, s.shape[-1] + 1)
    cumulative = np.cumsum(np.asarray(margin_per_period, dtype=float) * s * (1.0 + discount_rate_per_period) ** -t,
                           axis=-1)
    cost = np.asarray(acquisition_cost, dtype=float)[..., None]
    reached = cumulative >= cost - 1e-9
    month = np.where(reached.any(axis=-1), reached.argmax(axis=-1) + 1.0, np.nan)
    return float(month) if np.ndim(month) == 0 else month


def clv_by(frame: pd.DataFrame, *, by, gross_margin_share: float, annual_discount_rate: float,
           revenue_col: str = "monthly_revenue", n_resamples: int = 500, seed: int = 0, min_at_risk: int = 30,
           tail: str = "geometric", lifetime_months: int = LIFETIME_MONTHS, level: float = 0.95,
           revenue_weighted: bool = True) -> pd.DataFrame:
    """Lifetime value of a new customer and of the active base, per group, with intervals.

    Each group gets its own survival curve (Kaplan-Meier within its observed window, the chosen
    tail beyond) and its own margin: the mean ``monthly_revenue`` of its customers times
    ``gross_margin_share``. By default the curve is **revenue-weighted**
    (:func:`~cxlab.economics.curves.joint_survival_draws`): each customer counts with their
    revenue, so ``margin x S_w(t)`` is the mean over customers of their own margin x survival,
    which stays right when high-revenue customers churn less (mean revenue x the customers'
    curve then understates the value). The interval propagates the curve's replicates together
    with the sampling error of the mean revenue (drawn jointly with the weighted hazards; with
    ``revenue_weighted=False``, the customers' curve of
    :func:`~cxlab.economics.curves.survival_draws` and independent normal draws of the mean).
    It covers sampling error under the chosen tail; :func:`clv_across_tails` adds the choice of
    tail.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`cxlab.tenure.tenure_frame` (``tenure_months``, ``churned``, the revenue
        column and the ``by`` columns); not modified.
    by : str or list of str
        Grouping column(s), e.g. ``"segment"``, ``"acquisition_channel"`` or a cohort column.
    gross_margin_share : float
        Share of revenue kept as gross margin (0-1).
    annual_discount_rate : float
        Annual discount rate, converted to monthly with :func:`monthly_rate`.
    revenue_col : str
        Monthly revenue column.
    n_resamples, seed : int
        Replicates and seed of the bootstrap.
    min_at_risk : int
        Kaplan-Meier window rule of :func:`~cxlab.economics.curves.survival_draws`.
    tail : str
        Extrapolation beyond the window (:data:`~cxlab.economics.curves.TAILS`).
    lifetime_months : int
        Horizon of the lifetime sum (600 months: beyond it the discounted remainder is
        negligible).
    level : float
        Interval level.
    revenue_weighted : bool
        Weight the survival curve by revenue (default) or count every customer once.

    Returns
    -------
    pandas.DataFrame
        One row per group, the groups as columns (like :func:`cxlab.metrics.nps_by`): the ``by``
        columns, ``n_customers``, ``n_active``, ``monthly_margin``, ``clv`` with
        ``clv_ci_low``/``clv_ci_high`` (per new customer), ``expected_lifetime_months`` (undiscounted
        sum of the customers' S(t) over the lifetime horizon), ``residual_value_per_active`` (expected
        discounted margin still to come from an active customer, given their tenure) with its
        interval (``_ci_low``, ``_ci_high``), ``km_window_months``. Groups too small for a curve (fewer than
        ``min_at_risk`` at risk in month 1) have NaN values.
    """
    cols = [by] if isinstance(by, str) else list(by)
    absent_groups = [c for c in cols if c not in frame.columns]
    if absent_groups:
        raise ValueError(f"clv_by: no column(s) {absent_groups} to group by; the frame has {list(frame.columns)}")
    missing = [c for c in ["tenure_months", "churned", revenue_col] if c not in frame.columns]
    if missing:
        raise ValueError(f"clv_by: frame lacks column(s) {missing}; build it with cxlab.tenure.tenure_frame")
    unknown = int(frame[revenue_col].isna().sum())
    if unknown:
        raise ValueError(f"clv_by: {unknown} customer(s) have no {revenue_col}; lifetime value needs it")
    if not 0 <= gross_margin_share <= 1:
        raise ValueError(f"gross_margin_share must be between 0 and 1; got {gross_margin_share}")
    discount = monthly_rate(annual_discount_rate)
    rows = []
    for key, group in frame.groupby(cols, observed=True, sort=True):
        values = group_clv(group, gross_margin_share=gross_margin_share, monthly_discount_rate=discount,
                           revenue_col=revenue_col, n_resamples=n_resamples, seed=seed, min_at_risk=min_at_risk,
                           tail=tail, lifetime_months=lifetime_months, level=level, revenue_weighted=revenue_weighted)
        rows.append({**dict(zip(cols, key, strict=True)),
                     **{k: v for k, v in values.items() if not k.endswith("_draws")}})
    return pd.DataFrame(rows)


def clv_difference(frame: pd.DataFrame, by: str, first, second, *, gross_margin_share: float,
                   annual_discount_rate: float, revenue_col: str = "monthly_revenue", n_resamples: int = 500,
                   seed: int = 0, min_at_risk: int = 30, tail: str = "geometric",
                   lifetime_months: int = LIFETIME_MONTHS, level: float = 0.95,
                   revenue_weighted: bool = True) -> dict:
    """Difference in lifetime value between two groups (``first`` minus ``second``) with its interval.

    The two groups are independent samples: each gets its own replicates (seeds ``seed`` and
    ``seed + 1``), and the interval is the percentile interval of the replicates' differences.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`cxlab.tenure.tenure_frame` with the ``by`` column; not modified.
    by : str
        Grouping column, e.g. ``"segment"``.
    first, second
        The two groups' values, e.g. ``"Enterprise"`` and ``"SMB"``.
    gross_margin_share, annual_discount_rate, revenue_col, n_resamples, seed, min_at_risk, tail, lifetime_months,
    level, revenue_weighted
        As in :func:`clv_by`.

    Returns
    -------
    dict
        ``first``, ``second``, ``clv_first``, ``clv_second``, ``difference``, ``ci_low``, ``ci_high``,
        ``n_first``, ``n_second``.

    Raises
    ------
    ValueError
        Naming the column or the group that is not in the frame.
    """
    if by not in frame.columns:
        raise ValueError(f"clv_difference: no column {by!r} to group by; the frame has {list(frame.columns)}")
    values = {}
    for offset, group in enumerate((first, second)):
        rows = frame[frame[by] == group]
        if rows.empty:
            raise ValueError(f"clv_difference: no customer has {by} = {group!r}; groups are "
                             f"{sorted(frame[by].dropna().unique().tolist())}")
        values[group] = group_clv(rows, gross_margin_share=gross_margin_share,
                                  monthly_discount_rate=monthly_rate(annual_discount_rate), revenue_col=revenue_col,
                                  n_resamples=n_resamples, seed=seed + offset, min_at_risk=min_at_risk, tail=tail,
                                  lifetime_months=lifetime_months, level=level, revenue_weighted=revenue_weighted)
    a, b = values[first], values[second]
    small = [g for g, v in values.items() if "clv_draws" not in v]
    if small:
        raise ValueError(f"clv_difference: group(s) {small} have fewer than {min_at_risk} customers at risk in "
                         "month 1, too few for a survival curve")
    low, high = percentile_interval(np.asarray(a["clv_draws"]) - np.asarray(b["clv_draws"]), level)
    return {"first": first, "second": second, "clv_first": a["clv"], "clv_second": b["clv"],
            "difference": a["clv"] - b["clv"], "ci_low": low, "ci_high": high, "n_first": a["n_customers"],
            "n_second": b["n_customers"]}


def group_curves(frame: pd.DataFrame, *, horizon_months: int, revenue_col: str = "monthly_revenue",
                 revenue_weighted: bool = True, n_resamples: int = 500, seed: int = 0, min_at_risk: int = 30,
                 tail: str = "geometric") -> tuple[SurvivalDraws, SurvivalDraws]:
    """The customers' survival curve of a group and the curve its money follows.

    Returns ``(customers, money)``: with ``revenue_weighted`` the two curves of
    :func:`~cxlab.economics.curves.joint_survival_draws` (the money curve revenue-weighted),
    otherwise the customers' curve of :func:`~cxlab.economics.curves.survival_draws` twice.
    """
    if revenue_weighted:
        table = revenue_life_table(frame["tenure_months"], frame["churned"], frame[revenue_col])
        return joint_survival_draws(table, horizon_months=horizon_months, n_resamples=n_resamples, seed=seed,
                                    min_at_risk=min_at_risk, tail=tail)
    curve = survival_draws(event_table(frame["tenure_months"], frame["churned"]), horizon_months=horizon_months,
                           n_resamples=n_resamples, seed=seed, min_at_risk=min_at_risk, tail=tail)
    return curve, curve


def group_clv(frame: pd.DataFrame, *, gross_margin_share: float, monthly_discount_rate: float,
              revenue_col: str = "monthly_revenue", n_resamples: int = 500, seed: int = 0, min_at_risk: int = 30,
              tail: str = "geometric", lifetime_months: int = LIFETIME_MONTHS, level: float = 0.95,
              revenue_weighted: bool = True, curves: tuple[SurvivalDraws, SurvivalDraws] | None = None) -> dict:
    """Lifetime values of one group of customers (the row of :func:`clv_by`), with their draws.

    Parameters are those of :func:`clv_by`, with the discount rate already monthly; ``curves``
    (the ``(customers, money)`` pair of :func:`group_curves`) replaces the group's own curves
    when given. Money is valued on the money curve; the expected lifetime comes from the
    customers' curve. The mean revenue's replicates are those drawn with a revenue-weighted
    curve, else normal draws with its standard error. Besides the row's values, the result
    holds ``clv_draws`` and ``margin_draws`` (arrays of ``n_resamples`` values) for callers that
    combine them with other uncertain inputs (e.g. LTV/CAC).
    """
    n_customers = len(frame)
    active = is_active(frame)
    revenue = frame[revenue_col].to_numpy(dtype=float)
    out = {"n_customers": n_customers, "n_active": int(active.sum())}
    if curves is None:
        if (frame["tenure_months"] >= 1).sum() < min_at_risk:
            nan = np.nan
            return {**out, "monthly_margin": nan, "clv": nan, "clv_ci_low": nan, "clv_ci_high": nan,
                    "expected_lifetime_months": nan, "residual_value_per_active": nan,
                    "residual_value_per_active_ci_low": nan, "residual_value_per_active_ci_high": nan,
                    "km_window_months": nan, "clv_draws": np.full(n_resamples, nan),
                    "margin_draws": np.full(n_resamples, nan)}
        curves = group_curves(frame, horizon_months=lifetime_months + int(frame["tenure_months"].max()),
                              revenue_col=revenue_col, revenue_weighted=revenue_weighted, n_resamples=n_resamples,
                              seed=seed, min_at_risk=min_at_risk, tail=tail)
    customers, curve = curves
    margin = gross_margin_share * revenue.mean()
    if curve.weight_mean_draws is not None:
        margin_draws = gross_margin_share * curve.weight_mean_draws
    else:
        rng = np.random.default_rng([seed, 1])
        margin_se = gross_margin_share * revenue.std(ddof=1) / np.sqrt(n_customers) if n_customers > 1 else 0.0
        margin_draws = margin + margin_se * rng.standard_normal(curve.n_resamples)
    s = curve.survival()
    s_draws = curve.survival_draws()
    value = clv(s[1:lifetime_months + 1], margin_per_period=margin, discount_rate_per_period=monthly_discount_rate)
    value_draws = clv(s_draws[:, 1:lifetime_months + 1], margin_per_period=margin_draws[:, None],
                      discount_rate_per_period=monthly_discount_rate)
    residual, residual_draws = _residual_value(frame.loc[active], revenue[active] * gross_margin_share, s, s_draws,
                                               monthly_discount_rate, lifetime_months)
    return {**out, "monthly_margin": margin, "clv": value,
            **dict(zip(("clv_ci_low", "clv_ci_high"), percentile_interval(value_draws, level), strict=True)),
            "expected_lifetime_months": float(customers.survival()[1:lifetime_months + 1].sum()),
            "residual_value_per_active": residual,
            **dict(zip(("residual_value_per_active_ci_low", "residual_value_per_active_ci_high"),
                       percentile_interval(residual_draws, level), strict=True)),
            "km_window_months": curve.window_months, "clv_draws": value_draws, "margin_draws": margin_draws}


def clv_across_tails(frame: pd.DataFrame, *, gross_margin_share: float, annual_discount_rate: float,
                     tail: str = "geometric", tails=HEADLINE_TAILS, revenue_col: str = "monthly_revenue",
                     revenue_weighted: bool = True, n_resamples: int = 500, seed: int = 0, min_at_risk: int = 30,
                     lifetime_months: int = LIFETIME_MONTHS, level: float = 0.95) -> pd.DataFrame:
    """Lifetime value of a new customer under several tail models, and a headline interval that includes the choice.

    Beyond the longest observed tenures the survival curve is extrapolated, and the tail model
    moves the lifetime value by more than its sampling error. Each tail of ``tails`` (and the
    chosen ``tail``) gets its value and sampling interval (:func:`group_clv` on all customers).
    The headline row keeps the chosen tail's value; its interval is the **union of the tails'
    sampling intervals** (lowest low to highest high): it covers the sampling error under any
    of the tails considered, without pretending to weight models whose fits are not comparable
    (the geometric tail pools the last observed year, the others fit the whole life table).

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`cxlab.tenure.tenure_frame`; not modified.
    gross_margin_share, annual_discount_rate : float
        Assumptions, as in :func:`clv_by`.
    tail : str
        The report's tail: the headline value.
    tails : sequence of str
        Tails considered (:data:`~cxlab.economics.curves.TAILS`; default geometric, sBG and the
        best-AIC parametric model).
    revenue_col, revenue_weighted, n_resamples, seed, min_at_risk, lifetime_months, level
        As in :func:`clv_by`.

    Returns
    -------
    pandas.DataFrame
        Indexed by tail name, then ``"headline"``: ``tail_model`` (what was fitted; the sBG tail
        falls back to geometric without heterogeneity), ``clv``, ``clv_ci_low``, ``clv_ci_high``,
        ``survival_120`` (share still active after ten years) and ``interval`` (how the row's
        interval was made). ``attrs["note"]`` states the headline's interval in a sentence.
    """
    names = list(dict.fromkeys([tail, *tails]))
    discount = monthly_rate(annual_discount_rate)
    horizon = lifetime_months + int(frame["tenure_months"].max())
    rows = {}
    for name in names:
        customers, money = group_curves(frame, horizon_months=horizon, revenue_col=revenue_col,
                                        revenue_weighted=revenue_weighted, n_resamples=n_resamples, seed=seed,
                                        min_at_risk=min_at_risk, tail=name)
        values = group_clv(frame, gross_margin_share=gross_margin_share, monthly_discount_rate=discount,
                           revenue_col=revenue_col, seed=seed, lifetime_months=lifetime_months, level=level,
                           curves=(customers, money))
        rows[name] = {"tail_model": money.tail, "clv": values["clv"], "clv_ci_low": values["clv_ci_low"],
                      "clv_ci_high": values["clv_ci_high"],
                      "survival_120": float(customers.survival(min(120, horizon))),
                      "interval": f"{100 * level:g}% sampling interval"}
    table = pd.DataFrame.from_dict(rows, orient="index")
    shown = ", ".join(table["tail_model"])
    note = (f"{tail} tail; {100 * level:g}% interval = union of the sampling intervals under the {shown} tails "
            "(covers the choice of tail as well as sampling error)")
    table.loc["headline"] = {"tail_model": table.loc[tail, "tail_model"], "clv": table.loc[tail, "clv"],
                             "clv_ci_low": table["clv_ci_low"].min(), "clv_ci_high": table["clv_ci_high"].max(),
                             "survival_120": table.loc[tail, "survival_120"],
                             "interval": "union of the tails' sampling intervals"}
    table.index.name = "tail"
    table.attrs["note"] = note
    return table


def _residual_value(active: pd.DataFrame, margins: np.ndarray, s: np.ndarray, s_draws: np.ndarray,
                    monthly_discount_rate: float, lifetime_months: int) -> tuple[float, np.ndarray]:
    """Mean expected discounted margin still to come per active customer, aggregated by tenure.

    An active customer of tenure ``a`` earns ``m * sum_{t=1}^{M} S(a + t) / S(a) / (1 + i)^t``;
    with ``C(u) = sum_{v<=u} S(v) / (1 + i)^v`` that is ``m (1 + i)^a (C(a + M) - C(a)) / S(a)``.
    """
    if len(active) == 0:
        return np.nan, np.full(s_draws.shape[0], np.nan)
    margin_by_tenure = np.bincount(active["tenure_months"].to_numpy(), weights=margins)
    tenures = np.flatnonzero(margin_by_tenure)
    growth = 1.0 + monthly_discount_rate

    def per_active(curve: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(curve * growth ** -np.arange(curve.shape[-1]), axis=-1)
        start = curve[..., tenures]
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = growth ** tenures * (cumulative[..., tenures + lifetime_months] - cumulative[..., tenures]) / start
        factor = np.where(start > 0, factor, 0.0)
        return (factor * margin_by_tenure[tenures]).sum(axis=-1) / len(active)

    return float(per_active(s)), per_active(s_draws)
