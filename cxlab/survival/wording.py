"""Plain-words phrasing of survival results for business readers.

Labels for the covariates of :func:`cxlab.survival.survival_frame` and
:func:`cxlab.survival.time_varying_frame` live here; pass ``labels={...}`` to the model
functions to name other covariates or override these. A key is a covariate (``"ces"``), a
design term (``"nps_category[detractor]"``, ``"ces[missing]"``) or a covariate level written the
same way (``"nps_category[passive]"``, used for references). :data:`LABELS` phrases sentences,
:data:`SHORT_LABELS` names terms on charts and in tables.
"""

from __future__ import annotations

import math

from cxlab.survival.design import Term

__all__ = ["LABELS", "SHORT_LABELS", "format_p", "hazard_ratio_sentence", "term_label"]

LABELS = {
    "nps_category[detractor]": "Detractors",
    "nps_category[passive]": "passives",
    "nps_category[promoter]": "Promoters",
    "nps_category[no_response]": "Customers without an NPS answer (yet)",
    "followup": "Detractors who received a follow-up",
    "followup[0]": "detractors who did not",
    "responded": "Customers who had answered a survey",
    "responded[0]": "customers who had not",
    "ces": "point of customer effort (CES, 1 = very easy ... 7 = very difficult)",
    "ces[missing]": "Customers without a CES answer (yet)",
    "touchpoint_csat": "point of touchpoint satisfaction (CSAT, 1-5)",
    "touchpoint_csat[missing]": "Customers without a CSAT answer (yet)",
    "contract[annual]": "Customers on an annual contract",
    "contract[monthly]": "customers on a monthly contract",
}
SHORT_LABELS = {
    "nps_category[detractor]": "Detractor",
    "nps_category[promoter]": "Promoter",
    "nps_category[no_response]": "No NPS answer (yet)",
    "followup": "Detractor followed up",
    "responded": "Answered a survey",
    "ces": "CES, per point (higher = more effort)",
    "ces[missing]": "No CES answer (yet)",
    "touchpoint_csat": "CSAT, per point",
    "touchpoint_csat[missing]": "No CSAT answer (yet)",
    "contract[annual]": "Annual contract",
}
_SHORT_NAMES = {"ces": "CES", "touchpoint_csat": "CSAT"}


def _label(labels: dict, key: str, fallback: str) -> str:
    return labels.get(key, LABELS.get(key, fallback))


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
    """Short name of a design term for charts and tables, e.g. ``"Detractor"`` or ``"segment: SMB"``.

    Examples
    --------
    >>> term_label(Term("segment[SMB]", "segment", "level", "SMB", "Enterprise"))
    'segment: SMB'
    """
    labels = labels or {}
    if term.name in labels:
        return labels[term.name]
    if term.name in SHORT_LABELS:
        return SHORT_LABELS[term.name]
    if term.kind in ("numeric", "indicator"):
        return term.covariate
    return f"{term.covariate}: {term.level}"


def _digits(hazard_ratio: float, ci_low: float, ci_high: float, kind: str) -> int:
    """One decimal for clearly raised hazards with a wide interval (2.1x, 1.8–2.4), else two."""
    wide_and_above_one = min(hazard_ratio, ci_low) >= 1 and ci_high - ci_low >= 0.5
    return 1 if wide_and_above_one and kind != "numeric" else 2


def hazard_ratio_sentence(term: Term, hazard_ratio: float, ci_low: float, ci_high: float, *,
                          labels: dict | None = None, level: float = 0.95) -> str:
    """Say what a hazard ratio means in one sentence.

    Parameters
    ----------
    term : Term
        The design term the hazard ratio belongs to.
    hazard_ratio, ci_low, ci_high : float
        Hazard ratio and its confidence interval.
    labels : dict, optional
        Overrides of :data:`LABELS`.
    level : float
        Confidence level of the interval.

    Returns
    -------
    str

    Examples
    --------
    >>> t = Term("nps_category[detractor]", "nps_category", "level", "detractor", "passive")
    >>> hazard_ratio_sentence(t, 2.13, 1.81, 2.42)
    'Detractors churn 2.1x as fast as passives (95% CI 1.8–2.4).'
    >>> sentence = hazard_ratio_sentence(Term("followup", "followup", "indicator", "1", "0"), 0.6, 0.5, 0.72)
    >>> sentence.endswith("as fast as detractors who did not (40% lower churn hazard; 95% CI 0.50–0.72).")
    True
    """
    labels = labels or {}
    ci = f"{level:.0%} CI"
    if any(math.isnan(v) for v in (hazard_ratio, ci_low, ci_high)):
        return f"No hazard ratio could be estimated for {term_label(term, labels)}."
    digits = _digits(hazard_ratio, ci_low, ci_high, term.kind)
    interval = f"{ci_low:.{digits}f}–{ci_high:.{digits}f}"
    if term.kind == "numeric":
        unit = _label(labels, term.covariate, f"unit of {term.covariate}")
        return f"Each additional {unit} multiplies the churn hazard by {hazard_ratio:.2f} ({ci} {interval})."
    short = _SHORT_NAMES.get(term.covariate, term.covariate)
    if term.kind == "missing":
        subject = _label(labels, term.name, f"Customers without a {short} value")
        reference = f"customers with an average {short}"
    else:
        subject = _label(labels, term.name, f"Customers with {term.covariate} '{term.level}'")
        reference = _label(labels, f"{term.covariate}[{term.reference}]",
                           f"those with {term.covariate} '{term.reference}'")
    if hazard_ratio >= 1:
        return f"{subject} churn {hazard_ratio:.{digits}f}x as fast as {reference} ({ci} {interval})."
    return (f"{subject} churn {hazard_ratio:.2f}x as fast as {reference} ({1 - hazard_ratio:.0%} lower churn "
            f"hazard; {ci} {interval}).")
