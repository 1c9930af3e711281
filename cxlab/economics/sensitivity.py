"""How the retention-lift answer depends on its assumptions, and where the folklore holds.

* :func:`sensitivity_table` / :func:`~cxlab.economics.plots.plot_tornado`: each assumption (gross margin, discount
  rate, lift size, CAC, horizon) set low and high around the base case, the others held,
  point estimates only.
* :func:`claim_map` / :func:`~cxlab.economics.plots.plot_claim_map`: the percentage profit increase over a grid of
  (baseline annual retention x gross margin share), against the folklore of Reichheld & Sasser
  (1990) and Reichheld (1996) that 5 points more retention raise profit by 25-95%. A different
  baseline retention is obtained by raising the company's survival curve to a power (its
  pattern of churn over tenure is kept, its level moves; see
  :meth:`~cxlab.economics.curves.SurvivalDraws.raised_to`), chosen so that the share of
  today's active customers still active in twelve months equals the grid value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from cxlab.economics.curves import SurvivalDraws, joint_survival_draws, survival_draws
from cxlab.economics.scenario import CustomerBase, retention_lift_scenario

__all__ = ["OUTCOMES", "PARAMETER_LABELS", "base_annual_retention", "claim_map", "default_ranges",
           "point_curves", "point_survival", "sensitivity_table"]

OUTCOMES = {
    "incremental_discounted_profit": "Extra discounted profit",
    "profit_increase_pct": "Discounted profit increase (%)",
    "retention_minus_acquisition": "Retention's profit minus acquisition's",
}
PARAMETER_LABELS = {
    "gross_margin_share": "Gross margin share",
    "annual_discount_rate": "Annual discount rate",
    "retention_lift": "Size of the retention lift",
    "cac": "Acquisition cost per customer (CAC)",
    "horizon_months": "Horizon (months)",
}
CLAIM_LOW_PCT, CLAIM_HIGH_PCT = 25.0, 95.0


def point_survival(base: CustomerBase, horizon_months: int, *, min_at_risk: int = 30,
                   tail: str = "geometric") -> SurvivalDraws:
    """The base's survival curve without replicates, long enough for a horizon."""
    return survival_draws(base.life_table, horizon_months=base.max_tenure_months + horizon_months, n_resamples=0,
                          min_at_risk=min_at_risk, tail=tail)


def point_curves(base: CustomerBase, horizon_months: int, *, min_at_risk: int = 30,
                 tail: str = "geometric") -> tuple[SurvivalDraws, SurvivalDraws]:
    """The customers' and the revenue-weighted curve of the base without replicates (the scenario's defaults).

    Without revenue in the life table both are the customers' curve.
    """
    if "revenue_at_risk" not in base.life_table.columns:
        curve = point_survival(base, horizon_months, min_at_risk=min_at_risk, tail=tail)
        return curve, curve
    return joint_survival_draws(base.life_table, horizon_months=base.max_tenure_months + horizon_months, n_resamples=0,
                                min_at_risk=min_at_risk, tail=tail)


def _base_case(base: CustomerBase, assumptions: dict) -> dict:
    """The five varied assumptions of the base case (scenario defaults where not given)."""
    case = {name: assumptions.get(name, retention_lift_scenario.__kwdefaults__[name]) for name in PARAMETER_LABELS}
    if case["cac"] is None:
        case["cac"] = base.cac
    return case


def default_ranges(base: CustomerBase, assumptions: dict) -> dict:
    """Low and high settings around the base case: margin +/-10 points, discount +/-5 points,
    lift halved/doubled, CAC x0.5/x1.5 (when the data has a CAC), horizon x0.6/x2."""
    case = _base_case(base, assumptions)
    margin, rate, lift, horizon, cac = (case[k] for k in ("gross_margin_share", "annual_discount_rate",
                                                          "retention_lift", "horizon_months", "cac"))
    ranges = {
        "gross_margin_share": (max(margin - 0.10, 0.01), min(margin + 0.10, 1.0)),
        "annual_discount_rate": (max(rate - 0.05, 0.0), rate + 0.05),
        "retention_lift": (lift / 2, min(2 * lift, 1.0)),
        "horizon_months": (max(int(round(horizon * 0.6)), 1), 2 * horizon),
    }
    if np.isfinite(cac) and cac > 0:
        ranges["cac"] = (0.5 * cac, 1.5 * cac)
    return ranges


def sensitivity_table(base: CustomerBase, *, ranges: dict | None = None, min_at_risk: int = 30,
                      tail: str = "geometric", **assumptions) -> pd.DataFrame:
    """One-at-a-time sensitivity of the retention-lift results to the assumptions.

    Parameters
    ----------
    base : CustomerBase
        The company in aggregates.
    ranges : dict of str to (float, float), optional
        Low and high setting per assumption (keys among ``gross_margin_share``,
        ``annual_discount_rate``, ``retention_lift``, ``cac``, ``horizon_months``); default
        :func:`default_ranges`.
    min_at_risk, tail
        Kaplan-Meier window rule and tail of the survival curve.
    **assumptions
        The base case: keyword arguments of
        :func:`~cxlab.economics.scenario.retention_lift_scenario` (point estimates only, so
        ``n_resamples``, ``seed`` and ``survival`` are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per assumption: ``label``, ``base_value``, ``low_value``, ``high_value`` and for
        each outcome in :data:`OUTCOMES` the results ``<outcome>_low`` / ``<outcome>_high``;
        ``attrs["base"]`` holds the base-case outcomes.
    """
    ranges = default_ranges(base, assumptions) if ranges is None else ranges
    unknown = sorted(set(ranges) - set(PARAMETER_LABELS))
    if unknown:
        raise ValueError(f"sensitivity ranges for unknown assumption(s) {unknown}; use {list(PARAMETER_LABELS)}")
    assumptions = {k: v for k, v in assumptions.items()
                   if k not in ("n_resamples", "survival", "revenue_survival", "seed")}
    case = _base_case(base, assumptions)
    longest = max([case["horizon_months"], *ranges.get("horizon_months", ())])
    curve, revenue_curve = point_curves(base, int(longest), min_at_risk=min_at_risk, tail=tail)

    def outcomes(**changes) -> dict:
        result = retention_lift_scenario(base, **{**assumptions, **changes}, survival=curve,
                                         revenue_survival=revenue_curve)
        return {name: result.value(name) for name in OUTCOMES}

    rows = []
    for name, (low, high) in ranges.items():
        at_low, at_high = outcomes(**{name: low}), outcomes(**{name: high})
        row = {"assumption": name, "label": PARAMETER_LABELS[name], "base_value": case[name], "low_value": low,
               "high_value": high}
        for outcome in OUTCOMES:
            row[f"{outcome}_low"], row[f"{outcome}_high"] = at_low[outcome], at_high[outcome]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("assumption")
    table.attrs["base"] = outcomes()
    return table


def base_annual_retention(base: CustomerBase, survival: SurvivalDraws) -> float:
    """Share of the active customers at the as-of date expected to be active twelve months later."""
    s = survival.survival()
    size = len(base.active_by_tenure)
    if survival.horizon_months < size - 1 + 12:
        raise ValueError("the survival curve must cover the longest tenure plus 12 months")
    tenure = np.arange(size)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(s[tenure] > 0, s[tenure + 12] / s[tenure], 0.0)
    return float((kept * base.active_by_tenure).sum() / base.active_by_tenure.sum())


def _rescaled(base: CustomerBase, survival: SurvivalDraws, target: float) -> SurvivalDraws:
    """The curve raised to the power that gives the base a target twelve-month retention."""
    if not 0 < base_annual_retention(base, survival) < 1:
        raise ValueError("the base's twelve-month retention must be strictly between 0 and 1")
    log_power = optimize.brentq(lambda x: base_annual_retention(base, survival.raised_to(np.exp(x))) - target,
                                -12.0, 12.0, xtol=1e-10)
    return survival.raised_to(np.exp(log_power))


def claim_map(base: CustomerBase, *, annual_retention_grid=None, gross_margin_grid=None, min_at_risk: int = 30,
              tail: str = "geometric", **assumptions) -> pd.DataFrame:
    """Percentage profit increase of the lift over (baseline annual retention x gross margin share).

    The companies of the map are stylised: revenue follows the customers' rescaled curve (every
    customer counts alike), so the cell of today's retention can differ a little from the
    scenario, whose revenue follows the revenue-weighted curve.

    Parameters
    ----------
    base : CustomerBase
        The company in aggregates.
    annual_retention_grid : array-like, optional
        Baseline twelve-month retention of the active base (default 0.50, 0.55, ..., 0.95).
    gross_margin_grid : array-like, optional
        Gross margin shares (default 0.05, 0.10, 0.15, 0.20, 0.30, ..., 0.80).
    min_at_risk, tail
        Kaplan-Meier window rule and tail of the survival curve.
    **assumptions
        Other keyword arguments of :func:`~cxlab.economics.scenario.retention_lift_scenario`
        (lift, lift kind, horizon, costs); ``gross_margin_share`` is the grid's.

    Returns
    -------
    pandas.DataFrame
        Rows: annual retention; columns: gross margin share; values: discounted profit increase
        in % (NaN where the baseline profit is not positive). ``attrs`` holds
        ``current_annual_retention`` and ``current_gross_margin_share`` (the company today).
    """
    retention = np.round(np.arange(0.50, 0.951, 0.05), 2) if annual_retention_grid is None else \
        np.asarray(annual_retention_grid, dtype=float)
    margins = np.array([0.05, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80]) if gross_margin_grid is None \
        else np.asarray(gross_margin_grid, dtype=float)
    if np.any((retention <= 0) | (retention >= 1)) or np.any((margins < 0) | (margins > 1)):
        raise ValueError("annual retention must be strictly between 0 and 1 and margins between 0 and 1")
    current_margin = assumptions.pop("gross_margin_share", 0.35)
    assumptions = {k: v for k, v in assumptions.items() if k not in ("n_resamples", "survival", "seed")}
    curve = point_survival(base, int(assumptions.get("horizon_months", 60)) + 12, min_at_risk=min_at_risk,
                           tail=tail)
    values = np.empty((len(retention), len(margins)))
    for i, target in enumerate(retention):
        rescaled = _rescaled(base, curve, target)
        for j, margin in enumerate(margins):
            result = retention_lift_scenario(base, **assumptions, gross_margin_share=float(margin), survival=rescaled)
            values[i, j] = result.value("profit_increase_pct")
    table = pd.DataFrame(values, index=pd.Index(retention, name="annual_retention"),
                         columns=pd.Index(margins, name="gross_margin_share"))
    table.attrs.update(current_annual_retention=base_annual_retention(base, curve),
                       current_gross_margin_share=current_margin)
    return table


