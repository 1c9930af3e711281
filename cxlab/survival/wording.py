"""Plain-words phrasing of survival results for business readers.

Labels for the covariates of :func:`cxlab.survival.survival_frame` live here; pass
``labels={...}`` to the model functions to name other covariates or override these.
A label key is a covariate (``"ces"``), a design term (``"nps_category[detractor]"``) or a
covariate level written the same way (``"nps_category[passive]"``, used for references).
"""

from __future__ import annotations

import math

from cxlab.survival.design import Term

LABELS = {
    "nps_category[detractor]": "Detractors",
    "nps_category[passive]": "passives",
    "nps_category[promoter]": "Promoters",
    "nps_category[no_response]": "Customers who never answered the NPS survey",
    "followup": "Detractors who received a follow-up",
    "followup[0]": "detractors who did not",
    "responded": "Customers who answered at least one survey",
    "responded[0]": "customers who never answered",
    "ces": "point of customer effort (CES, 1-7, higher = more effort)",
    "touchpoint_csat": "point of touchpoint satisfaction (CSAT, 1-5)",
    "contract[annual]": "Customers on an annual contract",
    "contract[monthly]": "customers on a monthly contract",
}


def _label(labels: dict, key: str, fallback: str) -> str:
    return labels.get(key, LABELS.get(key, fallback))


def _interval(low: float, high: float, digits: int) -> str:
    return f"{low:.{digits}f}–{high:.{digits}f}"


def format_p(p: float) -> str:
    """Format a p-value for readers: ``"p < 0.001"`` or ``"p = 0.042"``.

    Examples
    --------
    >>> format_p(0.00002), format_p(0.0423)
    ('p < 0.001', 'p = 0.042')
    """
    if p is None or math.isnan(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def term_label(term: Term, labels: dict | None = None) -> str:
    """Name of a design term for a chart axis, e.g. ``"Detractors"`` or ``"segment: SMB"``."""
    labels = labels or {}
    if term.kind in ("numeric", "indicator"):
        return labels.get(term.covariate, term.covariate)
    if term.kind == "missing":
        return f"{term.covariate} missing"
    return _label(labels, term.name, f"{term.covariate}: {term.level}")


def hazard_ratio_sentence(term: Term, hazard_ratio: float, ci_low: float, ci_high: float, *,
                          labels: dict | None = None, ci_level: float = 0.95) -> str:
    """Say what a hazard ratio means in one sentence.

    Parameters
    ----------
    term : Term
        The design term the hazard ratio belongs to.
    hazard_ratio, ci_low, ci_high : float
        Hazard ratio and its confidence interval.
    labels : dict, optional
        Overrides of :data:`LABELS`.
    ci_level : float
        Confidence level of the interval.

    Returns
    -------
    str

    Examples
    --------
    >>> t = Term("nps_category[detractor]", "nps_category", "level", "detractor", "passive")
    >>> hazard_ratio_sentence(t, 2.13, 1.81, 2.42)
    'Detractors churn 2.1x as fast as passives (95% CI 1.8–2.4).'
    """
    labels = labels or {}
    ci = f"{ci_level:.0%} CI"
    if any(math.isnan(v) for v in (hazard_ratio, ci_low, ci_high)):
        return f"No hazard ratio could be estimated for {term_label(term, labels)}."
    digits = 1 if min(hazard_ratio, ci_low) >= 1 and term.kind != "numeric" else 2
    interval = _interval(ci_low, ci_high, digits)
    if term.kind == "numeric":
        unit = _label(labels, term.covariate, f"unit of {term.covariate}")
        return f"Each additional {unit} multiplies the churn hazard by {hazard_ratio:.2f} ({ci} {interval})."
    if term.kind == "missing":
        subject = f"Customers without a {term.covariate} value"
        reference = f"customers with an average {term.covariate}"
    else:
        subject = _label(labels, term.name, f"Customers with {term.covariate} '{term.level}'")
        reference = _label(labels, f"{term.covariate}[{term.reference}]",
                           f"those with {term.covariate} '{term.reference}'")
    if hazard_ratio >= 1:
        return f"{subject} churn {hazard_ratio:.{digits}f}x as fast as {reference} ({ci} {interval})."
    return (f"{subject} churn {hazard_ratio:.2f}x as fast as {reference} ({1 - hazard_ratio:.0%} lower churn "
            f"hazard; {ci} {interval}).")
