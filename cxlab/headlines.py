"""Headline numbers a notebook hands to the report's executive summary.

Each report notebook records its key results with :class:`Headlines`; the report
run reads the JSON file it writes, so the summary never recomputes a number.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["REGISTRY", "Headline", "HeadlineSpec", "Headlines", "read_headlines", "spec"]


@dataclass(frozen=True)
class Headline:
    """One headline figure: a value with its interval, unit, where it is explained, its recent history and the
    target the team set for it (None when none is set; see :mod:`cxlab.targets`)."""

    key: str
    label: str
    value: float | str | None
    unit: str = ""
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    section: str = ""
    note: str = ""
    series: tuple = ()
    target: float | None = None


@dataclass(frozen=True)
class HeadlineSpec:
    """What a headline key means: its label (a template of the run's parameters), unit and page.

    Attributes
    ----------
    key : str
        Stable identifier, the same whatever the parameters (e.g. ``"retention"``).
    label : str
        Plain-words label; ``{quarter}``, ``{months}`` and other fields are filled from the
        section's parameters.
    unit : str
        Unit in words.
    notebook : str
        The one notebook that records it.
    section : str
        Anchor of the section that explains it.
    """

    key: str
    label: str
    unit: str
    notebook: str
    section: str

    def headline(self, value, *, ci_low=None, ci_high=None, n: int | None = None, note: str = "", series=(),
                 **label_fields) -> Headline:
        """The headline of this key with its figure, label filled from ``label_fields``.

        ``series`` is the figure's recent history, ``[(period label, value), ...]`` oldest first
        (drawn as a sparkline in the executive summary; missing values as None).
        """
        history = tuple((str(label), _clean(v)) for label, v in series)
        return Headline(self.key, self.label.format(**label_fields), _clean(value), self.unit, _clean(ci_low),
                        _clean(ci_high), None if n is None else int(n), self.section, note, history)


_SCORECARD = "01_cx_scorecard"
_JOURNEY = "02_touchpoints_and_drivers"
_RETENTION = "04_retention_cohorts"
_SURVIVAL = "05_churn_survival"
# The economics page's money figures are in the report's currency: the unit "currency" is replaced by its code.
_ECONOMICS = "06_retention_economics"
_LOOP = "03_feedback_loop"
_VOICE = "07_voice_of_customer"
_DRILL = "drill_down"  # run with `cxlab report --by <attribute>`
REGISTRY: dict[str, HeadlineSpec] = {spec.key: spec for spec in (
    HeadlineSpec("nps", "Relationship NPS, {quarter}", "points", _SCORECARD, "headline"),
    HeadlineSpec("csat", "CSAT, share satisfied, {quarter}", "% satisfied", _SCORECARD, "headline"),
    HeadlineSpec("ces", "CES, mean effort (lower = easier), {quarter}", "mean effort 1–7", _SCORECARD, "headline"),
    # one fact on two pages (01 and 03): the answers to the quarter's relationship invitations known by its end
    HeadlineSpec("detractors", "Detractor answers (relationship survey, 0-6), {quarter}", "answers", _SCORECARD,
                 "headline"),
    HeadlineSpec("lowest_touchpoint", "Touchpoint with the lowest satisfaction, {quarter}", "", _SCORECARD,
                 "by-touchpoint"),
    HeadlineSpec("satisfied_share", "Share satisfied (overall satisfied / not satisfied answer), {quarter}",
                 "% satisfied", _SCORECARD, "headline"),
    HeadlineSpec("recommend_share", "Share likely to recommend (extremely likely or likely, 4-5 on a 5-point "
                 "scale; not NPS), {quarter}", "% likely to recommend (5-point scale)", _SCORECARD, "headline"),
    *(HeadlineSpec(f"{metric}_change_{comparison}", f"{name}: change {{quarter}} vs {{reference}}", unit,
                   _SCORECARD, "changes")
      for metric, name, unit in (("nps", "Relationship NPS", "points"),
                                 ("csat", "CSAT, share satisfied", "percentage points"),
                                 ("ces", "CES, mean effort", "mean effort 1–7"))
      for comparison in ("prev_quarter", "prev_year")),
    HeadlineSpec("invoicing_change", "Change in {touchpoint} CSAT after the redesign", "percentage points",
                 _JOURNEY, "intervention"),
    HeadlineSpec("top_driver", "Touchpoint that drives loyalty most", "", _JOURNEY, "drivers"),
    HeadlineSpec("followup_coverage", "Detractors followed up, {quarter}", "%", _LOOP, "loop"),
    HeadlineSpec("sla_24h_share", "Follow-ups answered within the SLA, {quarter}", "%", _LOOP, "loop"),
    HeadlineSpec("followup_coverage_gap", "Detractors followed up, largest gap between segments, {quarter}{pair}",
                 "percentage points", _LOOP, "loop-groups"),
    HeadlineSpec("followup_effect", "Effect of calling back a detractor on churn within {months} months (hazard "
                 "ratio, causal: regression discontinuity)", "x", _LOOP, "followup-effect"),
    HeadlineSpec("followup_effect_naive", "Churn of followed-up vs not followed-up detractors within {months} months "
                 "(hazard ratio, naive comparison)", "x", _LOOP, "followup-effect"),
    # a check of response bias over a longer window, not the report's NPS (that is "nps", the respondents' one)
    HeadlineSpec("nps_raw", "Response-bias check: NPS of those who answered, relationship invitations of the last "
                 "{months} months", "points", _LOOP, "nps-corrected"),
    HeadlineSpec("nps_ipw", "Response-bias check: NPS corrected for non-response, relationship invitations of the "
                 "last {months} months", "points", _LOOP, "nps-corrected"),
    HeadlineSpec("retention", "Customers still active after {months} months", "%", _RETENTION, "retention-12m"),
    *(HeadlineSpec(f"retention_change_{comparison}",
                   "Customers still active after {months} months: change {quarter} vs {reference}",
                   "percentage points", _RETENTION, "retention-12m") for comparison in ("prev_quarter", "prev_year")),
    # one fact on three pages (04, 05, 06), from one computation (cxlab.sections.long_run); each page links its section
    HeadlineSpec("survival_10y", "New customers still active after 10 years ({tail} tail beyond the observed months)",
                 "%", _RETENTION, "sbg"),
    HeadlineSpec("nrr", "Net revenue retention after {months} months", "%", _RETENTION, "revenue-retention"),
    HeadlineSpec("sbg_alpha", "Retention model (shifted-beta-geometric, monthly): alpha", "", _RETENTION, "sbg"),
    HeadlineSpec("sbg_beta", "Retention model (shifted-beta-geometric, monthly): beta", "", _RETENTION, "sbg"),
    HeadlineSpec("median_tenure", "Median customer tenure", "months", _SURVIVAL, "overall"),
    HeadlineSpec("survival_24m", "Customers staying more than 24 months", "%", _SURVIVAL, "overall"),
    HeadlineSpec("rmst_36m", "Average months stayed out of the first 36", "months", _SURVIVAL, "overall"),
    HeadlineSpec("hr_detractor", "Churn hazard ratio: detractors vs passives", "x", _SURVIVAL, "cox"),
    HeadlineSpec("lift_profit", "Extra discounted profit over {years:g} years from {lift_words}", "currency",
                 _ECONOMICS, "answer"),
    HeadlineSpec("lift_profit_pct", "Discounted profit increase over {years:g} years from {lift_words}", "%",
                 _ECONOMICS, "answer"),
    HeadlineSpec("acquisition_alternative_profit", "Discounted profit of spending the programme's budget on "
                 "acquisition instead ({years:g} years)", "currency", _ECONOMICS, "versus-acquisition"),
    HeadlineSpec("clv", "Lifetime value of a new customer (discounted margin)", "currency", _ECONOMICS, "clv"),
    HeadlineSpec("revenue_at_risk", "Monthly revenue of today's customers expected to churn within {months} months",
                 "currency", _ECONOMICS, "at-risk"),
    HeadlineSpec("cac", "Cost of acquiring a customer (CAC), last 12 months", "currency", _ECONOMICS, "acquisition"),
    HeadlineSpec("ltv_cac", "Lifetime value / acquisition cost (LTV/CAC)", "ratio", _ECONOMICS, "acquisition"),
    HeadlineSpec("payback_months", "Months of margin to recover the acquisition cost", "months", _ECONOMICS,
                 "acquisition"),
    HeadlineSpec("overall_satisfaction", "Overall satisfaction, {quarter}: share in the top box ({top_box})", "%",
                 _JOURNEY, "overall-satisfaction"),
    HeadlineSpec("apostles", "Apostles (satisfied and loyal customers), {quarter}", "%", _JOURNEY,
                 "loyalty-typology"),
    HeadlineSpec("retention_index", "TRI*M-style retention index, {quarter}", "points of 100", _JOURNEY,
                 "retention-index"),
    HeadlineSpec("top_item_driver", "Rated item that drives {outcome} most", "", _JOURNEY, "item-drivers"),
    HeadlineSpec("voice_top_detractor_theme", "What detractors write about most", "", _VOICE, "scores"),
    HeadlineSpec("voice_top_detractor_share", "Detractor comments on their most frequent theme", "%", _VOICE,
                 "scores"),
    HeadlineSpec("voice_top_theme_impact", "Score difference that goes with the most damaging theme", "points",
                 _VOICE, "scores"),
    HeadlineSpec("voice_emerging_theme", "Theme emerging this quarter", "", _VOICE, "trends"),
    HeadlineSpec("voice_polarity_auc", "Comment polarity learned from scores: held-out AUC", "", _VOICE, "polarity"),
    HeadlineSpec("churn_leading_reason", "Leading churn reason", "", _VOICE, "reasons"),
    HeadlineSpec("churn_leading_reason_cif", "Customers leaving for the leading reason within {months} months", "%",
                 _VOICE, "reasons"),
    HeadlineSpec("drill_differences", "Differences between each {attribute} and the other customers beyond chance, "
                 "{quarter}", "differences", _DRILL, "differences"),
)}


def spec(key: str) -> HeadlineSpec:
    """The registry entry of a headline key.

    Raises
    ------
    KeyError
        Naming the known keys, when ``key`` is not registered.
    """
    if key not in REGISTRY:
        raise KeyError(f"headline {key!r} is not registered; known: {sorted(REGISTRY)}")
    return REGISTRY[key]


def _clean(x):
    if x is None:
        return None
    if isinstance(x, str):
        return x
    x = float(x)
    return None if math.isnan(x) else x


class Headlines:
    """Collect a notebook's headline figures and write them to JSON.

    Parameters
    ----------
    path : str
        File to write; an empty string keeps the figures in memory only (interactive use).
    notebook : str
        Name of the notebook that computed the figures.

    Examples
    --------
    >>> hl = Headlines("", notebook="01_cx_scorecard")
    >>> hl.add("nps", "Relationship NPS", 31.2, unit="points", ci_low=27.0, ci_high=35.3, n=812,
    ...        section="nps")
    >>> hl.items["nps"].value
    31.2
    """

    def __init__(self, path: str, notebook: str):
        self.path = Path(path) if path else None
        self.notebook = notebook
        self.items: dict[str, Headline] = {}

    def add(self, key: str, label: str, value, *, unit: str = "", ci_low=None, ci_high=None,
            n: int | None = None, section: str = "", note: str = "") -> None:
        """Record one figure and rewrite the JSON file (so a figure is never lost to a later failure).

        Parameters
        ----------
        key : str
            Stable identifier, e.g. ``"nps"``.
        label : str
            Plain-words label for business readers.
        value : float, str or None
            The figure; NaN and None are stored as null (shown as "not available").
        unit : str
            Unit in words, e.g. ``"points"``, ``"%"``, ``"months"``, ``"EUR"``.
        ci_low, ci_high : float, optional
            Interval bounds (95% unless ``note`` says otherwise).
        n : int, optional
            Number of observations behind the figure.
        section : str
            HTML anchor id of the notebook section that explains the figure.
        note : str
            Short qualifier, e.g. ``"suppressed: fewer than 30 responses"``.
        """
        self.record(Headline(key, label, _clean(value), unit, _clean(ci_low), _clean(ci_high),
                             None if n is None else int(n), section, note))

    def record(self, *headlines: Headline) -> None:
        """Record finished headlines (e.g. a report section's) and rewrite the JSON file."""
        for headline in headlines:
            self.items[headline.key] = headline
        self.write()

    def write(self) -> None:
        """Write all figures recorded so far (no-op when no path was given)."""
        if self.path is None:
            return
        payload = {"notebook": self.notebook, "headlines": [asdict(h) for h in self.items.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        tmp.replace(self.path)


def read_headlines(path: str | Path) -> dict[str, Headline]:
    """Read a headlines JSON file written by :class:`Headlines`, keyed by figure key."""
    payload = json.loads(Path(path).read_text())
    return {h["key"]: Headline(**{**h, "series": tuple(tuple(point) for point in h.get("series", ()))})
            for h in payload["headlines"]}
