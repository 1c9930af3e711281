"""Churn survival analysis: who leaves, when, and does experience change it.

Frames (:mod:`~cxlab.survival.frames`), Kaplan-Meier summaries and log-rank tests
(:mod:`~cxlab.survival.km`), Cox models (:mod:`~cxlab.survival.cox`, fitted from risk-set sums
over cells of identical rows by :mod:`~cxlab.survival.risk_sets`) and parametric tails for
lifetime value (:mod:`~cxlab.survival.parametric`, fitted by lifelines), with their charts in
:mod:`~cxlab.survival.plots`; this package prepares the data without look-ahead and reports
results in plain words.
"""

from cxlab.survival.cox import (
    ChurnCox,
    TimeVaryingChurnCox,
    fit_cox,
    fit_time_varying_cox,
)
from cxlab.survival.frames import (
    DEFAULT_COVARIATES,
    NO_RESPONSE,
    nps_category,
    nps_category_codes,
    nps_category_text,
    survival_frame,
    time_varying_frame,
)
from cxlab.survival.km import km_by, km_summary, logrank_table, rmst, survival_at, survival_se
from cxlab.survival.parametric import (
    ParametricSurvival,
    extrapolated_survival,
    fit_parametric,
    survival_curve,
    survival_draws,
)
from cxlab.survival.plots import plot_extrapolation, plot_hazard_ratios, plot_km

__all__ = [
    "DEFAULT_COVARIATES",
    "NO_RESPONSE",
    "ParametricSurvival",
    "extrapolated_survival",
    "fit_parametric",
    "km_by",
    "km_summary",
    "logrank_table",
    "nps_category",
    "nps_category_codes",
    "nps_category_text",
    "plot_extrapolation",
    "plot_km",
    "rmst",
    "survival_at",
    "survival_se",
    "survival_curve",
    "survival_draws",
    "survival_frame",
    "time_varying_frame",
    "ChurnCox",
    "TimeVaryingChurnCox",
    "fit_cox",
    "fit_time_varying_cox",
    "plot_hazard_ratios",
]
