"""The board page of a quarter: a few plain sentences, then one tile per figure that matters.

Everything here reads the headlines the notebooks recorded (:mod:`cxlab.headlines`); nothing is
recomputed. A tile shows the figure, its interval as a range, its change against the previous
period and the same period a year earlier (naming the period compared with), and its recent
history as a sparkline drawn in inline SVG (no script, no external file). A figure with a target
(``targets:`` in the parameters, :mod:`cxlab.targets`) shows it with a status that respects the
interval, and its sparkline draws the target as a dashed line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

from cxlab.headlines import Headline
from cxlab.palette import TARGET_COLOUR
from cxlab.periods import parse_quarter
from cxlab.report.figures import format_number, headline_decimals
from cxlab.sections.formatting import money, money_interval
from cxlab.targets import SPECS, target_status

__all__ = ["OPTIONAL", "TILES", "Change", "Tile", "beyond_chance", "sentences", "sparkline", "tiles"]

# (figure key, its change vs the previous period, its change vs a year earlier)
TILES = (
    ("nps", "nps_change_prev_quarter", "nps_change_prev_year"),
    ("csat", "csat_change_prev_quarter", "csat_change_prev_year"),
    ("ces", "ces_change_prev_quarter", "ces_change_prev_year"),
    ("overall_satisfaction", None, None),
    ("apostles", None, None),
    ("retention", "retention_change_prev_quarter", "retention_change_prev_year"),
    ("followup_coverage", None, None),
    ("followup_effect", None, None),
    ("sla_24h_share", None, None),
    ("revenue_at_risk", None, None),
    ("voice_top_detractor_theme", None, None),
    ("voice_emerging_theme", None, None),
    ("churn_leading_reason", None, None),
    ("clv", None, None),
    ("lift_profit", None, None),
    ("acquisition_alternative_profit", None, None),
)
_REFERENCE = re.compile(r"vs (\d{4}Q[1-4])\s*$")
_ADJUSTED_P = re.compile(r"adjusted p ([<=]) ([0-9.]+)")
# figures only some surveys have: no tile when the data do not have them
OPTIONAL = {"overall_satisfaction", "apostles", "voice_top_detractor_theme", "voice_emerging_theme",
            "churn_leading_reason"}
_SPARK_WIDTH, _SPARK_HEIGHT = 120, 28
TARGET_FOOTNOTE = ("Target status: on target when the whole 95% interval lies on the right side of the target, "
                   "below target (for customer effort, where lower is better: above target) when it lies wholly "
                   "on the wrong side, and cannot tell yet when the interval contains the target.")


@dataclass(frozen=True)
class Change:
    """A change against an earlier period, formatted."""

    reference: str
    text: str
    interval: str
    beyond_chance: bool | None


@dataclass(frozen=True)
class Tile:
    """One figure of the board page, formatted."""

    key: str
    label: str
    value: str
    interval: str
    note: str
    href: str
    changes: tuple
    sparkline: Markup
    target: str = ""
    status: str = ""


def _is_money(headline: Headline) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}", headline.unit or ""))


def _number(value: float, headline: Headline, *, signed: bool = False, low=None, high=None) -> str:
    if _is_money(headline):
        text = money(value, headline.unit, low=low, high=high)
        return ("+" + text if signed and value > 0 else text) or ""
    return format_number(value, headline.unit, decimals=headline_decimals(headline), signed=signed)


def _interval(headline: Headline, *, signed: bool = False, decimals_of: Headline | None = None) -> str:
    low, high = headline.ci_low, headline.ci_high
    if low is None or high is None:
        return ""
    if _is_money(headline):
        return money_interval(low, high, headline.unit) or ""
    unit = headline.unit if headline.unit in ("%", "share") else ""
    decimals = headline_decimals(decimals_of or headline)
    return (f"{format_number(low, unit, decimals=decimals, signed=signed)} to "
            f"{format_number(high, unit, decimals=decimals, signed=signed)}")


def beyond_chance(change: Headline) -> bool | None:
    """Whether a change is beyond chance: the adjusted p-value of a family of changes when its note gives one
    (false discovery rate 5%), else whether its interval excludes zero; None without either."""
    adjusted = _ADJUSTED_P.search(change.note or "")
    if adjusted:
        return adjusted.group(1) == "<" or float(adjusted.group(2)) < 0.05
    if change.ci_low is None or change.ci_high is None:
        return None
    return change.ci_low > 0 or change.ci_high < 0


def _change(headline: Headline | None, figure: Headline, expected: str) -> Change | None:
    """The change headline formatted, naming what it compares with.

    ``expected`` is the period a change of its kind compares with (the previous quarter, or the
    same quarter a year earlier); an earlier reference is the previous survey wave.
    """
    if headline is None or headline.value is None or isinstance(headline.value, str):
        return None
    found = _REFERENCE.search(headline.label)
    reference = found.group(1) if found else ""
    if reference and reference < expected:
        reference = f"{reference} (previous survey wave)"
    unit = {"points": "points", "%": "points", "percentage points": "points"}.get(headline.unit, "")
    text = format_number(headline.value, unit, decimals=headline_decimals(figure), signed=True)
    return Change(reference or "earlier", text, _interval(headline, signed=True, decimals_of=figure),
                  beyond_chance(headline))


def _link(page_, headline: Headline) -> str:
    return f"{page_.href}#{quote(headline.section)}" if headline.section else page_.href


def sparkline(series, label: str, target: float | None = None) -> Markup:
    """An inline SVG line of a figure's recent history (periods without a value are skipped).

    A ``target`` is drawn as a dashed line (the vertical scale then includes it) and named in the
    description.
    """
    points = [(i, v) for i, (_, v) in enumerate(series) if v is not None]
    if len(points) < 2:
        return Markup("")
    values = [v for _, v in points]
    low, high = min(values + ([] if target is None else [target])), max(values + ([] if target is None else [target]))
    span = (high - low) or 1.0

    def y_of(v):
        return _SPARK_HEIGHT - 3 - (v - low) / span * (_SPARK_HEIGHT - 6)

    step = _SPARK_WIDTH / max(len(series) - 1, 1)
    # known values joined (a survey run every other quarter still draws a line); periods without one are skipped
    coords = [f"{i * step:.1f},{y_of(v):.1f}" for i, v in points]
    goal = ("" if target is None else
            f'<line x1="0" x2="{_SPARK_WIDTH}" y1="{y_of(target):.1f}" y2="{y_of(target):.1f}" '
            f'stroke="{TARGET_COLOUR}" stroke-width="1" stroke-dasharray="3,2"/>')
    lines = goal + f'<polyline fill="none" stroke="#0072B2" stroke-width="1.8" points="{" ".join(coords)}"/>'
    x, y = coords[-1].split(",")
    dots = f'<circle cx="{x}" cy="{y}" r="2.4" fill="#0072B2"/>'
    first, last = series[0][0], series[-1][0]
    description = (f"{label}: {first} to {last}, from {values[0]:,.1f} to {values[-1]:,.1f}"
                   + ("" if target is None else f"; target {target:,.1f} (dashed line)"))
    return Markup(f'<svg class="cx-spark" width="{_SPARK_WIDTH}" height="{_SPARK_HEIGHT}" role="img" '
                  f'aria-label="{escape(description)}"><title>{escape(description)}</title>{lines}{dots}</svg>')


def tiles(located: dict, quarter: str) -> list[Tile]:
    """The tiles of the figures the run recorded, in :data:`TILES` order.

    Parameters
    ----------
    located : dict
        Headline key -> (page, headline), as the summary finds them.
    quarter : str
        The report quarter.
    """
    current = parse_quarter(quarter)
    out = []
    for key, change_prev, change_year in TILES:
        if key not in located:
            continue
        page_, headline = located[key]
        if headline.value is None and key in OPTIONAL:
            continue
        if headline.value is None:
            out.append(Tile(key, headline.label, "not available", "", headline.note, _link(page_, headline), (),
                            Markup("")))
            continue
        value = (headline.value if isinstance(headline.value, str) else
                 _number(headline.value, headline, low=headline.ci_low, high=headline.ci_high))
        compared = ((change_prev, str(current - 1)), (change_year, str(current - 4)))
        changes = tuple(c for c in (_change(located[k][1] if k in located else None, headline, expected)
                                    for k, expected in compared) if c)
        target, status = _target(headline)
        out.append(Tile(key, headline.label, value, _interval(headline), headline.note, _link(page_, headline),
                        changes, sparkline(headline.series, headline.label, headline.target), target, status))
    return out


def _target(headline: Headline) -> tuple[str, str]:
    """The target of a figure formatted in its unit, and its status (empty without a target)."""
    if headline.target is None or headline.key not in SPECS or isinstance(headline.value, str):
        return "", ""
    status = target_status(headline.key, headline.value, headline.ci_low, headline.ci_high, headline.target)
    return format_number(headline.target, headline.unit, decimals=headline_decimals(headline)), status


def sentences(located: dict, quarter: str) -> list[str]:
    """Three to five plain sentences: what changed and what to act on."""
    said = []

    def get(key):
        found = located.get(key)
        return None if found is None or found[1].value is None else found[1]

    nps = get("nps")
    if nps is not None:
        change = get("nps_change_prev_year")
        trend = ""
        if change is not None and beyond_chance(change) is not None:
            moved = beyond_chance(change)
            direction = "up" if change.value > 0 else "down"
            trend = (f", {direction} {abs(change.value):.1f} points on a year earlier" if moved else
                     ", no change beyond chance from a year earlier")
        said.append(f"Relationship NPS is {nps.value:.1f} in {quarter} (95% interval {nps.ci_low:.1f} to "
                    f"{nps.ci_high:.1f}){trend}.")
    moved = []
    for key, name in (("csat", "CSAT"), ("ces", "customer effort")):
        change = get(f"{key}_change_prev_quarter")
        if change is not None and beyond_chance(change):
            moved.append(f"{name} moved {change.value:+.2f} since the previous quarter")
    csat = get("csat")
    if csat is not None:
        said.append(f"{csat.value:.1f}% of touchpoint answers were satisfied; "
                    + ("; ".join(moved) if moved else "CSAT and customer effort did not change beyond chance "
                                                      "since the previous quarter") + ".")
    retention = get("retention")
    if retention is not None:
        change = get("retention_change_prev_year")
        compared = ("" if change is None else
                    f", {change.value:+.1f} points on a year earlier ({change.ci_low:+.1f} to {change.ci_high:+.1f})")
        said.append(f"{retention.value:.1f}% of customers stay more than 12 months{compared}.")
    act = []
    lowest = get("lowest_touchpoint")
    if lowest is not None:
        act.append(f"{lowest.value} has the lowest satisfaction ({lowest.note})")
    theme = get("voice_top_detractor_theme")
    if theme is not None:
        share = get("voice_top_detractor_share")
        act.append(f"detractors write most about {theme.value}"
                   + ("" if share is None else f" ({share.value:.0f}% of their comments)"))
    gap = get("followup_coverage_gap")
    if gap is not None and gap.ci_low is not None:
        compared = gap.label.split(": ", 1)[-1]
        adjusted = re.search(r"adjusted for (\d+) pairs", gap.note or "")
        act.append(f"detractors followed up {compared}, a gap of {gap.value:.1f} points (95% interval "
                   f"{gap.ci_low:.1f} to {gap.ci_high:.1f}" + (f", adjusted for {adjusted.group(1)} comparisons"
                                                               if adjusted else "")
                   + ("" if gap.ci_low > 0 else "; within chance") + ")")
    if act:
        said.append("To act on: " + "; ".join(act) + ".")
    risk = get("revenue_at_risk")
    if risk is not None:
        said.append(f"Revenue at risk: {money(risk.value, risk.unit, low=risk.ci_low, high=risk.ci_high)} of monthly "
                    f"revenue is expected to churn away within 12 months (95% interval "
                    f"{money_interval(risk.ci_low, risk.ci_high, risk.unit)}).")
    effect = get("followup_effect")
    if effect is not None and effect.ci_low is not None:
        verdict = ("lowers churn" if effect.ci_high < 1 else "raises churn" if effect.ci_low > 1 else
                   "has no effect on churn beyond chance")
        said.append(f"Calling back detractors {verdict}: hazard ratio {effect.value:.2f} (95% interval "
                    f"{effect.ci_low:.2f} to {effect.ci_high:.2f}), a causal estimate.")
    return said[:5]
