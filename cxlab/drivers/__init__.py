"""Key-driver analysis: which touchpoint experiences move an outcome such as NPS.

Two complementary answers are given for every driver:

* a regression coefficient with a robust standard error (statsmodels OLS with HC3 errors for a
  continuous outcome such as NPS 0-10 or a 1-5 rating; Logit with sandwich (HC0) errors for a
  binary outcome such as a "satisfied" flag; an ordered logit with HC0 errors on request), and
* a relative importance that shares the model's R² among correlated drivers, with a bootstrap
  interval for each driver's importance and for its rank:

  - exact general dominance (the Shapley value of R²), the average gain in R² from adding the
    driver to every subset of the other drivers. R² of each of the 2^p subsets is computed from
    the correlation matrix (no refits on rows), but the count grows as 2^p, so it is used up to
    :data:`EXACT_DOMINANCE_MAX` drivers (the default ``importance="auto"``);
  - Johnson's (2000) relative weights (:func:`relative_weights`), which regress the outcome on the
    orthogonal counterparts of the drivers and map the variance back through their loadings:
    one eigen-decomposition, any number of drivers, and within a point or two of dominance
    (LeBreton, Ployhart & Ladd 2004 found the two nearly identical).

  For binary and ordinal outcomes the decomposed R² is that of the linear model on the 0/1 (or
  ordinal) scores — the linear probability model for a binary outcome — which
  :attr:`KeyDriverAnalysis.importance_basis_` states.

:func:`driver_frame` builds the usual input from a ``surveys`` table: one row per relationship-NPS
answer with the respondent's mean CSAT per touchpoint in the days before that answer.

Modules: :mod:`~cxlab.drivers.frames` (the key-driver frame without look-ahead),
:mod:`~cxlab.drivers.importance` (dominance, relative weights, bootstrap) and
:mod:`~cxlab.drivers.model` (:class:`KeyDriverAnalysis`, :func:`key_drivers`, the chart). Every
public name is importable from ``cxlab.drivers`` itself.
"""

import importlib

from cxlab.drivers.frames import (
    OUTCOMES,
    asked_together,
    available_outcome,
    driver_frame,
    driver_frame_from_totals,
    driver_touchpoints,
    latest_before,
    totals_before,
)

# The key-driver model and importance measures load statsmodels and seaborn: imported when one of their names is
# first asked for, so that the key-driver frame (which the engine builds) comes without them.
_LATER = {
    **dict.fromkeys(["EXACT_DOMINANCE_MAX", "IMPORTANCE_METHODS", "IMPORTANCE_NAMES", "MAX_DRIVERS", "MISSING_RULES",
                     "OUTCOME_KINDS", "bootstrap_importance", "general_dominance", "importance_weights",
                     "pairwise_covariance", "relative_weights"], "importance"),
    **dict.fromkeys(["KeyDriverAnalysis", "key_drivers"], "model"),
}


def __getattr__(name: str):
    """The importance and model names, from their modules when first asked for."""
    if name in _LATER:
        return getattr(importlib.import_module(f"{__name__}.{_LATER[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXACT_DOMINANCE_MAX",
    "IMPORTANCE_METHODS",
    "IMPORTANCE_NAMES",
    "MAX_DRIVERS",
    "MISSING_RULES",
    "OUTCOMES",
    "OUTCOME_KINDS",
    "KeyDriverAnalysis",
    "asked_together",
    "available_outcome",
    "bootstrap_importance",
    "driver_frame",
    "driver_frame_from_totals",
    "driver_touchpoints",
    "general_dominance",
    "importance_weights",
    "key_drivers",
    "latest_before",
    "pairwise_covariance",
    "relative_weights",
    "totals_before",
]
