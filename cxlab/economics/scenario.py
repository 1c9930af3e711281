"""What a retention lift is worth: baseline vs improved retention of the base and of future cohorts.

The company is reduced to aggregates first (:func:`customer_base`): active customers and their
monthly revenue by tenure month at the as-of date, the life table, the recent monthly rate
of acquisitions with their revenue and cost. :func:`retention_lift_scenario` then projects,
month by month over the horizon and for every bootstrap replicate of the survival curve at
once (arrays of shape ``(replicates, months)``):

* the existing base: an active customer of tenure ``a`` is still a customer at the end of
  scenario month ``m`` with probability ``S(a + m) / S(a)`` (scenario month ``m`` is treated as
  the customer's tenure month ``a + m``);
* future cohorts: ``new_customers_per_month`` join at the start of every month and follow
  ``S`` from tenure 0.

Money follows :mod:`cxlab.economics.clv`'s timing: a customer active at the end of a month
brings that month's revenue; cash flows of month ``m`` are discounted by ``(1 + i)^m`` with
the monthly rate compounding to ``annual_discount_rate``. Profit is defined as

    revenue x gross_margin_share - cost to serve - retention programme cost - acquisition spend

where acquisition spend (new customers per month x CAC) is the same in both scenarios and the
programme cost is paid only in the improved one. The percentage profit increase is the
incremental discounted profit relative to the baseline discounted profit over the horizon
(NaN when the baseline is a loss). The folklore's "+5% retention, +25-95% profit" comes from
Reichheld & Sasser (1990, Harvard Business Review) and Reichheld (1996, The Loyalty Effect): it
meant 5 percentage points fewer defections per year and depends on the margin -- see
:mod:`cxlab.economics.sensitivity`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from cxlab.economics.acquisition import recent_acquisitions
from cxlab.economics.clv import HEADLINE_TAILS, monthly_rate
from cxlab.economics.curves import (
    LIFT_KINDS,
    SurvivalDraws,
    joint_survival_draws,
    percentile_interval,
    revenue_life_table,
    survival_draws,
)
from cxlab.tenure import event_table, is_active, tenure_frame

__all__ = ["PER_YEAR", "TOTALS", "CustomerBase", "LiftScenario", "customer_base",
           "retention_lift_scenario", "scenario_across_tails"]

PER_YEAR = (
    ("incremental_customers", "customers", "Extra active customers at the end of the year"),
    ("incremental_revenue", "currency", "Extra revenue"),
    ("incremental_gross_profit", "currency", "Extra gross profit (revenue x margin share)"),
    ("programme_cost", "currency", "Cost of the retention programme"),
    ("incremental_profit", "currency", "Extra profit (after cost to serve and programme)"),
    ("incremental_discounted_profit", "currency", "Extra profit, discounted to the as-of date"),
    ("baseline_profit", "currency", "Profit on the current course"),
    ("profit_increase_pct", "%", "Profit increase versus the current course"),
)
TOTALS = (
    ("incremental_customers_at_horizon", "customers", "Extra active customers at the end of the horizon"),
    ("incremental_customer_years", "customer-years", "Extra customer-years over the horizon"),
    ("incremental_revenue", "currency", "Extra revenue over the horizon"),
    ("incremental_gross_profit", "currency", "Extra gross profit over the horizon"),
    ("programme_cost", "currency", "Cost of the retention programme over the horizon"),
    ("incremental_profit", "currency", "Extra profit over the horizon (undiscounted)"),
    ("incremental_discounted_profit", "currency", "Extra discounted profit over the horizon"),
    ("baseline_discounted_profit", "currency", "Discounted profit on the current course"),
    ("profit_increase_pct", "%", "Discounted profit increase versus the current course"),
    ("acquisition_customers", "customers", "Customers the same budget would acquire at the CAC"),
    ("acquisition_alternative_profit", "currency", "Discounted profit of spending the budget on acquisition"),
    ("retention_minus_acquisition", "currency", "Retention's profit minus the acquisition alternative's"),
    ("breakeven_vs_acquisition", "programme cost unit", "Programme cost at which retention and acquisition tie"),
    ("breakeven_programme_cost", "programme cost unit", "Programme cost at which the programme just pays"),
    ("cost_per_customer_year_retained", "currency", "Programme cost per extra customer-year"),
    ("acquisition_to_retention_cost_ratio", "ratio", "CAC / programme cost per extra customer-year"),
    ("breakeven_cost_ratio", "ratio", "CAC / cost per extra customer-year at which the two tie"),
)


@dataclass(frozen=True, eq=False)
class CustomerBase:
    """The company in aggregates at an as-of date (see :func:`customer_base`).

    Attributes
    ----------
    as_of : pandas.Timestamp
    life_table : pandas.DataFrame
        Life table of all customers acquired by ``as_of``: with their revenue
        (:func:`~cxlab.economics.curves.revenue_life_table`) when every customer has one, else
        :func:`cxlab.tenure.event_table`.
    active_by_tenure, revenue_by_tenure : numpy.ndarray
        Active customers and their total monthly revenue by tenure month 0 .. max tenure.
    new_customers_per_month : float
        Recent average of acquisitions per month.
    new_customer_monthly_revenue : float
        Mean monthly revenue of the recent acquisitions.
    cac, cac_se : float
        Mean acquisition cost of the recent acquisitions with a recorded cost, and its
        standard error (NaN when no cost is recorded).
    n_cac : int
        Recent acquisitions with a recorded cost.
    n_recent : int
        Recent acquisitions.
    acquisition_window_months : float
        Length of the recent window.
    """

    as_of: pd.Timestamp
    life_table: pd.DataFrame
    active_by_tenure: np.ndarray
    revenue_by_tenure: np.ndarray
    new_customers_per_month: float
    new_customer_monthly_revenue: float
    cac: float
    cac_se: float
    n_cac: int
    n_recent: int
    acquisition_window_months: float

    @property
    def n_customers(self) -> int:
        """Customers acquired by the as-of date."""
        return int(self.life_table["at_risk"].iloc[0])

    @property
    def n_active(self) -> int:
        """Customers active at the as-of date."""
        return int(self.active_by_tenure.sum())

    @property
    def max_tenure_months(self) -> int:
        """Longest tenure in the life table."""
        return len(self.life_table) - 1

    @property
    def summary(self) -> pd.DataFrame:
        """The data-derived inputs of the scenario, with units."""
        rows = [
            ("as-of date", str(self.as_of.date()), ""),
            ("customers acquired by the as-of date", self.n_customers, "customers"),
            ("active customers at the as-of date", self.n_active, "customers"),
            ("monthly revenue of the active base", float(self.revenue_by_tenure.sum()), "currency per month"),
            ("acquisitions per month (recent average)", self.new_customers_per_month, "customers per month"),
            ("recent window", self.acquisition_window_months, "months"),
            ("monthly revenue of a new customer", self.new_customer_monthly_revenue, "currency per month"),
            ("acquisition cost per customer (CAC)", self.cac, "currency"),
            ("customers behind the CAC", self.n_cac, "customers"),
        ]
        return pd.DataFrame(rows, columns=["input", "value", "unit"]).set_index("input")


def customer_base(customers: pd.DataFrame, *, as_of, acquisition_window_months: float = 12,
                  revenue_col: str = "monthly_revenue", cost_col: str = "acquisition_cost") -> CustomerBase:
    """Aggregate the customers table into the inputs of the scenario.

    Parameters
    ----------
    customers : pandas.DataFrame
        The ``customers`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (tenure and churn as of it, see :func:`cxlab.tenure.tenure_frame`).
    acquisition_window_months : float
        The "current" acquisition rate, revenue and CAC are those of the customers acquired in
        this many months before ``as_of``.
    revenue_col, cost_col : str
        Monthly revenue and acquisition cost columns.

    Returns
    -------
    CustomerBase
    """
    missing = [c for c in (revenue_col, cost_col) if c not in customers.columns]
    if missing:
        raise ValueError(f"customer_base: customers table lacks column(s) {missing}")
    # the columns it reads: tenure_frame copies every column it is given when a customer comes after the as-of date
    frame = tenure_frame(customers.filter(["acquired_at", "churned_at", revenue_col]), as_of=as_of)
    if frame.empty:
        raise ValueError(f"customer_base: no customer was acquired on or before {pd.Timestamp(as_of).date()}")
    active = is_active(frame)
    tenure = frame["tenure_months"].to_numpy()
    size = int(tenure.max()) + 1
    revenue = frame[revenue_col].to_numpy(dtype=float)
    recent, months = recent_acquisitions(customers, as_of=as_of, window_months=acquisition_window_months)
    cost = pd.to_numeric(recent[cost_col], errors="coerce").dropna().to_numpy()
    new_revenue = recent[revenue_col].astype(float).mean() if len(recent) else float(revenue.mean())
    churned = frame["churned"].to_numpy()
    known_revenue = bool(np.isfinite(revenue).all() and (revenue >= 0).all())
    return CustomerBase(
        as_of=pd.Timestamp(as_of),
        life_table=revenue_life_table(tenure, churned, revenue) if known_revenue else event_table(tenure, churned),
        active_by_tenure=np.bincount(tenure[active], minlength=size).astype(float),
        revenue_by_tenure=np.bincount(tenure[active], weights=revenue[active], minlength=size),
        new_customers_per_month=len(recent) / months,
        new_customer_monthly_revenue=float(new_revenue),
        cac=float(cost.mean()) if len(cost) else np.nan,
        cac_se=float(cost.std(ddof=1) / np.sqrt(len(cost))) if len(cost) > 1 else np.nan,
        n_cac=len(cost),
        n_recent=len(recent),
        acquisition_window_months=months,
    )


@dataclass(frozen=True, eq=False)
class LiftScenario:
    """Result of :func:`retention_lift_scenario`.

    Attributes
    ----------
    by_year : pandas.DataFrame
        One row per scenario year; for each quantity of ``PER_YEAR`` the point estimate and
        ``<name>_ci_low`` / ``<name>_ci_high`` (bootstrap percentile interval).
    summary : pandas.DataFrame
        Totals over the horizon and the comparison with acquisition (``value``, ``ci_low``,
        ``ci_high``, ``unit``, ``label``), indexed by the names of ``TOTALS``.
    monthly : pandas.DataFrame
        Point estimates per month: active customers and profit in both scenarios.
    draws : dict of str to numpy.ndarray
        Bootstrap replicates of every total (for checks and further summaries).
    parameters : dict
        Every input of the run; ``parameters["interval"]`` says what the summary's intervals
        cover.
    by_tail : pandas.DataFrame or None
        From :func:`scenario_across_tails`: each total's point estimate and sampling interval
        under every tail considered (``<tail>``, ``<tail>_ci_low``, ``<tail>_ci_high``).
    """

    by_year: pd.DataFrame
    summary: pd.DataFrame
    monthly: pd.DataFrame
    draws: dict = field(repr=False)
    parameters: dict
    by_tail: pd.DataFrame | None = None

    def value(self, name: str) -> float:
        """Point estimate of a total, e.g. ``"incremental_discounted_profit"``."""
        return float(self.summary.loc[name, "value"])

    def interval(self, name: str) -> tuple[float, float]:
        """Interval of a total."""
        return float(self.summary.loc[name, "ci_low"]), float(self.summary.loc[name, "ci_high"])

    def _repr_html_(self) -> str:
        return self.summary.to_html(float_format=lambda x: f"{x:,.2f}")


def _project(survival: np.ndarray, by_tenure: np.ndarray, per_new_customer: float, new_per_month: float,
             horizon_months: int) -> np.ndarray:
    """Amount (customers or revenue) at the end of each scenario month, shape (replicates, horizon).

    ``by_tenure`` is today's amount by tenure month; each unit at tenure ``a`` is still there at
    the end of scenario month ``m`` with probability ``S(a + m) / S(a)``; new customers bring
    ``per_new_customer`` each and follow ``S`` from tenure 0.
    """
    size = len(by_tenure)
    start = survival[:, :size]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_survivor = np.where(start > 0, 1.0 / start, 0.0)
    windows = sliding_window_view(survival, size, axis=1)[:, 1:horizon_months + 1, :]
    existing = np.einsum("rma,ra->rm", windows, per_survivor * by_tenure)
    return existing + new_per_month * per_new_customer * np.cumsum(survival[:, 1:horizon_months + 1], axis=1)


def _discounted_new_customer(survival: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Discounted expected months in the horizon of a customer acquired at the start of month j, (replicates, j)."""
    horizon = len(discount)
    months = np.arange(1, horizon + 1)
    lag = months[:, None] - months[None, :] + 1
    paths = np.where(lag >= 1, survival[:, np.clip(lag, 0, None)], 0.0)
    return np.einsum("rmj,m->rj", paths, discount)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def retention_lift_scenario(base: CustomerBase, *, gross_margin_share: float = 0.35,
                            annual_discount_rate: float = 0.10, retention_lift: float = 0.05,
                            lift_kind: str = "relative", horizon_months: int = 60,
                            programme_cost_per_customer_year: float = 0.0, programme_cost_total: float = 0.0,
                            cost_to_serve_per_customer_month: float = 0.0, cac: float | None = None,
                            cac_se: float | None = None, n_resamples: int = 500, seed: int = 0, min_at_risk: int = 30,
                            tail: str = "geometric", survival: SurvivalDraws | None = None,
                            revenue_survival: SurvivalDraws | None = None, revenue_weighted: bool = True,
                            level: float = 0.95) -> LiftScenario:
    """Baseline vs improved retention over a horizon, with intervals, and the acquisition alternative.

    Parameters
    ----------
    base : CustomerBase
        The company in aggregates (:func:`customer_base`).
    gross_margin_share : float
        Assumption: share of revenue kept as gross margin (0-1).
    annual_discount_rate : float
        Assumption: annual discount rate (compounded monthly).
    retention_lift : float
        Assumption: size of the lift (0.05 = 5%), in the sense of ``lift_kind``.
    lift_kind : {"relative", "absolute"}
        ``"relative"``: monthly churn hazard x (1 - lift); ``"absolute"``: the retention of every
        tenure year + lift (percentage points), converted to monthly hazards (see
        :func:`cxlab.economics.curves.apply_lift`).
    horizon_months : int
        Months projected (default 60, five years).
    programme_cost_per_customer_year : float
        Assumption: cost of the retention programme per customer covered per year, paid
        monthly (1/12) on every active customer of the improved scenario.
    programme_cost_total : float
        Alternatively, the programme's total cost over the horizon, paid in equal monthly
        instalments. At most one of the two may be non-zero.
    cost_to_serve_per_customer_month : float
        Assumption: cost per active customer per month not already in the gross margin.
    cac : float, optional
        Acquisition cost per customer; default the data's recent mean (``base.cac``). Without
        a CAC, acquisition spend is left out and the acquisition comparison is NaN.
    cac_se : float, optional
        Standard error of the CAC, carried into the replicates as normal draws (seeded,
        independent of the survival replicates, floored at a tiny positive cost). Default: the
        data's (``base.cac_se``) when the CAC is the data's, none (a fixed assumption) when
        ``cac`` is given.
    n_resamples, seed, min_at_risk : int
        Bootstrap replicates of the life table, seed, and the Kaplan-Meier window rule (see
        :func:`~cxlab.economics.curves.survival_draws`); used only when ``survival`` is None.
    tail : str
        Extrapolation beyond the observed window (:data:`~cxlab.economics.curves.TAILS`);
        used only when ``survival`` is None.
    survival : SurvivalDraws, optional
        The customers' baseline curve with its replicates, covering at least
        ``base.max_tenure_months + horizon_months`` months; default estimated from
        ``base.life_table``.
    revenue_survival : SurvivalDraws, optional
        The curve revenue follows, with as many months and replicates as ``survival`` (e.g. the
        revenue-weighted curve of :func:`~cxlab.economics.curves.joint_survival_draws`, drawn
        jointly with ``survival``). Default: when ``survival`` is estimated here and
        ``revenue_weighted``, the revenue-weighted curve of ``base.life_table``; otherwise
        ``survival`` itself.
    revenue_weighted : bool
        Let revenue follow the revenue-weighted survival curve when the curves are estimated
        here (needs a life table with revenue, :func:`customer_base`): a customer's revenue
        stays as long as that customer, and high-revenue customers who churn less keep more
        of today's revenue than the customers' curve says.
    level : float
        Interval level.

    Returns
    -------
    LiftScenario

    Notes
    -----
    Active customers (and so the programme's cost and the cost to serve) follow the customers'
    curve; revenue follows the revenue curve, lifted by the same change of its hazards (for an
    absolute lift, the power that lifts the customers' yearly retention by ``retention_lift``,
    see :func:`~cxlab.economics.curves.apply_lift`). The intervals propagate the curves' uncertainty
    and, in the acquisition comparison, the CAC's: the same replicate drives the baseline and
    the improved scenario, so ``retention_lift=0`` gives exactly zero gain in every replicate,
    and a larger lift never gives less profit as long as a customer-month earns more margin
    than its cost to serve plus the programme's monthly cost. They do not cover the choice of
    tail model; :func:`scenario_across_tails` does.

    Comparison with acquisition: the programme's budget, spent in the same months at the CAC,
    buys ``budget / CAC`` customers who follow the baseline curve; their discounted margin
    within the horizon minus the budget is ``acquisition_alternative_profit``. Profit is linear
    in the programme cost ``c``: retention earns ``G - c D``, acquisition ``c (U - D)``, so they
    tie at ``breakeven_vs_acquisition = G / U`` and the programme pays for itself up to
    ``breakeven_programme_cost = G / D`` (both in the unit of the programme cost input).
    ``acquisition_to_retention_cost_ratio`` is CAC divided by the programme cost per extra
    customer-year (the folklore says about 5); ``breakeven_cost_ratio`` is that ratio at the
    break-even cost.
    """
    if lift_kind not in LIFT_KINDS:
        raise ValueError(f"lift_kind must be one of {LIFT_KINDS}; got {lift_kind!r}")
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be >= 1; got {horizon_months}")
    if not 0 <= gross_margin_share <= 1:
        raise ValueError(f"gross_margin_share must be between 0 and 1; got {gross_margin_share}")
    if np.isnan(base.revenue_by_tenure).any() or np.isnan(base.new_customer_monthly_revenue):
        raise ValueError("retention_lift_scenario: some customers have no monthly revenue; revenue and profit "
                         "need it for every customer")
    if programme_cost_per_customer_year < 0 or programme_cost_total < 0:
        raise ValueError("programme costs must be >= 0")
    if programme_cost_per_customer_year > 0 and programme_cost_total > 0:
        raise ValueError("give the programme cost either per customer-year or as a total, not both")
    needed = base.max_tenure_months + horizon_months
    if survival is None:
        options = {"horizon_months": needed, "n_resamples": n_resamples, "seed": seed, "min_at_risk": min_at_risk,
                   "tail": tail}
        if revenue_weighted and revenue_survival is None and "revenue_at_risk" in base.life_table.columns:
            survival, revenue_survival = joint_survival_draws(base.life_table, **options)
        else:
            survival = survival_draws(base.life_table, **options)
    revenue_survival = survival if revenue_survival is None else revenue_survival
    for curve in (survival, revenue_survival):
        if curve.horizon_months < needed:
            raise ValueError(f"survival covers {curve.horizon_months} months; the scenario needs {needed} "
                             f"(longest tenure {base.max_tenure_months} + horizon {horizon_months})")
    if revenue_survival is not survival and (revenue_survival.n_resamples != survival.n_resamples
                                             or revenue_survival.horizon_months != survival.horizon_months):
        raise ValueError("survival and revenue_survival need the same months and number of replicates")
    rng = np.random.default_rng([seed, 2])
    if cac is None:
        cac, cac_se = base.cac, base.cac_se
    cac = float(cac)
    spread = float(cac_se) if cac_se is not None and np.isfinite(cac_se) else 0.0
    cac_draws = np.concatenate([[cac], np.maximum(cac + spread * rng.standard_normal(survival.n_resamples), 1e-9)])
    has_cac = np.isfinite(cac) and cac > 0

    def paths(curve: SurvivalDraws, like: SurvivalDraws | None) -> tuple[np.ndarray, np.ndarray]:
        improved = curve.with_lift(retention_lift, lift_kind, like=like)
        return tuple(np.vstack([c.survival()[None, :], c.survival_draws()])[:, :needed + 1]
                     for c in (curve, improved))

    (s0, s1), (w0, w1) = paths(survival, None), paths(revenue_survival, survival)
    new = base.new_customers_per_month
    active0, active1 = (_project(s, base.active_by_tenure, 1.0, new, horizon_months) for s in (s0, s1))
    revenue0, revenue1 = (_project(w, base.revenue_by_tenure, base.new_customer_monthly_revenue, new,
                                   horizon_months) for w in (w0, w1))
    months = np.arange(1, horizon_months + 1)
    discount = (1.0 + monthly_rate(annual_discount_rate)) ** -months
    if programme_cost_total > 0:
        cost_unit, weights = programme_cost_total, np.full_like(active1, 1.0 / horizon_months)
    else:
        cost_unit, weights = programme_cost_per_customer_year, active1 / 12.0
    programme = cost_unit * weights
    acquisition = new * cac_draws[:, None] if np.isfinite(cac) else 0.0
    contribution0 = gross_margin_share * revenue0 - cost_to_serve_per_customer_month * active0
    contribution1 = gross_margin_share * revenue1 - cost_to_serve_per_customer_month * active1
    profit0 = contribution0 - acquisition
    profit1 = contribution1 - programme - acquisition
    gain = profit1 - profit0

    years = np.arange(0, horizon_months, 12)
    year_end = np.minimum(years + 11, horizon_months - 1)

    def per_year(x):
        return np.add.reduceat(x, years, axis=1)

    yearly = {
        "incremental_customers": (active1 - active0)[:, year_end],
        "incremental_revenue": per_year(revenue1 - revenue0),
        "incremental_gross_profit": gross_margin_share * per_year(revenue1 - revenue0),
        "programme_cost": per_year(programme),
        "incremental_profit": per_year(gain),
        "incremental_discounted_profit": per_year(gain * discount),
        "baseline_profit": per_year(profit0),
    }
    yearly["profit_increase_pct"] = 100 * _ratio(yearly["incremental_profit"], yearly["baseline_profit"])

    new_value = (gross_margin_share * base.new_customer_monthly_revenue * _discounted_new_customer(w0, discount)
                 - cost_to_serve_per_customer_month * _discounted_new_customer(s0, discount))
    retention_gain = ((contribution1 - contribution0) * discount).sum(axis=1)
    acquisition_value = (weights * new_value).sum(axis=1) / cac_draws if has_cac else np.nan
    customer_years = (active1 - active0).sum(axis=1) / 12.0
    totals = {
        "incremental_customers_at_horizon": active1[:, -1] - active0[:, -1],
        "incremental_customer_years": customer_years,
        "incremental_revenue": (revenue1 - revenue0).sum(axis=1),
        "incremental_gross_profit": gross_margin_share * (revenue1 - revenue0).sum(axis=1),
        "programme_cost": programme.sum(axis=1),
        "incremental_profit": gain.sum(axis=1),
        "incremental_discounted_profit": (gain * discount).sum(axis=1),
        "baseline_discounted_profit": (profit0 * discount).sum(axis=1),
    }
    totals["profit_increase_pct"] = 100 * _ratio(totals["incremental_discounted_profit"],
                                                 totals["baseline_discounted_profit"])
    totals["acquisition_customers"] = totals["programme_cost"] / cac_draws if has_cac else np.full(len(gain), np.nan)
    totals["acquisition_alternative_profit"] = cost_unit * (acquisition_value - (weights * discount).sum(axis=1))
    totals["retention_minus_acquisition"] = (totals["incremental_discounted_profit"]
                                             - totals["acquisition_alternative_profit"])
    totals["breakeven_vs_acquisition"] = retention_gain / acquisition_value
    totals["breakeven_programme_cost"] = _ratio(retention_gain, (weights * discount).sum(axis=1))
    totals["cost_per_customer_year_retained"] = _ratio(totals["programme_cost"], customer_years)
    totals["acquisition_to_retention_cost_ratio"] = _ratio(cac_draws, totals["cost_per_customer_year_retained"])
    breakeven_cost_per_year = _ratio(totals["breakeven_vs_acquisition"] * weights.sum(axis=1), customer_years)
    totals["breakeven_cost_ratio"] = _ratio(cac_draws, breakeven_cost_per_year)
    totals = {k: np.broadcast_to(np.asarray(v, dtype=float), (len(gain),)) for k, v in totals.items()}

    by_year = pd.DataFrame(index=pd.RangeIndex(1, len(years) + 1, name="year"))
    for name, _, _ in PER_YEAR:
        low, high = percentile_interval(yearly[name][1:], level)
        by_year[name], by_year[f"{name}_ci_low"], by_year[f"{name}_ci_high"] = yearly[name][0], low, high
    summary_rows = []
    for name, unit, label in TOTALS:
        low, high = percentile_interval(totals[name][1:], level)
        summary_rows.append({"metric": name, "value": totals[name][0], "ci_low": low, "ci_high": high,
                             "unit": unit, "label": label})
    monthly = pd.DataFrame({"baseline_active": active0[0], "improved_active": active1[0],
                            "baseline_profit": profit0[0], "improved_profit": profit1[0],
                            "discount_factor": discount}, index=pd.Index(months, name="month"))
    parameters = {
        "as_of": str(base.as_of.date()), "gross_margin_share": gross_margin_share,
        "annual_discount_rate": annual_discount_rate, "retention_lift": retention_lift, "lift_kind": lift_kind,
        "horizon_months": horizon_months, "programme_cost_per_customer_year": programme_cost_per_customer_year,
        "programme_cost_total": programme_cost_total,
        "cost_to_serve_per_customer_month": cost_to_serve_per_customer_month, "cac": cac, "cac_se": spread,
        "n_resamples": survival.n_resamples, "seed": seed, "survival_tail": survival.tail,
        "revenue_weighted_by": revenue_survival.weighted_by, "km_window_months": survival.window_months,
        "level": level, "interval": f"{100 * level:g}% sampling interval ({survival.tail} tail)",
    }
    return LiftScenario(by_year=by_year, summary=pd.DataFrame(summary_rows).set_index("metric"), monthly=monthly,
                        draws={k: v[1:] for k, v in totals.items()}, parameters=parameters)


def scenario_across_tails(base: CustomerBase, *, tail: str = "geometric", tails=HEADLINE_TAILS,
                          **settings) -> LiftScenario:
    """The retention-lift scenario under the chosen tail, with intervals that also cover the choice of tail.

    Survival beyond the longest observed tenures is extrapolated, and the tail model moves the
    result by more than its sampling error allows for. The scenario is run under ``tail`` and
    every tail of ``tails`` (curves estimated from ``base`` in each run, same seed); the result
    is the chosen tail's, except that every total's interval (``ci_low``, ``ci_high``) is the
    **union of the sampling intervals under all the tails** (lowest low to highest high). The
    chosen tail's own sampling interval stays in ``sampling_ci_low`` / ``sampling_ci_high``, each
    tail's figures in ``by_tail``, and ``parameters["interval"]`` says so in a sentence. The
    per-year intervals stay the chosen tail's sampling intervals.

    Parameters
    ----------
    base : CustomerBase
        The company in aggregates.
    tail : str
        The report's tail: the point estimates.
    tails : sequence of str
        Tails considered (default geometric, sBG, best-AIC parametric).
    **settings
        Other arguments of :func:`retention_lift_scenario` (not ``survival``: the curves are
        estimated per tail).

    Returns
    -------
    LiftScenario
    """
    if "survival" in settings or "revenue_survival" in settings:
        raise ValueError("scenario_across_tails estimates the curves under each tail; do not pass survival")
    names = list(dict.fromkeys([tail, *tails]))
    results = {name: retention_lift_scenario(base, **settings, tail=name) for name in names}
    chosen = results[tail]
    by_tail = pd.concat({name: r.summary[["value", "ci_low", "ci_high"]] for name, r in results.items()}, axis=1)
    by_tail.columns = [name if part == "value" else f"{name}_{part}"
                       for name, part in by_tail.columns]
    summary = chosen.summary.rename(columns={"ci_low": "sampling_ci_low", "ci_high": "sampling_ci_high"})
    lows = by_tail[[f"{name}_ci_low" for name in names]]
    highs = by_tail[[f"{name}_ci_high" for name in names]]
    summary.insert(1, "ci_low", lows.min(axis=1).where(lows.notna().all(axis=1)))
    summary.insert(2, "ci_high", highs.max(axis=1).where(highs.notna().all(axis=1)))
    labels = ", ".join(r.parameters["survival_tail"] for r in results.values())
    level = chosen.parameters["level"]
    parameters = {**chosen.parameters,
                  "interval": f"{100 * level:g}% interval = union of the sampling intervals under the {labels} tails "
                              f"(point estimate: {chosen.parameters['survival_tail']} tail)",
                  "tails": names}
    return replace(chosen, summary=summary, parameters=parameters, by_tail=by_tail)
