"""Retention economics: lifetime value, acquisition cost, and what a retention lift is worth.

Modules
-------
curves
    Monthly churn hazards with replicates of the life table, revenue-weighted survival; retention lifts.
clv
    ``clv(survival, margin_per_period=..., discount_rate_per_period=...)``, per-group values on
    revenue-weighted survival, and ``clv_across_tails`` (the headline interval across tail models).
acquisition
    CAC per channel, payback, LTV/CAC.
scenario
    ``retention_lift_scenario``: baseline vs improved retention, and the acquisition alternative;
    ``scenario_across_tails``: the same with intervals across tail models.
sensitivity
    Tornado over the assumptions and the map of where the "+5% retention, +25-95% profit" claim holds.
tables
    Estimates with intervals as readable tables.
plots
    Every chart of the package (survival curves, lift by year, tornado, claim map) and money axes.
at_risk
    ``revenue_at_risk``: monthly revenue of the active base expected to churn within a horizon.
"""

from cxlab.economics.acquisition import acquisition_costs, recent_acquisitions, unit_economics
from cxlab.economics.at_risk import RevenueAtRisk, revenue_at_risk
from cxlab.economics.clv import (
    HEADLINE_TAILS,
    clv,
    clv_across_tails,
    clv_by,
    clv_difference,
    monthly_rate,
    payback_months,
)
from cxlab.economics.curves import (
    TAILS,
    SurvivalDraws,
    annual_retention_from_monthly_hazard,
    apply_lift,
    joint_survival_draws,
    monthly_hazard_from_annual_retention,
    percentile_interval,
    revenue_life_table,
    survival_draws,
)
from cxlab.economics.plots import money_axis, plot_claim_map, plot_lift_by_year, plot_survival, plot_tornado
from cxlab.economics.scenario import (
    CustomerBase,
    LiftScenario,
    customer_base,
    retention_lift_scenario,
    scenario_across_tails,
)

__all__ = [
    "RevenueAtRisk",
    "revenue_at_risk",
    "HEADLINE_TAILS",
    "TAILS",
    "CustomerBase",
    "LiftScenario",
    "SurvivalDraws",
    "acquisition_costs",
    "annual_retention_from_monthly_hazard",
    "apply_lift",
    "clv",
    "clv_across_tails",
    "clv_by",
    "clv_difference",
    "customer_base",
    "joint_survival_draws",
    "monthly_hazard_from_annual_retention",
    "monthly_rate",
    "payback_months",
    "percentile_interval",
    "money_axis",
    "plot_claim_map",
    "plot_lift_by_year",
    "plot_survival",
    "plot_tornado",
    "recent_acquisitions",
    "retention_lift_scenario",
    "revenue_life_table",
    "scenario_across_tails",
    "survival_draws",
    "unit_economics",
]
